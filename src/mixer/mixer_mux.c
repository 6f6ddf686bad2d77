/*
 * Per-thread RTP sockets (rtp_sockets = per-thread): one RTP and one RTCP
 * socket per mixer thread carry all the streams on it, so that a tick
 * reads everything that arrived with a few recvmmsg calls and sends
 * everything with a few sendmmsg calls, instead of a call or two per
 * participant.
 *
 * Whose packet is it? Its source address, looked up in a table of the
 * streams' addresses (signalled, or latched from their media). A source
 * not in it is claimed by SSRC (a known sender whose NAT re-mapped: the
 * same rule as symmetric RTP on a socket of its own), else by a stream
 * not yet heard from: the only such stream at that host, or the only one
 * on the thread. Anything else is counted (rx_unmatched) and dropped: a
 * stranger cannot take a stream over, two unheard callers behind one
 * NAT wait until one of them is heard from its signalled address, and
 * two unheard calls signalled at one address and port are not served
 * until one of them ends (which is which cannot be known).
 *
 * Mixer thread only, except mux_new and mux_free. Tables are sized at
 * commands (mux_reserve); a tick allocates nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "mixer/mixer_stream.h"
#include "util/msg.h"

#define MUX_RX_BATCH 64
#define MUX_TX_BATCH 64
#define MUX_CLAIMS_PER_TICK 32   /* slow lookups (a scan) in one tick */
#define MUX_RCVBUF (8 << 20)
#define MUX_SNDBUF (2 << 20)

struct mux {
	int rtp_fd, rtcp_fd;
	/* open addressing, linear probing; cap a power of two and at
	 * least twice the streams. by_addr may hold stale entries (a
	 * stream whose address moved): a lookup checks the stream's
	 * address itself, and the table is rebuilt at the next tick */
	struct mstream **by_addr, **by_ssrc;
	uint32_t *addr_key;      /* by_addr's full hashes: a chain is walked
				  * without touching its streams (a cache
				  * miss each) */
	unsigned cap, used_addr, used_ssrc;
	unsigned nstreams;
	bool dirty;
	unsigned claims;
	/* receiving */
	struct mmsghdr rxm[MUX_RX_BATCH];
	struct iovec rxiov[MUX_RX_BATCH];
	struct sockaddr_storage rxsrc[MUX_RX_BATCH];
	uint8_t rxbuf[MUX_RX_BATCH][PKT_MAX];
	/* the send queue */
	unsigned ntx;
	struct mstream *txs[MUX_TX_BATCH];
	uint16_t txpl[MUX_TX_BATCH];
	struct mmsghdr txm[MUX_TX_BATCH];
	struct iovec txiov[MUX_TX_BATCH];
	struct sockaddr_storage txdst[MUX_TX_BATCH];
	uint8_t txbuf[MUX_TX_BATCH][RTP_HDR_MAX + MEDIA_MAX_PAYLOAD +
				    MSRTP_TAG_MAX];
	/* counted here, published by the thread */
	uint64_t rx_unmatched, tx_dropped;
};

static int bind_one(const struct sockaddr_storage *addr, uint16_t port,
		    int *fdp)
{
	struct sockaddr_storage a = *addr;
	socklen_t len = a.ss_family == AF_INET6 ?
		sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int fd, big = MUX_RCVBUF, snd = MUX_SNDBUF, err;

	if (a.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&a)->sin_port = htons(port);
	fd = socket(a.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return errno;
	/* a tick's packets from every caller on the thread wait in one
	 * socket: ask for a large buffer (beyond net.core.rmem_max when
	 * allowed to) */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)))
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big,
				 sizeof(big));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)))
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd,
				 sizeof(snd));
	if (bind(fd, (struct sockaddr *)&a, len) < 0) {
		err = errno;
		close(fd);
		return err;
	}
	*fdp = fd;
	return 0;
}

