/*
 * Graceful overload (docs/security.md, "Overload"): new calls are
 * admitted only while the signalling thread keeps up, the rest refused
 * at once with 503 and a Retry-After, so that the calls already taken
 * complete (their ACK and BYE are never refused here) and the refusals
 * come fast instead of after seconds in a socket queue.
 *
 * The thread's delay is measured two ways every TICK_MS:
 *   - the loop's lag: how late this timer fires (libre runs the timers
 *     after each poll round: a long round, a storm of transaction
 *     timers, an API flood all show here);
 *   - the SIP UDP socket's wait: libre reads one datagram a round, so a
 *     backlog in the kernel's queue does not show as lag. A probe (a
 *     random token and a sequence number), sent every PROBE_MS
 *     to our own SIP port from a socket of ours, joins the back of that
 *     queue; the time until our helper (ahead of every other on the
 *     transport's socket) reads it back is the wait a new INVITE sees.
 *     The first probe still out counts its age so far; one the kernel
 *     dropped is passed over by the next that comes back.
 * The larger of the two drives util/admit.c: the rate in force is the
 * lower of max_call_rate and the automatic rate it sets.
 * A quiet server (no SIP datagram and no new call or subscription since
 * the last tick, a delay under QUIET_MS, nothing limited by load) ticks
 * every IDLE_TICK_MS and probes every IDLE_PROBE_MS instead, and after
 * SLEEP_TICKS such ticks (a second) not at all: a server carrying calls with no signalling
 * (their media is the mixer's) has nothing to measure, and its wake-ups
 * only take the mixer's core and caches. The first datagram (seen by
 * the probe's helper, ahead of libre on the SIP socket) or request
 * brings back TICK_MS at once.
 *
 * A refusal is stateless (libre's sip_replyf: no transaction, no timer,
 * no dialog, no lookup, no store): a lost 503 is answered again when the
 * INVITE is retransmitted, and a retransmission of a refused INVITE is
 * refused again (struct refused). Refusals are counted and logged as a
 * summary every SUMMARY_MS at most. Signalling thread.
 */
#include <string.h>
#include "sip/overload.h"
#include "sip/sip_int.h"
#include "util/admit.h"
#include "util/log.h"

#define TICK_MS 10
#define PROBE_MS 50                /* between probes */
#define IDLE_TICK_MS 50
#define IDLE_PROBE_MS 100
#define SLEEP_TICKS 20             /* quiet ticks, then none */
#define QUIET_MS 20                /* a delay under it is quiet: admit.c
				    * acts from 50 ms (low_ms) up, and a
				    * busy machine's timers are often a
				    * few ms late */
#define SUMMARY_MS 5000
#define TOKEN_LEN 16
#define PROBE_LEN (TOKEN_LEN + 4)  /* the token, then a sequence number */
#define PROBES 64                  /* send times remembered: 3.2 s */
#define SIP_SOCKBUF (4 << 20)
#define LAYER_PROBE -50            /* ahead of the guard's helper (0) */

/* The INVITEs refused lately, by a hash of their branch and Call-ID:
 * the refusal is stateless, so a retransmission of one (sent before its
 * 503 arrived) must be refused again, never admitted: its caller has
 * taken the 503 and would never ACK the 200. Two generations of bits
 * (a Bloom filter, two bits a key), the older dropped every ROTATE_MS,
 * cover the 32 s a caller retransmits an INVITE; a new call that falls
 * on set bits (about 0.2 % at 3,000 refusals a second) is refused as
 * if it were one, which is harmless while calls are being refused. */
#define FILTER_BITS (1u << 22)          /* 512 KiB a generation */
#define ROTATE_MS 16000

struct refused {
	uint8_t *gen[2];                /* current, previous; NULL: none */
	uint64_t rotated_ms;
	bool used[2];                   /* anything set in them */
};

static void refused_key(const struct sip_msg *msg, uint32_t idx[2])
{
	uint32_t a = hash_joaat((const uint8_t *)msg->via.branch.p,
				msg->via.branch.l);
	uint32_t b = hash_joaat((const uint8_t *)msg->callid.p,
				msg->callid.l);

	idx[0] = a & (FILTER_BITS - 1);
	idx[1] = (a ^ (b * 0x9e3779b1u)) & (FILTER_BITS - 1);
}

static bool refused_has(const struct refused *r, const struct sip_msg *msg)
{
	uint32_t idx[2];

	if (!r->used[0] && !r->used[1])
		return false;               /* nothing refused lately */
	refused_key(msg, idx);
	for (int g = 0; g < 2; g++)
		if (r->used[g] && (r->gen[g][idx[0] / 8] & (1u << idx[0] % 8))
		    && (r->gen[g][idx[1] / 8] & (1u << idx[1] % 8)))
			return true;
	return false;
}

