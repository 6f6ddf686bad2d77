/*
 * Per-source limits (srclimit.h). A table of the sources heard lately, by
 * IP address: each has a token bucket (rate_per_s, burst) and a count of
 * the refusals it earned within window_s. Past its rate a request is
 * refused (the caller answers 503 or 429) a few times a second, then
 * dropped without an answer: answering every packet of a flood would
 * make the server a reflector. Past `offences` refusals a source is
 * blocked for block_s: dropped, whatever it sends.
 *
 * The table is bounded (a flood of spoofed sources must not grow it
 * without end): idle entries make room, and a source that finds no room
 * goes unlimited rather than evict a blocked one. Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "util/log.h"
#include "util/srclimit.h"

#define TABLE_MAX 65536
#define BUCKETS 4096
#define EXEMPT_MAX 16
#define REFUSALS_PER_S 5      /* answered refusals a second, a source */
#define SWEEP_EVERY_MS 1000   /* a full table is swept at most this often */

struct net {
	struct sa addr;
	unsigned bits;
};

struct source {
	struct le he;
	struct sa addr;
	double tokens;
	uint64_t seen_ms;             /* the bucket's last refill */
	uint64_t refused_sec;         /* the second of refused_n */
	unsigned refused_n;
	uint64_t window_ms;           /* the start of offences' window */
	unsigned offences;
	uint64_t blocked_until_ms;
	unsigned held[2];             /* by srclimit_kind */
};

struct srclimit {
	struct srclimit_cfg cfg;
	char what[16];
	struct hash *ht;
	uint32_t seed;                /* of the address hash */
	unsigned n;
	bool swept;
	uint64_t swept_ms;            /* the last sweep of a full table */
	struct net exempt[EXEMPT_MAX];
	unsigned nexempt;
	struct net proxies[EXEMPT_MAX];
	unsigned nproxies;
	struct srclimit_stats st;
};

static uint64_t now_ms(const struct srclimit *sl)
{
	return sl->cfg.clock_ms ? sl->cfg.clock_ms() : tmr_jiffies();
}

static void source_destructor(void *arg)
{
	struct source *s = arg;

	hash_unlink(&s->he);
}

static void destructor(void *arg)
{
	struct srclimit *sl = arg;

	hash_flush(sl->ht);
	mem_deref(sl->ht);
}

/* "a.b.c.d/n" or "x::y/n" (n optional: the whole address) */
static int net_parse(struct net *n, const struct pl *pl)
{
	struct pl a = *pl, b = PL_INIT;
	const char *slash = pl_strchr(pl, '/');
	unsigned max;

	if (slash) {
		a.l = (size_t)(slash - pl->p);
		b.p = slash + 1;
		b.l = pl->l - a.l - 1;
	}
	if (sa_set(&n->addr, &a, 0))
		return EINVAL;
	max = sa_af(&n->addr) == AF_INET ? 32 : 128;
	if (!slash) {
		n->bits = max;
		return 0;
	}
	if (!b.l || b.l > 3)
		return EINVAL;
	for (size_t i = 0; i < b.l; i++)
		if (b.p[i] < '0' || b.p[i] > '9')
			return EINVAL;
	n->bits = pl_u32(&b);
	return n->bits > max ? EINVAL : 0;
}

static int nets_parse(struct net *nets, unsigned *np, const char *list)
{
	struct pl rest, item;

	if (!list)
		return 0;
	pl_set_str(&rest, list);
	while (rest.l) {
		const char *comma = pl_strchr(&rest, ',');

		item.p = rest.p;
		item.l = comma ? (size_t)(comma - rest.p) : rest.l;
		pl_advance(&rest, item.l + (comma ? 1 : 0));
		while (item.l && item.p[0] == ' ')
			pl_advance(&item, 1);
		if (!item.l)
			continue;
		if (nets && *np >= EXEMPT_MAX)
			return EINVAL;
		if (nets) {
			if (net_parse(&nets[(*np)++], &item))
				return EINVAL;
		}
		else {
			struct net n;

			if (net_parse(&n, &item))
				return EINVAL;
		}
	}
	return 0;
}

bool srclimit_exempt_valid(const char *exempt)
{
	return !nets_parse(NULL, NULL, exempt);
}

bool srclimit_proxies_valid(const char *proxies)
{
	return !nets_parse(NULL, NULL, proxies);
}

static bool in_net(const struct net *n, const struct sa *a)
{
	const uint8_t *x, *y;
	unsigned bits = n->bits;

	if (sa_af(a) != sa_af(&n->addr))
		return false;
	x = sa_af(a) == AF_INET ? (const uint8_t *)&a->u.in.sin_addr :
		(const uint8_t *)&a->u.in6.sin6_addr;
	y = sa_af(a) == AF_INET ? (const uint8_t *)&n->addr.u.in.sin_addr :
		(const uint8_t *)&n->addr.u.in6.sin6_addr;
	for (; bits >= 8; bits -= 8)
		if (*x++ != *y++)
			return false;
	return !bits || !((*x ^ *y) & (0xff00 >> bits));
}