int mux_new(struct mux **mp, const struct sockaddr_storage *addr,
	    uint16_t port, unsigned *rcvbuf)
{
	struct mux *m = calloc(1, sizeof(*m));
	socklen_t len = sizeof(int);
	int err, got = 0;

	if (!m)
		return ENOMEM;
	m->rtp_fd = m->rtcp_fd = -1;
	if (!mux_reserve(m, 0)) {        /* lookups need a table */
		mux_free(m);
		return ENOMEM;
	}
	err = bind_one(addr, port, &m->rtp_fd);
	if (!err)
		err = bind_one(addr, (uint16_t)(port + 1), &m->rtcp_fd);
	if (err) {
		mux_free(m);
		return err;
	}
	(void)getsockopt(m->rtp_fd, SOL_SOCKET, SO_RCVBUF, &got, &len);
	*rcvbuf = (unsigned)got;
	*mp = m;
	return 0;
}

int mux_fd(const struct mux *m, bool rtcp)
{
	return rtcp ? m->rtcp_fd : m->rtp_fd;
}

void mux_free(struct mux *m)
{
	if (!m)
		return;
	if (m->rtp_fd >= 0)
		close(m->rtp_fd);
	if (m->rtcp_fd >= 0)
		close(m->rtcp_fd);
	free(m->by_addr);
	free(m->by_ssrc);
	free(m->addr_key);
	free(m);
}

static uint32_t mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x7feb352dU;
	h ^= h >> 15;
	h *= 0x846ca68bU;
	return h ^ (h >> 16);
}

static uint32_t addr_hash(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a;
		uint32_t w[4], h = x->sin6_port;

		memcpy(w, &x->sin6_addr, sizeof(w));
		for (int i = 0; i < 4; i++)
			h = mix32(h ^ w[i]);
		return h;
	}
	{
		const struct sockaddr_in *x = (const void *)a;

		return mix32(x->sin_addr.s_addr ^
			     ((uint32_t)x->sin_port << 16));
	}
}

static void put_addr(struct mux *m, struct mstream *s)
{
	unsigned i;
	uint32_t h;

	if (!s->m.rtp_dst_len || 4 * (m->used_addr + 1) > 3 * m->cap) {
		m->dirty = true;         /* full: the rebuild makes room */
		return;
	}
	h = addr_hash(&s->m.rtp_dst);
	i = h & (m->cap - 1);
	while (m->by_addr[i]) {
		if (m->by_addr[i] == s)     /* on this address's chain */
			return;
		i = (i + 1) & (m->cap - 1);
	}
	m->by_addr[i] = s;
	m->addr_key[i] = h;
	m->used_addr++;
}

static void put_ssrc(struct mux *m, struct mstream *s)
{
	unsigned i;

	if (4 * (m->used_ssrc + 1) > 3 * m->cap) {
		m->dirty = true;
		return;
	}
	i = mix32(s->rx.ssrc) & (m->cap - 1);
	while (m->by_ssrc[i]) {
		if (m->by_ssrc[i] == s)
			return;
		i = (i + 1) & (m->cap - 1);
	}
	m->by_ssrc[i] = s;
	m->used_ssrc++;
}

/* The stream at address a: the one heard with this SSRC there, else the
 * only one there (a sender may change its SSRC), else the only one there
 * not yet heard from (calls multiplexed on one address, told apart by
 * SSRC once each was heard); two or more unheard: nobody (no guessing) */
static struct mstream *find_addr(const struct mux *m,
				 const struct sockaddr_storage *a,
				 uint32_t ssrc)
{
	struct mstream *one = NULL, *fresh = NULL;
	uint32_t hk = addr_hash(a);
	unsigned n = 0, nfresh = 0, h = hk & (m->cap - 1);

	/* the usual case first: a known sender where it was heard. Only
	 * entries with this address's hash are looked at (a stale entry,
	 * its stream moved, fails the address compare) */
	for (unsigned i = h; m->by_addr[i]; i = (i + 1) & (m->cap - 1)) {
		struct mstream *s = m->by_addr[i];

		if (m->addr_key[i] == hk && s->latched &&
		    s->rx.ssrc == ssrc &&
		    mstream_addr_eq(&s->m.rtp_dst, a, true))
			return s;
	}
	for (unsigned i = h; m->by_addr[i]; i = (i + 1) & (m->cap - 1)) {
		struct mstream *s = m->by_addr[i];

		if (m->addr_key[i] != hk ||
		    !mstream_addr_eq(&s->m.rtp_dst, a, true))
			continue;
		n++;
		one = s;
		if (!s->latched) {
			nfresh++;
			fresh = s;
		}
	}
	return n == 1 ? one : nfresh == 1 ? fresh : NULL;
}