static void refused_add(struct refused *r, const struct sip_msg *msg)
{
	uint32_t idx[2];

	if (!r->gen[0]) {
		r->gen[0] = mem_zalloc(FILTER_BITS / 8, NULL);
		r->gen[1] = mem_zalloc(FILTER_BITS / 8, NULL);
		if (!r->gen[0] || !r->gen[1]) {
			r->gen[0] = mem_deref(r->gen[0]);
			r->gen[1] = mem_deref(r->gen[1]);
			return;         /* retransmissions go unrecognised */
		}
	}
	refused_key(msg, idx);
	r->gen[0][idx[0] / 8] |= (uint8_t)(1u << idx[0] % 8);
	r->gen[0][idx[1] / 8] |= (uint8_t)(1u << idx[1] % 8);
	r->used[0] = true;
}

static void refused_age(struct refused *r, uint64_t now)
{
	uint8_t *t;

	if (now - r->rotated_ms < ROTATE_MS)
		return;
	if (r->gen[0] && now - r->rotated_ms >= 2 * ROTATE_MS) {
		/* (a tick after a sleep: both are older than any
		 * retransmission) */
		memset(r->gen[0], 0, FILTER_BITS / 8);
		memset(r->gen[1], 0, FILTER_BITS / 8);
		r->used[0] = r->used[1] = false;
	}
	r->rotated_ms = now;
	if (!r->gen[0] || (!r->used[0] && !r->used[1]))
		return;
	t = r->gen[1];
	r->gen[1] = r->gen[0];
	r->used[1] = r->used[0];
	memset(t, 0, FILTER_BITS / 8);
	r->gen[0] = t;
	r->used[0] = false;
}

struct overload {
	struct focus *f;
	struct admit adm;              /* new calls */
	struct admit subs;             /* new subscriptions (and fetches):
					* their own bucket on the same
					* delay */
	struct tmr tmr;
	uint64_t due_ms;               /* when the tick should have fired */
	uint64_t probe_ms;             /* when the last probe went */
	bool idle;                     /* ticking at IDLE_TICK_MS */
	unsigned quiet_ticks;          /* idle ticks in a row */
	bool asleep;                   /* not ticking: SLEEP_TICKS quiet */
	uint64_t woken;                /* times woken from it */
	unsigned seen;                 /* datagrams and requests since the
					* last tick */
	double lag_avg_ms;             /* smoothed: one slow round is not
					* overload */
	struct udp_sock *probe_us;     /* ours: the probes' source */
	struct udp_helper *uh;         /* on the SIP transport's socket */
	struct sa dst;                 /* our own SIP UDP port */
	uint8_t token[TOKEN_LEN];
	bool no_probe;                 /* it could not be set up */
	uint32_t seq_tx, seq_rx;       /* the last probe sent, came back */
	uint64_t sent_ms[PROBES];      /* by sequence number */
	unsigned queue_ms;             /* the socket wait: the last probe's,
					* or the age of the first one still
					* out, the larger */
	unsigned rx_queue_ms;          /* the last probe's */
	struct refused refused;        /* INVITEs and SUBSCRIBEs refused
					* lately */
	uint64_t retrans_refused;      /* their retransmissions, refused
					* again (not in adm.refused) */
	uint64_t summary_ms;           /* the last summary line */
	uint64_t summary_refused;      /* calls refused at that line */
	uint64_t summary_subs;         /* subscriptions refused at it */
	bool was_limiting;
	uint64_t cut_ms;               /* adm's hold at the last debug line */
	bool was_shedding;             /* and its shedding */
};

static void destructor(void *arg)
{
	struct overload *o = arg;

	tmr_cancel(&o->tmr);
	mem_deref(o->uh);
	mem_deref(o->probe_us);
	mem_deref(o->refused.gen[0]);
	mem_deref(o->refused.gen[1]);
}

static void overload_busy(struct overload *o);

/* A probe back: its wait. One that never comes back (dropped by a full
 * socket buffer) is passed over by the next that does. */
static bool probe_recv(struct sa *src, struct mbuf *mb, void *arg)
{
	struct overload *o = arg;
	uint32_t seq;

	(void)src;
	if (mbuf_get_left(mb) != PROBE_LEN ||
	    memcmp(mbuf_buf(mb), o->token, TOKEN_LEN)) {
		overload_busy(o);         /* SIP: not idle any more */
		return false;
	}
	memcpy(&seq, mbuf_buf(mb) + TOKEN_LEN, sizeof(seq));
	if (seq - o->seq_rx - 1 < o->seq_tx - o->seq_rx) {  /* newer */
		o->seq_rx = seq;
		if (o->seq_tx - seq < PROBES)  /* its time still known */
			o->rx_queue_ms = (unsigned)(tmr_jiffies() -
					    o->sent_ms[seq % PROBES]);
	}
	return true;
}