int srclimit_alloc(struct srclimit **slp, const struct srclimit_cfg *cfg)
{
	struct srclimit *sl = mem_zalloc(sizeof(*sl), destructor);
	int err;

	if (!sl)
		return ENOMEM;
	sl->cfg = *cfg;
	re_snprintf(sl->what, sizeof(sl->what), "%s", cfg->what ? cfg->what :
		    "");
	sl->cfg.what = sl->what;
	sl->cfg.exempt = NULL;
	sl->cfg.proxies = NULL;
	err = nets_parse(sl->exempt, &sl->nexempt, cfg->exempt);
	err = err ? err : nets_parse(sl->proxies, &sl->nproxies,
				     cfg->proxies);
	err = err ? err : hash_alloc(&sl->ht, BUCKETS);
	sl->seed = rand_u32();
	if (err) {
		mem_deref(sl);
		return err;
	}
	*slp = sl;
	return 0;
}

static bool addr_cmp(struct le *le, void *arg)
{
	return sa_cmp(&((struct source *)le->data)->addr, arg, SA_ADDR);
}

/* Room for one more: the entries with nothing to remember go */
static void sweep(struct srclimit *sl, uint64_t now)
{
	uint32_t nb = hash_bsize(sl->ht);

	for (uint32_t i = 0; i < nb; i++) {
		struct le *le = list_head(hash_list(sl->ht, i));

		while (le) {
			struct source *s = le->data;

			le = le->next;
			if (s->blocked_until_ms > now || s->held[0] ||
			    s->held[1] ||
			    now - s->seen_ms < sl->cfg.window_s * 1000ull)
				continue;
			mem_deref(s);
			sl->n--;
		}
	}
}

/* The bucket key of an address: Jenkins's one-at-a-time over a random
 * seed and the address's bytes. libre's sa_hash is the address itself
 * (IPv4) or its words XORed (IPv6): a flood from sources chosen to share
 * a bucket would make every lookup walk one long chain. */
static uint32_t addr_key(const struct srclimit *sl, const struct sa *a)
{
	const uint8_t *p = sa_af(a) == AF_INET6 ?
		(const uint8_t *)&a->u.in6.sin6_addr :
		(const uint8_t *)&a->u.in.sin_addr;
	size_t n = sa_af(a) == AF_INET6 ? 16 : 4;
	uint32_t h = sl->seed;

	for (size_t i = 0; i < n; i++) {
		h += p[i];
		h += h << 10;
		h ^= h >> 6;
	}
	h += h << 3;
	h ^= h >> 11;
	h += h << 15;
	return h;
}

static struct source *source_get(struct srclimit *sl, const struct sa *a,
				 uint64_t now, bool create)
{
	uint32_t key = addr_key(sl, a);
	struct source *s = list_ledata(hash_lookup(sl->ht, key, addr_cmp,
						   (void *)a));

	if (s || !create)
		return s;
	/* a full table is swept (a walk of every entry) at most once a
	 * second: a flood of new sources that keeps it full of live ones
	 * would otherwise cost a whole walk per packet */
	if (sl->n >= TABLE_MAX &&
	    (!sl->swept || now - sl->swept_ms >= SWEEP_EVERY_MS)) {
		sweep(sl, now);
		sl->swept = true;
		sl->swept_ms = now;
		sl->st.sweeps++;
	}
	if (sl->n >= TABLE_MAX)
		return NULL;           /* full of live ones: not tracked */
	s = mem_zalloc(sizeof(*s), source_destructor);
	if (!s)
		return NULL;
	sa_cpy(&s->addr, a);
	s->tokens = sl->cfg.burst;
	s->seen_ms = now;
	s->window_ms = now;
	hash_append(sl->ht, key, &s->he, s);
	sl->n++;
	return s;
}

bool srclimit_exempt(const struct srclimit *sl, const struct sa *a)
{
	if (!sl)
		return false;
	for (unsigned i = 0; i < sl->nexempt; i++)
		if (in_net(&sl->exempt[i], a))
			return true;
	for (unsigned i = 0; i < sl->nproxies; i++)
		if (in_net(&sl->proxies[i], a))
			return true;
	return false;
}

struct via_walk {
	unsigned n;
	const struct sip_hdr *second;
};

static bool via_h(const struct sip_hdr *hdr, const struct sip_msg *msg,
		  void *arg)
{
	struct via_walk *w = arg;

	(void)msg;
	if (++w->n < 2)
		return false;
	w->second = hdr;
	return true;
}