static struct mstream *find_ssrc(const struct mux *m, uint32_t ssrc)
{
	unsigned i = mix32(ssrc) & (m->cap - 1);

	for (; m->by_ssrc[i]; i = (i + 1) & (m->cap - 1))
		if (m->by_ssrc[i]->latched && m->by_ssrc[i]->rx.ssrc == ssrc)
			return m->by_ssrc[i];
	return NULL;
}

bool mux_reserve(struct mux *m, unsigned n)
{
	unsigned cap = m->cap ? m->cap : 64;
	struct mstream **a, **b;
	uint32_t *k;

	while (cap < 2 * n)
		cap *= 2;
	if (cap == m->cap)
		return true;
	a = calloc(cap, sizeof(*a));
	b = calloc(cap, sizeof(*b));
	k = calloc(cap, sizeof(*k));
	if (!a || !b || !k) {
		free(a);
		free(b);
		free(k);
		return false;
	}
	free(m->by_addr);
	free(m->by_ssrc);
	free(m->addr_key);
	m->by_addr = a;
	m->by_ssrc = b;
	m->addr_key = k;
	m->cap = cap;
	m->dirty = true;
	return true;
}

void mux_attach(struct mux *m, struct mstream *s)
{
	s->mux = m;
	s->rtp_fd = m->rtp_fd;
	s->rtcp_fd = m->rtcp_fd;
	m->nstreams++;
	m->dirty = true;
}

void mux_detach(struct mux *m, struct mstream *s)
{
	s->mux = NULL;
	s->rtp_fd = s->rtcp_fd = -1;
	m->nstreams--;
	m->dirty = true;       /* rebuilt before the next lookup */
}

void mux_changed(struct mux *m)
{
	m->dirty = true;
}

static void rebuild(struct mthread *t, struct mux *m)
{
	memset(m->by_addr, 0, m->cap * sizeof(*m->by_addr));
	memset(m->by_ssrc, 0, m->cap * sizeof(*m->by_ssrc));
	m->used_addr = m->used_ssrc = 0;
	m->dirty = false;
	for (unsigned r = 0; r < t->nrooms; r++) {
		for (unsigned i = 0; i < t->rooms[r]->n; i++) {
			struct mstream *s = t->rooms[r]->s[i];

			if (s->mux != m)
				continue;
			put_addr(m, s);
			if (s->latched)
				put_ssrc(m, s);
		}
	}
}

/* A source nobody has: a known SSRC (re-mapped by a NAT), else the one
 * stream not yet heard from at that host, else the one on the thread */
static struct mstream *claim(struct mthread *t, struct mux *m,
			     uint32_t ssrc,
			     const struct sockaddr_storage *src)
{
	struct mstream *s, *host = NULL, *any = NULL;
	unsigned nhost = 0, nany = 0;

	s = find_ssrc(m, ssrc);
	if (s)
		return s;
	if (m->claims >= MUX_CLAIMS_PER_TICK)
		return NULL;
	m->claims++;
	for (unsigned r = 0; r < t->nrooms; r++) {
		for (unsigned i = 0; i < t->rooms[r]->n; i++) {
			s = t->rooms[r]->s[i];
			if (s->mux != m || s->latched)
				continue;
			nany++;
			any = s;
			if (s->m.rtp_dst_len &&
			    mstream_addr_eq(&s->m.rtp_dst, src, false)) {
				nhost++;
				host = s;
			}
		}
	}
	if (nhost == 1)
		return host;
	return !nhost && nany == 1 ? any : NULL;
}