/* The socket wait now: the last probe's, or longer if the next one has
 * been out longer than that */
static unsigned queue_wait(const struct overload *o, uint64_t now)
{
	uint32_t next = o->seq_rx + 1;
	unsigned age;

	if (o->seq_tx == o->seq_rx)
		return o->rx_queue_ms;
	if (o->seq_tx - next >= PROBES)          /* out of the ring */
		next = o->seq_tx - PROBES + 1;
	age = (unsigned)(now - o->sent_ms[next % PROBES]);
	return age > o->rx_queue_ms ? age : o->rx_queue_ms;
}

/* The helper goes on the transport's socket once the guard has learnt it
 * (udp_guard.c: libre has no other way to reach it) */
static void probe_send(struct overload *o, uint64_t now)
{
	struct focus *f = o->f;
	uint8_t pkt[PROBE_LEN];
	uint32_t seq = o->seq_tx + 1;
	struct mbuf mb;

	if (!f->udp_sock || o->no_probe)
		return;
	if (!o->uh) {
		struct sa any;

		o->dst = f->sip_laddr;
		if (sa_is_any(&o->dst))
			(void)sa_set_str(&o->dst, sa_af(&o->dst) == AF_INET6 ?
					 "::1" : "127.0.0.1",
					 sa_port(&f->sip_laddr));
		sa_init(&any, sa_af(&o->dst));
		if (udp_listen(&o->probe_us, &any, NULL, NULL) ||
		    udp_register_helper(&o->uh, f->udp_sock, LAYER_PROBE,
					NULL, probe_recv, o)) {
			log_warn("sip", "msg=\"no socket wait probe: overload "
				 "is measured by loop lag only\"");
			o->probe_us = mem_deref(o->probe_us);
			o->uh = mem_deref(o->uh);
			o->no_probe = true;
			return;
		}
		/* room for a burst (capped by net.core.rmem_max): what
		 * waits is measured and refused fast, what the kernel drops
		 * comes back as a retransmission half a second later */
		(void)udp_sockbuf_set(f->udp_sock, SIP_SOCKBUF);
		rand_bytes(o->token, sizeof(o->token));
		o->token[0] = 0;          /* never the start of SIP */
	}
	memcpy(pkt, o->token, TOKEN_LEN);
	memcpy(pkt + TOKEN_LEN, &seq, sizeof(seq));
	mbuf_init(&mb);
	mb.buf = pkt;
	mb.size = mb.end = PROBE_LEN;
	o->sent_ms[seq % PROBES] = now;
	if (!udp_send(o->probe_us, &o->dst, &mb))
		o->seq_tx = seq;
}

/* Limited by load: shedding, or an automatic rate in force (a ceiling
 * configured, max_call_rate, is not load) */
static bool by_load(const struct admit *a)
{
	return a->shedding || a->auto_rate > 0;
}

static void summary(struct overload *o, uint64_t now)
{
	uint64_t n = o->adm.refused - o->summary_refused;
	uint64_t ns = o->subs.refused - o->summary_subs;
	enum admit_state s = admit_state(&o->adm);
	enum admit_state ss = admit_state(&o->subs);

	if (now - o->summary_ms < SUMMARY_MS)
		return;
	if (n || ns)
		log_warn("sip", "msg=\"overloaded: new %s refused with 503\" "
			 "refused=%llu subscriptions_refused=%llu in_ms=%llu "
			 "state=%s rate_per_s=%u subscriptions_state=%s "
			 "subscriptions_rate_per_s=%u delay_ms=%u "
			 "lag_p99_ms=%u refused_total=%llu",
			 !ns ? "calls" : !n ? "subscriptions" :
			 "calls and subscriptions", n, ns,
			 now - o->summary_ms, admit_state_name(s),
			 (unsigned)admit_rate(&o->adm), admit_state_name(ss),
			 (unsigned)admit_rate(&o->subs), o->adm.delay_ms,
			 admit_lag_p99(&o->adm), o->adm.refused);
	else if (o->was_limiting && !by_load(&o->adm) && !by_load(&o->subs))
		log_info("sip", "msg=\"load back to normal: every new call "
			 "and subscription admitted\" refused_total=%llu "
			 "subscriptions_refused_total=%llu", o->adm.refused,
			 o->subs.refused);
	o->was_limiting = n || ns || (o->was_limiting &&
				      (by_load(&o->adm) ||
				       by_load(&o->subs)));
	o->summary_ms = now;
	o->summary_refused = o->adm.refused;
	o->summary_subs = o->subs.refused;
}

