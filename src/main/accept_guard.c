/*
 * TCP and TLS connections (SIP and HTTP) from one address, at most
 * max_connections_per_source at once. libre 1.1.0 accepts every
 * connection itself (tcp.c calls accept() and hands the peer to its
 * user after the fact) and has no hook before that, so caucusd defines
 * accept() itself: the dynamic linker gives libre.so this one instead of
 * libc's, the same way a test interposes malloc. It calls the kernel's
 * (accept4 with no flags), then counts the connections of the peer's
 * address that are still open, and closes the new one at once when
 * there are too many (the peer sees a reset; libre sees accept fail
 * with ECONNABORTED, which it treats as nothing accepted).
 *
 * Open connections are known without hooking close(): each accepted
 * descriptor is remembered with its peer, and a remembered descriptor
 * counts only while getpeername() on it still gives that peer (a closed
 * one fails, a reused one names another). Only descriptors of the same
 * address are checked. Kept in this one file; accept_guard_set() turns
 * it on. Signalling thread (libre accepts there only).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <re.h>
#include "main/accept_guard.h"
#include "util/log.h"
#include "util/srclimit.h"

/* descriptors are below the raised limit; those above go uncounted */
#define FD_TRACK 65536

static struct {
	unsigned max;
	struct srclimit *exempt;        /* its exempt list, its counter */
	struct sockaddr_storage *peer;  /* by descriptor; family 0: none */
	int hi;                         /* above every remembered one */
	uint64_t refused;
	uint64_t logged_ms;
} g;

int accept_guard_set(unsigned max_per_source)
{
	g.max = max_per_source;
	if (!g.max || g.peer)
		return 0;
	g.peer = calloc(FD_TRACK, sizeof(*g.peer));
	return g.peer ? 0 : ENOMEM;
}

void accept_guard_limits(struct srclimit *sl)
{
	g.exempt = sl;
}

static bool same_host(const struct sockaddr_storage *a,
		      const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)a)->
			sin_addr.s_addr ==
			((const struct sockaddr_in *)(const void *)b)->
			sin_addr.s_addr;
	return a->ss_family == AF_INET6 &&
		!memcmp(&((const struct sockaddr_in6 *)(const void *)a)->
			sin6_addr,
			&((const struct sockaddr_in6 *)(const void *)b)->
			sin6_addr, sizeof(struct in6_addr));
}

static bool same_peer(const struct sockaddr_storage *a,
		      const struct sockaddr_storage *b)
{
	socklen_t n = a->ss_family == AF_INET ?
		sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);

	return a->ss_family == b->ss_family && !memcmp(a, b, n);
}

/* Connections still open from the host of p, new one (fd) aside */
static unsigned open_from(const struct sockaddr_storage *p, int fd)
{
	unsigned n = 0;

	for (int i = 0; i < g.hi; i++) {
		struct sockaddr_storage now;
		socklen_t len = sizeof(now);

		if (i == fd || !g.peer[i].ss_family ||
		    !same_host(&g.peer[i], p))
			continue;
		if (getpeername(i, (struct sockaddr *)&now, &len) ||
		    !same_peer(&now, &g.peer[i])) {
			g.peer[i].ss_family = 0;     /* closed since */
			continue;
		}
		n++;
	}
	return n;
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	struct sa sa;
	int c = accept4(fd, (struct sockaddr *)&peer, &plen, 0);

	if (c < 0)
		return c;
	if (addr && len) {
		memcpy(addr, &peer, plen < *len ? plen : *len);
		*len = plen;
	}
	if (!g.peer || c >= FD_TRACK || (peer.ss_family != AF_INET &&
					 peer.ss_family != AF_INET6))
		return c;
	memset(&sa, 0, sizeof(sa));
	memcpy(&sa.u, &peer, plen);
	sa.len = plen;
	if (srclimit_exempt(g.exempt, &sa) ||
	    open_from(&peer, c) < g.max) {
		g.peer[c] = peer;
		if (c >= g.hi)
			g.hi = c + 1;
		return c;
	}
	g.refused++;
	srclimit_conn_refused(g.exempt);
	/* a log line a minute at most: a flood must not fill the log */
	if (tmr_jiffies() - g.logged_ms > 60000 || !g.logged_ms) {
		g.logged_ms = tmr_jiffies();
		log_warn("limit", "msg=\"connection refused: too many from "
			 "one address\" src=%j max=%u refused=%llu", &sa,
			 g.max, (unsigned long long)g.refused);
	}
	close(c);
	errno = ECONNABORTED;
	return -1;
}