static void rx_one(struct mthread *t, struct mux *m, uint8_t *buf,
		   size_t len, const struct sockaddr_storage *src,
		   socklen_t slen, uint32_t arrival_ts, bool *sig)
{
	struct mstream *s = NULL;
	uint32_t ssrc = 0, known;
	bool was_latched, by_addr = false;

	/* DTLS: the stream at that address, or the one not yet heard from
	 * there (no SSRC to go by) */
	if (mstream_is_dtls(buf, len)) {
		s = find_addr(m, src, 0);
		s = s ? s : claim(t, m, 0, src);
		if (s)
			mstream_rx_dtls(t, s, false, buf, len, src, slen,
					arrival_ts, sig);
		else
			m->rx_unmatched++;
		return;
	}
	if (len >= 12 && (buf[0] >> 6) == 2) {      /* else nobody's */
		ssrc = (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 |
			(uint32_t)buf[10] << 8 | buf[11];
		s = find_addr(m, src, ssrc);
		by_addr = s != NULL;
		if (!s)
			s = claim(t, m, ssrc, src);
	}
	if (!s) {
		m->rx_unmatched++;
		return;
	}
	was_latched = s->latched;
	known = s->rx.ssrc;
	mstream_rx_rtp(t, s, buf, len, src, slen, arrival_ts, sig);
	if (s->latched && (!was_latched || s->rx.ssrc != known))
		put_ssrc(m, s);
	/* (found at this address, it is in the table under it already:
	 * the usual packet looks nothing up twice) */
	if (!by_addr && s->m.rtp_dst_len &&
	    mstream_addr_eq(&s->m.rtp_dst, src, true) &&
	    find_addr(m, src, ssrc) != s) {
		put_addr(m, s);        /* latched to a new address */
		m->dirty = true;       /* and the old one is stale */
	}
}

/* DTLS at the RTCP port: the stream of a DTLS-SRTP call whose RTCP is
 * signalled there, else the one such stream of that host (a NAT moved
 * the port) still waiting for RTCP keys */
static struct mstream *rtcp_dtls_owner(struct mthread *t, struct mux *m,
				       const struct sockaddr_storage *src)
{
	struct mstream *host = NULL;
	unsigned nhost = 0;

	if (m->claims >= MUX_CLAIMS_PER_TICK)
		return NULL;
	m->claims++;
	for (unsigned r = 0; r < t->nrooms; r++) {
		for (unsigned i = 0; i < t->rooms[r]->n; i++) {
			struct mstream *s = t->rooms[r]->s[i];

			if (s->mux != m || !s->m.srtp.dtls ||
			    !s->m.rtcp_dst_len)
				continue;
			if (mstream_addr_eq(&s->m.rtcp_dst, src, true))
				return s;
			if (!s->m.srtp.rtcp.set &&
			    mstream_addr_eq(&s->m.rtcp_dst, src, false)) {
				nhost++;
				host = s;
			}
		}
	}
	return nhost == 1 ? host : NULL;
}

/* RTCP: whose is told by the sender's SSRC (SR and RR both carry it
 * first), once that stream's RTP has been heard; before, nobody's */
static void rx_rtcp_one(struct mthread *t, struct mux *m, uint8_t *buf,
			size_t len, const struct sockaddr_storage *src,
			socklen_t slen, uint32_t arrival_ts, uint64_t wall_us,
			bool *sig)
{
	struct mstream *s = NULL;

	if (mstream_is_dtls(buf, len)) {
		s = rtcp_dtls_owner(t, m, src);
		if (s)
			mstream_rx_dtls(t, s, true, buf, len, src, slen,
					arrival_ts, sig);
		else
			m->rx_unmatched++;
		return;
	}
	if (len >= 8 && (buf[0] >> 6) == 2)
		s = find_ssrc(m, (uint32_t)buf[4] << 24 |
			      (uint32_t)buf[5] << 16 |
			      (uint32_t)buf[6] << 8 | buf[7]);
	if (!s) {
		m->rx_unmatched++;
		return;
	}
	mstream_rx_rtcp(s, buf, len, src, slen, wall_us);
}

static int rx_batch(struct mux *m, int fd)
{
	for (unsigned i = 0; i < MUX_RX_BATCH; i++)
		msg_one(&m->rxm[i].msg_hdr, &m->rxiov[i], m->rxbuf[i],
			PKT_MAX, &m->rxsrc[i], sizeof(m->rxsrc[i]));
	return recvmmsg(fd, m->rxm, MUX_RX_BATCH, MSG_DONTWAIT, NULL);
}

void mux_receive(struct mthread *t, uint64_t mono_us, uint64_t wall_us,
		 bool *sig)
{
	struct mux *m = t->mux;
	uint32_t arrival_ts = (uint32_t)(mono_us * 8 / 1000);
	unsigned budget;
	int n;

	if (!m)
		return;
	if (m->dirty)
		rebuild(t, m);
	m->claims = 0;
	/* at most about four packets per stream and tick, so a flood at
	 * the port cannot hold the tick (the rest waits in the socket,
	 * which drops what does not fit) */
	budget = 4 + m->nstreams / 16;
	do {
		n = rx_batch(m, m->rtp_fd);
		for (int i = 0; i < n; i++)
			rx_one(t, m, m->rxbuf[i], m->rxm[i].msg_len,
			       &m->rxsrc[i], m->rxm[i].msg_hdr.msg_namelen,
			       arrival_ts, sig);
	} while (n == MUX_RX_BATCH && --budget);
	budget = 2 + m->nstreams / 64;
	do {
		n = rx_batch(m, m->rtcp_fd);
		for (int i = 0; i < n; i++)
			rx_rtcp_one(t, m, m->rxbuf[i], m->rxm[i].msg_len,
				    &m->rxsrc[i],
				    m->rxm[i].msg_hdr.msg_namelen, arrival_ts,
				    wall_us, sig);
	} while (n == MUX_RX_BATCH && --budget);
	atomic_store(&t->rx_unmatched, m->rx_unmatched);
	atomic_store(&t->tx_dropped, m->tx_dropped);
}

uint8_t *mux_slot(struct mux *m)
{
	if (m->ntx == MUX_TX_BATCH)
		mux_flush(m);
	return m->txbuf[m->ntx];
}

void mux_commit(struct mux *m, struct mstream *s, size_t bytes,
		size_t payload)
{
	unsigned i = m->ntx++;

	m->txs[i] = s;
	m->txpl[i] = (uint16_t)payload;
	memcpy(&m->txdst[i], &s->m.rtp_dst, s->m.rtp_dst_len);
	msg_one(&m->txm[i].msg_hdr, &m->txiov[i], m->txbuf[i], bytes,
		&m->txdst[i], s->m.rtp_dst_len);
}

void mux_flush(struct mux *m)
{
	unsigned off = 0;

	while (off < m->ntx) {
		int r = sendmmsg(m->rtp_fd, m->txm + off, m->ntx - off,
				 MSG_DONTWAIT);

		if (r <= 0) {
			/* a full socket refuses the rest; any other error
			 * is this one packet's (its destination) */
			unsigned lost = errno == EAGAIN || errno == ENOBUFS ?
				m->ntx - off : 1;

			m->tx_dropped += lost;
			off += lost;
			continue;
		}
		for (unsigned i = off; i < off + (unsigned)r; i++) {
			if (m->txpl[i] == MUX_PAYLOAD_FWD)   /* not its own */
				mstream_fwd_sent(m->txs[i],
						 m->txiov[i].iov_len);
			else
				mstream_sent(m->txs[i], m->txiov[i].iov_len,
					     m->txpl[i]);
		}
		off += (unsigned)r;
	}
	m->ntx = 0;
}