static void tick(void *arg)
{
	struct overload *o = arg;
	uint64_t now = tmr_jiffies();
	unsigned lag = now > o->due_ms ? (unsigned)(now - o->due_ms) : 0;
	unsigned delay;

	admit_lag_sample(&o->adm, lag);
	o->lag_avg_ms = 0.7 * o->lag_avg_ms + 0.3 * lag;
	if (now - o->probe_ms >= (o->idle ? IDLE_PROBE_MS : PROBE_MS)) {
		o->probe_ms = now;
		probe_send(o, now);
	}
	/* a probe that never comes back (a filter on loopback, an address
	 * we cannot reach ourselves at) would read as an ever longer wait
	 * and refuse every call: after PROBES of them, none back, the
	 * probe is given up */
	if (!o->no_probe && !o->seq_rx && o->seq_tx >= PROBES) {
		log_warn("sip", "msg=\"no socket wait probe came back: "
			 "overload is measured by loop lag only\"");
		o->no_probe = true;
		o->seq_tx = o->seq_rx;
		o->rx_queue_ms = 0;
	}
	o->queue_ms = o->no_probe ? 0 : queue_wait(o, now);
	refused_age(&o->refused, now);
	delay = (unsigned)o->lag_avg_ms;
	if (o->queue_ms > delay)
		delay = o->queue_ms;
	admit_delay(&o->adm, delay, now);
	admit_delay(&o->subs, delay, now);
	if (o->adm.hold_until_ms != o->cut_ms ||
	    o->adm.shedding != o->was_shedding) {
		/* why the rate moved down (at most once a second), or
		 * shedding began or ended */
		log_dbg("sip", "msg=\"admission %s\" rate_per_s=%u "
			"lag_ms=%u queue_ms=%u admitted=%llu",
			o->adm.shedding != o->was_shedding ?
			(o->adm.shedding ? "shedding" : "shedding over") :
			"rate cut", (unsigned)admit_rate(&o->adm), lag,
			o->queue_ms, (unsigned long long)o->adm.admitted);
		o->cut_ms = o->adm.hold_until_ms;
		o->was_shedding = o->adm.shedding;
	}
	summary(o, now);
	/* (the automatic rate comes back up only in ticks: it must be
	 * off; and refusals not yet in a summary are logged in a tick: it
	 * stays awake for them) */
	o->idle = !o->seen && lag < QUIET_MS && o->lag_avg_ms < QUIET_MS &&
		o->queue_ms < QUIET_MS && !o->was_limiting &&
		!by_load(&o->adm) && !by_load(&o->subs) &&
		o->adm.refused == o->summary_refused &&
		o->subs.refused == o->summary_subs;
	o->seen = 0;
	o->quiet_ticks = o->idle ? o->quiet_ticks + 1 : 0;
	if (o->quiet_ticks >= SLEEP_TICKS) {
		o->asleep = true;          /* until overload_busy or
					    * overload_wake */
		return;
	}
	o->due_ms = now + (o->idle ? IDLE_TICK_MS : TICK_MS);
	tmr_start(&o->tmr, o->idle ? IDLE_TICK_MS : TICK_MS, tick, o);
}

/* The next tick in pace_ms, awake (a quiet streak counted afresh) */
static void restart(struct overload *o, unsigned pace_ms)
{
	o->asleep = false;
	o->quiet_ticks = 0;
	o->due_ms = tmr_jiffies() + pace_ms;
	tmr_start(&o->tmr, pace_ms, tick, o);
}

/* Something came: a quiet tick's pace ends now, so that a burst is
 * measured from its first datagram */
static void overload_busy(struct overload *o)
{
	o->seen++;
	if (!o->idle && !o->asleep)
		return;
	o->woken += o->asleep;
	o->idle = false;
	restart(o, TICK_MS);
}

void overload_request(struct overload *o, const struct sip_msg *msg)
{
	if (o && msg->tp != SIP_TRANSP_UDP)
		overload_busy(o);
}

/* Other work (an API request) while asleep: measured again, at the
 * quiet pace, so that a flood of it shows as lag (and a lag ends the
 * quiet pace); unlike SIP it does not keep the pace at TICK_MS */
static void overload_wake(struct overload *o)
{
	if (!o->asleep)
		return;
	o->woken++;
	restart(o, IDLE_TICK_MS);
}