const struct sa *srclimit_sip_src(const struct srclimit *sl,
				  const struct sip_msg *msg, struct sa *buf)
{
	struct via_walk w = {0};
	struct sip_via via;
	struct pl rcv, rport;
	bool proxy = false;
	uint16_t port;

	if (!sl || !msg)
		return msg ? &msg->src : NULL;
	for (unsigned i = 0; i < sl->nproxies && !proxy; i++)
		proxy = in_net(&sl->proxies[i], &msg->src);
	if (!proxy)
		return &msg->src;
	(void)sip_msg_hdr_apply(msg, true, SIP_HDR_VIA, via_h, &w);
	if (!w.second || sip_via_decode(&via, &w.second->val))
		return &msg->src;      /* the proxy's own request */
	port = sa_port(&via.addr) ? sa_port(&via.addr) : 5060;
	if (!msg_param_decode(&via.params, "rport", &rport) && rport.l &&
	    pl_u32(&rport) > 0 && pl_u32(&rport) < 65536)
		port = (uint16_t)pl_u32(&rport);
	if (!msg_param_decode(&via.params, "received", &rcv) &&
	    !sa_set(buf, &rcv, port))
		return buf;
	if (sa_isset(&via.addr, SA_ADDR)) {
		sa_cpy(buf, &via.addr);
		sa_set_port(buf, port);
		return buf;
	}
	return &msg->src;
}

enum srclimit_verdict srclimit_check(struct srclimit *sl,
				     const struct sa *src)
{
	uint64_t now;
	struct source *s;
	double t;

	if (!sl || srclimit_exempt(sl, src))
		return SRCLIMIT_OK;
	now = now_ms(sl);
	s = source_get(sl, src, now, sl->cfg.rate_per_s != 0);
	if (!s)
		return SRCLIMIT_OK;
	if (s->blocked_until_ms > now) {
		sl->st.dropped++;
		return SRCLIMIT_QUIET;
	}
	if (!sl->cfg.rate_per_s)
		return SRCLIMIT_OK;
	t = s->tokens + (double)(now - s->seen_ms) * sl->cfg.rate_per_s /
		1000.0;
	s->tokens = t > sl->cfg.burst ? sl->cfg.burst : t;
	s->seen_ms = now;
	if (s->tokens >= 1.0) {
		s->tokens -= 1.0;
		return SRCLIMIT_OK;
	}
	if (s->refused_sec != now / 1000) {
		s->refused_sec = now / 1000;
		s->refused_n = 0;
	}
	if (s->refused_n++ < REFUSALS_PER_S) {
		sl->st.refused++;
		return SRCLIMIT_OVER;
	}
	sl->st.dropped++;
	return SRCLIMIT_QUIET;
}

bool srclimit_blocked(struct srclimit *sl, const struct sa *src)
{
	struct source *s = sl ? source_get(sl, src, 0, false) : NULL;

	if (!s || s->blocked_until_ms <= now_ms(sl))
		return false;
	sl->st.dropped++;
	return true;
}

void srclimit_offence(struct srclimit *sl, const struct sa *src,
		      const char *why)
{
	uint64_t now;
	struct source *s;

	if (!sl || !sl->cfg.offences || srclimit_exempt(sl, src))
		return;
	now = now_ms(sl);
	s = source_get(sl, src, now, true);
	if (!s || s->blocked_until_ms > now)
		return;
	if (now - s->window_ms > sl->cfg.window_s * 1000ull) {
		s->window_ms = now;
		s->offences = 0;
	}
	if (++s->offences < sl->cfg.offences)
		return;
	s->blocked_until_ms = now + sl->cfg.block_s * 1000ull;
	s->offences = 0;
	sl->st.blocks++;
	/* one line per block, the address as src=: fail2ban's regex can
	 * take it (docs/security.md) */
	log_warn("limit", "msg=\"source blocked\" what=%s src=%j "
		 "reason=\"%u refusals in %u s, the last: %s\" block_s=%u",
		 sl->what, src, sl->cfg.offences, sl->cfg.window_s, why,
		 sl->cfg.block_s);
}

bool srclimit_take(struct srclimit *sl, const struct sa *src,
		   enum srclimit_kind kind)
{
	struct source *s;

	if (!sl || !sl->cfg.held_max[kind] || srclimit_exempt(sl, src))
		return true;
	s = source_get(sl, src, now_ms(sl), true);
	if (!s)
		return true;          /* not tracked: the table is full */
	if (s->held[kind] >= sl->cfg.held_max[kind]) {
		sl->st.held_refused[kind]++;
		return false;
	}
	s->held[kind]++;
	return true;
}

void srclimit_give(struct srclimit *sl, const struct sa *src,
		   enum srclimit_kind kind)
{
	struct source *s = sl ? source_get(sl, src, 0, false) : NULL;

	if (s && s->held[kind])
		s->held[kind]--;
}

void srclimit_conn_refused(struct srclimit *sl)
{
	if (sl)
		sl->st.conns_refused++;
}

void srclimit_stats(const struct srclimit *sl, struct srclimit_stats *st)
{
	uint64_t now;
	uint32_t nb;

	memset(st, 0, sizeof(*st));
	if (!sl)                         /* no limits: nothing counted */
		return;
	now = now_ms(sl);
	nb = hash_bsize(sl->ht);
	*st = sl->st;
	st->sources = sl->n;
	st->blocked = 0;
	for (uint32_t i = 0; i < nb; i++)
		for (struct le *le = list_head(hash_list(sl->ht, i)); le;
		     le = le->next)
			if (((struct source *)le->data)->blocked_until_ms > now)
				st->blocked++;
}