int overload_alloc(struct overload **op, struct focus *f,
		   unsigned max_call_rate, unsigned max_subscribe_rate)
{
	struct overload *o = mem_zalloc(sizeof(*o), destructor);
	/* SIP's T1 is 500 ms: a request that waits that long is sent
	 * again, and the load doubles. So the rate comes down once the
	 * thread is 150 ms behind, well before that, and nothing new goes
	 * in past 500 ms until it has caught up (the calls taken a hold
	 * time ago are ending, their BYEs come first). Below 150 ms a delay
	 * is a busy machine's scheduling (another process, a build, a
	 * loaded CI runner), which refusing calls would not cure. */
	struct admit_cfg cfg = {.max_rate = max_call_rate, .high_ms = 150,
				.low_ms = 50, .shed_ms = 500,
				.min_rate = 20};

	if (!o)
		return ENOMEM;
	o->f = f;
	admit_init(&o->adm, &cfg, tmr_jiffies());
	cfg.max_rate = max_subscribe_rate;
	admit_init(&o->subs, &cfg, tmr_jiffies());
	tmr_init(&o->tmr);
	o->summary_ms = tmr_jiffies();
	o->due_ms = tmr_jiffies() + TICK_MS;
	tmr_start(&o->tmr, TICK_MS, tick, o);
	*op = o;
	return 0;
}

static bool admit_msg(struct overload *o, struct admit *a,
		      const struct sip_msg *msg)
{
	overload_busy(o);
	if (refused_has(&o->refused, msg))
		o->retrans_refused++;     /* refused before: again */
	else if (admit_call(a, tmr_jiffies()))
		return true;
	else
		refused_add(&o->refused, msg);
	o->f->stats.rejected++;
	/* 1 to 4 s: retries spread rather than come back together */
	(void)sip_replyf(o->f->sip, msg, 503, "Service Unavailable "
			 "(overloaded)", "Retry-After: %u\r\n"
			 "Content-Length: 0\r\n\r\n", 1 + rand_u16() % 4);
	return false;
}

bool overload_admit(struct overload *o, const struct sip_msg *msg)
{
	return !o || admit_msg(o, &o->adm, msg);
}

bool overload_admit_sub(struct overload *o, const struct sip_msg *msg)
{
	return !o || admit_msg(o, &o->subs, msg);
}

/* The thread is far behind (shedding): new work of any kind should
 * wait. A delay past high_ms alone only limits (the API at its loaded
 * rate): on a busy machine such a delay is often the scheduler's, and
 * refusing every API request then would fail its users for nothing. */
static bool overload_behind(const struct overload *o)
{
	return o && o->adm.shedding;
}

void focus_overload_stats(const struct focus *f, struct focus_overload *st)
{
	const struct overload *o = f->ovl;

	memset(st, 0, sizeof(*st));
	st->state = "open";
	st->subs_state = "open";
	if (!o)
		return;
	st->state = admit_state_name(admit_state(&o->adm));
	st->admitted = o->adm.admitted;
	st->rejected = o->adm.refused;
	st->rate_per_s = admit_rate(&o->adm);
	st->max_call_rate = o->adm.cfg.max_rate;
	st->delay_ms = o->adm.delay_ms;
	st->queue_ms = o->queue_ms;
	st->lag_p99_ms = admit_lag_p99(&o->adm);
	st->retrans_rejected = o->retrans_refused;
	st->subs_state = admit_state_name(admit_state(&o->subs));
	st->subs_admitted = o->subs.admitted;
	st->subs_rejected = o->subs.refused;
	st->subs_rate_per_s = admit_rate(&o->subs);
	st->max_subscribe_rate = o->subs.cfg.max_rate;
	st->behind = overload_behind(o);
	st->asleep = o->asleep;
	st->woken = o->woken;
}

bool focus_admit_subscribe(struct focus *f, const struct sip_msg *msg)
{
	return !f || f->ms || overload_admit_sub(f->ovl, msg);
}

enum focus_load focus_load(struct focus *f)
{
	if (!f || !f->ovl)
		return FOCUS_LOAD_OK;
	overload_wake(f->ovl);
	if (overload_behind(f->ovl))
		return FOCUS_LOAD_BEHIND;
	/* the automatic rate (not the ceiling alone) is in force, or the
	 * thread is late */
	return f->ovl->adm.auto_rate > 0 ||
		f->ovl->adm.delay_ms > f->ovl->adm.cfg.high_ms ?
		FOCUS_LOAD_LIMITING : FOCUS_LOAD_OK;
}
