/*
 * caucus-loadgen: brings N RTP participants into one conference through
 * SIP and measures what caucusd spends on them.
 *
 *   caucus-loadgen --target sip:demo@127.0.0.1:5060 --n 200 --pid PID
 *                  [--api http://127.0.0.1:8080] [--rate 200]
 *                  [--warmup 3] [--seconds 10] [--talkers 2]
 *                  [--targets URI,URI...] [--tones K [--check-legs M]
 *                  [--tone-spread] [--latency]] [--hold [--rejoin]
 *                  [--report-every S]]
 *
 * Signalling runs on libre's loop on the main thread: calls are placed at
 * --rate per second, each with its own SDP. Media runs on a second thread
 * that never touches libre objects: the legs share a few UDP sockets (one
 * per 128 legs), so the generator itself sends with sendmmsg and receives
 * with recvmmsg in batches and stays far cheaper than the server it
 * measures. caucusd tells legs apart by its own per-participant port.
 *
 * Measured over the window after the warm-up: caucusd's CPU time (from
 * /proc/PID/stat) per participant-frame (one participant, one 20 ms
 * frame), the mixer's own busy time and late ticks (from /v1/status),
 * packet loss (from sequence numbers, per leg) and interarrival jitter
 * (RFC 3550). Prints a table row and a RESULT line for scripts.
 *
 * For the cluster's tests (each mode off unless asked for, so the
 * figures above do not change): --targets spreads the legs over several
 * nodes (leg i dials target i % n); --tones K has K legs send tones of
 * their own and checks who hears which (tones.c: TONES line, exit 1 on a
 * failure); --hold stays up after the window until SIGTERM or SIGINT
 * (ALLUP once all are in; LIVE on SIGUSR1 or every --report-every S: who
 * still gets media; a new tone window on SIGUSR2), and --rejoin places
 * again a call that ended or whose media stopped for 3 s.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <opus/opus.h>
#include "loadgen.h"
#include "util/fdlimit.h"

static struct sip *sip;
static struct sipsess_sock *sess_sock;
struct leg *legs;
unsigned established;
static unsigned placed, failed, closed_after;
static struct tmr pace_tmr, wait_tmr;
static pthread_t media_tid;
static bool media_started, result_printed;

/* --rejoin: media stopped this long (its node died without a BYE) ends a
 * call; the first attempt waits 0.5 to 1 s (spread, so that the legs of
 * a dead node do not all call in the same tick), each failed one doubles
 * that, up to 8 s */
#define REJOIN_DEAD_US 3000000
#define REJOIN_FIRST_MS 500
#define REJOIN_MAX_MS 8000

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ---------------- signalling ---------------- */

static void hangup_all(void)
{
	for (unsigned i = 0; i < o.n; i++) {
		legs[i].sess = mem_deref(legs[i].sess);
		legs[i].sdp = mem_deref(legs[i].sdp);
		legs[i].srtp_tx = mem_deref(legs[i].srtp_tx);
		legs[i].srtp_rx = mem_deref(legs[i].srtp_rx);
		legs[i].next_tx = mem_deref(legs[i].next_tx);
		legs[i].next_rx = mem_deref(legs[i].next_rx);
	}
}

static unsigned hung;

static void exit_h(void *arg)
{
	(void)arg;
	re_cancel();
}

/* BYEs at the call rate, like the INVITEs: a thousand at once overflow
 * the server's socket buffer and wait out retransmission timers */
static void hangup_paced(void *arg)
{
	unsigned per_tick = o.rate / 100 ? o.rate / 100 : 1;

	(void)arg;
	for (unsigned k = 0; k < per_tick && hung < o.n; k++, hung++) {
		legs[hung].sess = mem_deref(legs[hung].sess);
		legs[hung].sdp = mem_deref(legs[hung].sdp);
	}
	if (hung < o.n) {
		tmr_start(&pace_tmr, 10, hangup_paced, NULL);
		return;
	}
	/* leave when every BYE transaction has ended, or after 15 s */
	sip_close(sip, false);
	tmr_start(&wait_tmr, 15000, (tmr_h *)re_cancel, NULL);
}

static void finish(void)
{
	double pf = res.frames > 0 ? res.frames : 1;

	printf("%6u %7u %9.1f %10.2f %10.2f %8.3f %8.2f %8.2f %6.0f %8.1f\n",
	       o.n, established, res.cpu_us / 1e6 * 100 / o.seconds,
	       res.cpu_us / pf, res.busy_us / pf,
	       res.expected ? 100.0 * res.lost / res.expected : 0,
	       res.jitter_ms_mean, res.jitter_ms_max, res.late_ticks,
	       res.late_p99_ms);
	printf("RESULT n=%u joined=%u failed=%u cpu_pct=%.1f us_per_pf=%.3f "
	       "mixer_us_per_pf=%.3f loss_pct=%.4f jitter_ms=%.2f "
	       "jitter_max_ms=%.2f late_ticks=%.0f late_p99_ms=%.2f "
	       "gen_late=%.0f rtcp_legs=%u xr_legs=%u srtp_unauth=%.0f\n",
	       o.n, established, failed, res.cpu_us / 1e6 * 100 / o.seconds,
	       res.cpu_us / pf, res.busy_us / pf,
	       res.expected ? 100.0 * res.lost / res.expected : 0,
	       res.jitter_ms_mean, res.jitter_ms_max, res.late_ticks,
	       res.late_p99_ms, res.tx_late, res.rtcp_legs, res.xr_legs,
	       res.unauth);
	fflush(stdout);
}

static int place_call(struct leg *l);

/* Its call is over for us: no more media, the session (a BYE if it was
 * up) and what its answer brought gone */
static void leg_drop(struct leg *l)
{
	if (l->up) {
		l->up = false;
		(void)lg_leg_post(l, false);
	}
	l->sess = mem_deref(l->sess);
	l->sdp = mem_deref(l->sdp);
	l->next_tx = mem_deref(l->next_tx);
	l->next_rx = mem_deref(l->next_rx);
}

static void rejoin_schedule(struct leg *l, bool again)
{
	unsigned b = again && l->backoff_ms ? l->backoff_ms * 2 :
		REJOIN_FIRST_MS;

	l->backoff_ms = b > REJOIN_MAX_MS ? REJOIN_MAX_MS : b;
	l->rejoin_due = true;
	l->rejoin_at_us = mono_us() + (l->backoff_ms +
				       rand_u32() % l->backoff_ms) * 1000ull;
}

/* --rejoin, every 50 ms: legs whose media stopped are dropped, and those
 * due are called again, at most at the call rate */
static void rejoin_scan(void)
{
	unsigned budget = o.rate / 20 ? o.rate / 20 : 1, dropped = 0;
	uint64_t now = mono_us();

	for (unsigned i = 0; i < o.n; i++) {
		struct leg *l = &legs[i];
		uint64_t last = atomic_load(&l->last_rx_us);

		if (!l->joined)
			continue;
		if (l->up && !l->rejoin_due &&
		    now > (last > l->on_since_us ? last : l->on_since_us) +
		    REJOIN_DEAD_US) {
			leg_drop(l);
			rejoin_schedule(l, false);
			dropped++;
		}
		if (!l->rejoin_due || now < l->rejoin_at_us || !budget)
			continue;
		budget--;
		l->rejoin_due = false;
		if (place_call(l)) {
			leg_drop(l);
			rejoin_schedule(l, true);
		}
	}
	if (dropped)
		fprintf(stderr, "loadgen: %u legs without media for %u s: "
			"calling again\n", dropped, REJOIN_DEAD_US / 1000000);
}

static void wait_media(void *arg)
{
	(void)arg;
	if (atomic_load(&window_done) && !result_printed) {
		result_printed = true;
		finish();
	}
	if (!atomic_load(&media_done)) {
		if (o.rejoin)
			rejoin_scan();
		tmr_start(&wait_tmr, 50, wait_media, NULL);
		return;
	}
	pthread_join(media_tid, NULL);
	if (o.hold)
		lg_live_report(mono_us());
	hangup_paced(NULL);
}

/* SIGTERM, SIGINT (signals.c): stop, in --hold the media thread first */
static void stop_h(void)
{
	if (media_started)
		atomic_store(&media_stop, true);
	else
		re_cancel();
}

/* The media thread with those signals blocked: they reach the loop */
static int media_start(void)
{
	sigset_t set, old;
	int err;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	err = pthread_create(&media_tid, NULL, media_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!err)
		media_started = true;
	return err;
}

static void all_up(void)
{
	uint64_t now = mono_us();

	lg_t0_us = now;
	for (unsigned i = 0; i < o.n; i++) {
		struct leg *l = &legs[i];

		l->joined = l->on = l->up;
		l->on_since_us = now;
		if (l->up && lg_port_set(&l->dst, (int)i)) {
			re_cancel();
			return;
		}
	}
	fprintf(stderr, "loadgen: %u/%u joined (%u failed), measuring "
		"%us after %us warm-up\n", established, o.n, failed,
		o.seconds, o.warmup_s);
	if (o.hold || o.tones) {
		printf("ALLUP n=%u joined=%u failed=%u\n", o.n, established,
		       failed);
		fflush(stdout);
	}
	if (o.setup) {
		int rc = system(o.setup);

		fprintf(stderr, "loadgen: setup: exit %d\n", rc);
		if (rc) {
			re_cancel();
			return;
		}
	}
	if (media_start()) {
		re_cancel();
		return;
	}
	tmr_start(&wait_tmr, 50, wait_media, NULL);
}

static void check_all(void)
{
	if (established + failed == o.n && placed == o.n)
		all_up();
}

static int answer_h(const struct sip_msg *msg, void *arg)
{
	struct leg *l = arg;
	const struct sa *ra;
	int err = sdp_decode(l->sdp, msg->mb, false);

	if (err)
		return err;
	ra = sdp_media_raddr(l->m);
	if (!sa_isset(ra, SA_ALL))
		return EPROTO;
	if (o.srtp) {
		/* the contexts made aside: once the media runs, the leg's
		 * own are the media thread's (handed over in estab_h) */
		struct leg tmp;

		memset(&tmp, 0, sizeof(tmp));
		tmp.m = l->m;
		memcpy(tmp.key, l->key, sizeof(tmp.key));
		err = lg_srtp_keys(&tmp);
		if (err)
			return err;
		mem_deref(l->next_tx);
		mem_deref(l->next_rx);
		l->next_tx = tmp.srtp_tx;
		l->next_rx = tmp.srtp_rx;
	}
	memcpy(&l->next_dst, &ra->u.in, sizeof(l->next_dst));
	if (l->self_mix)                  /* a multicast group (selfmix.c) */
		selfmix_answer(l);
	return 0;
}

static void estab_h(const struct sip_msg *msg, void *arg)
{
	struct leg *l = arg;

	(void)msg;
	if (l->up)
		return;
	l->up = true;
	if (media_started) {          /* a call placed again (--rejoin) */
		l->on_since_us = mono_us();
		l->backoff_ms = 0;
		if (lg_leg_post(l, true)) {
			leg_drop(l);
			rejoin_schedule(l, true);
			return;
		}
		atomic_fetch_add(&rejoined, 1);
		return;
	}
	l->dst = l->next_dst;
	l->srtp_tx = l->next_tx;
	l->srtp_rx = l->next_rx;
	l->next_tx = l->next_rx = NULL;
	established++;
	if (established % 100 == 0 || established == o.n)
		fprintf(stderr, "loadgen: %u joined\r", established);
	check_all();
}

static void close_h(int err, const struct sip_msg *msg, void *arg)
{
	struct leg *l = arg;

	if (o.rejoin && media_started && l->joined &&
	    !atomic_load(&media_done)) {
		/* ended by caucusd, or an attempt to come back failed */
		bool again = !l->up;

		if (l->up)
			closed_after++;
		else {
			atomic_fetch_add(&rejoin_retries, 1);
			fprintf(stderr, "loadgen: call %u again: %s %u\n",
				l->idx, strerror(err), msg ? msg->scode : 0);
		}
		leg_drop(l);
		rejoin_schedule(l, again);
		return;
	}
	if (l->up) {
		closed_after++;
		l->up = false;
		return;
	}
	if (!l->failed) {
		l->failed = true;
		failed++;
		fprintf(stderr, "loadgen: call %u failed: %s %u\n", l->idx,
			strerror(err), msg ? msg->scode : 0);
	}
	l->sess = mem_deref(l->sess);
	check_all();
}

static int place_call(struct leg *l)
{
	struct sa laddr;
	struct mbuf *offer = NULL;
	char from[64];
	int err;

	/* the leg's media socket address goes into its SDP */
	socklen_t alen = sizeof(laddr.u.in);
	if (getsockname(socks[l->sock], &laddr.u.sa, &alen))
		return errno;
	laddr.len = alen;
	/* --sdp-port-offset: the SDP names a port nobody listens on, so only
	 * symmetric RTP (the server answering where media comes from) can
	 * reach us */
	sa_set_port(&laddr, (uint16_t)(sa_port(&laddr) + o.sdp_port_offset));
	err = sdp_session_alloc(&l->sdp, &laddr);
	err = err ? err : sdp_media_add(&l->m, l->sdp, "audio",
					sa_port(&laddr),
					o.srtp ? "RTP/SAVP" : "RTP/AVP");
	if (!err && o.srtp) {
		char b64[48];
		size_t bn = sizeof(b64) - 1;

		rand_bytes(l->key, sizeof(l->key));
		err = base64_encode(l->key, sizeof(l->key), b64, &bn);
		b64[bn] = '\0';
		err = err ? err : sdp_media_set_lattr(
			l->m, false, "crypto",
			"1 AES_CM_128_HMAC_SHA1_80 inline:%s", b64);
	}
	if (!err) {
		enum media_codec c = lg_leg_codec(l->idx);
		char pt[4];

		re_snprintf(pt, sizeof(pt), "%u", (unsigned)c);
		err = sdp_format_add(NULL, l->m, false, pt,
				     lg_codec_sdp_name(c), lg_codec_clock(c),
				     c == MEDIA_OPUS ? 2 : 1, NULL, NULL,
				     NULL, false, NULL);
		/* keypad digits as RFC 4733 events, as phones offer (a
		 * G.711 caller without them has its audio searched for
		 * tones, and delayed for it) */
		err = err ? err : sdp_format_add(NULL, l->m, false, "101",
						 "telephone-event", 8000, 1,
						 NULL, NULL, NULL, false,
						 "0-15");
	}
	if (!err && l->self_mix)          /* --self-mix (selfmix.c) */
		err = sdp_media_set_lattr(l->m, false, "x-caucus-mixing",
					  "self");
	err = err ? err : sdp_encode(&offer, l->sdp, true);
	if (err)
		goto out;
	re_snprintf(from, sizeof(from), "sip:%s%u@127.0.0.1", o.user,
		    l->idx);
	err = sipsess_connect(&l->sess, sess_sock,
			      o.targets[l->idx % o.ntargets], NULL, from, "lg",
			      NULL, 0, "application/sdp", offer, NULL, NULL,
			      false, NULL, answer_h, NULL, estab_h, NULL,
			      NULL, close_h, l, "");
out:
	mem_deref(offer);
	return err;
}

static void pace(void *arg)
{
	unsigned per_tick = o.rate / 100 ? o.rate / 100 : 1;

	(void)arg;
	for (unsigned k = 0; k < per_tick && placed < o.n; k++) {
		struct leg *l = &legs[placed++];

		if (place_call(l)) {
			l->failed = true;
			failed++;
		}
	}
	/* below 100 calls a second, one call a tick at 1/rate */
	if (placed < o.n)
		tmr_start(&pace_tmr, o.rate < 100 ? 1000 / o.rate : 10, pace,
			  NULL);
	else
		check_all();
}

static void conn_h(const struct sip_msg *msg, void *arg)
{
	(void)arg;
	(void)sip_treply(NULL, sip, msg, 486, "Busy Here");
}

int main(int argc, char *argv[])
{
	struct sa laddr;
	int err;

	lg_opts_parse(argc, argv);
	if (o.codec == LG_OPUS || o.codec == LG_MIXED) {
		int e1, e2;

		/* what participants would send: 48 kHz, in-band FEC, DTX off
		 * (silence is sent as small frames, as most clients do) */
		o.enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP,
					    &e1);
		o.enc_quiet = opus_encoder_create(48000, 1,
						  OPUS_APPLICATION_VOIP, &e2);
		if (e1 != OPUS_OK || e2 != OPUS_OK)
			return 1;
		/* a WebRTC-like voice call: 32 kbit/s, voice, in-band FEC;
		 * the silent legs use DTX as browsers do in a meeting */
		for (int k = 0; k < 2; k++) {
			struct OpusEncoder *e = k ? o.enc_quiet : o.enc;

			opus_encoder_ctl(e, OPUS_SET_BITRATE(32000));
			opus_encoder_ctl(e, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
			opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(1));
		}
		opus_encoder_ctl(o.enc_quiet, OPUS_SET_DTX(1));
	}
	legs = calloc(o.n, sizeof(*legs));
	if (!legs || libre_init())
		return 1;
	{
		/* a socket pair per leg (--own-sockets) passes 1024 */
		int ok;
		unsigned max = fd_limit_raise(&ok);

		if (!ok || max < 2 * o.n + 64)
			fprintf(stderr, "loadgen: %u descriptors for %u legs: "
				"may not be enough\n", max, o.n);
	}
	legs_per_sock = o.own_sockets ? 1 : LEGS_PER_SOCK;
	for (unsigned i = 0; i < o.n; i++) {
		legs[i].idx = i;
		legs[i].sock = i / legs_per_sock;
	}
	err = tones_plan();
	err = err ? err : selfmix_plan();
	err = err ? err : open_sockets();
	sa_set_str(&laddr, "127.0.0.1", 0);
	err = err ? err : sip_alloc(&sip, NULL, 8192, 8192, 8192,
				    "caucus-loadgen", exit_h, NULL);
	err = err ? err : sip_transp_add(sip, SIP_TRANSP_UDP, &laddr);
	err = err ? err : sipsess_listen(&sess_sock, sip, 8192, conn_h, NULL);
	err = err ? err : lg_signals_init(stop_h);
	if (err) {
		fprintf(stderr, "loadgen: setup: %s\n", strerror(err));
		return 1;
	}
	tmr_init(&pace_tmr);
	tmr_init(&wait_tmr);
	if (o.janus || o.peers) {
		/* the peer: plain RTP participants of a Janus AudioBridge, or
		 * the ports of a bare echo loop (tools/udpfloor) */
		err = o.janus ? janus_join_all(o.janus) :
			lg_peers_read(o.peers);
		if (err) {
			fprintf(stderr, "loadgen: peers: %s\n", strerror(err));
			return 1;
		}
		placed = o.n;
		all_up();
	}
	else {
		tmr_start(&pace_tmr, 0, pace, NULL);
	}
	err = re_main(NULL);
	if (media_started && !atomic_load(&media_done)) {
		/* SIGTERM while the calls were being placed again */
		atomic_store(&media_stop, true);
		pthread_join(media_tid, NULL);
	}
	hangup_all();
	lg_legs_close();
	selfmix_free();
	tones_free();
	tmr_cancel(&pace_tmr);
	tmr_cancel(&wait_tmr);
	lg_signals_close();
	sess_sock = mem_deref(sess_sock);
	sip_close(sip, true);
	sip = mem_deref(sip);
	libre_close();
	free(legs);
	if (established != o.n || atomic_load(&tone_failures))
		return 1;
	/* (a run that only holds has no window to judge) */
	if (o.seconds && (!res.expected ||
			  100.0 * res.lost / res.expected > o.max_loss_pct))
		return 1;
	return 0;
}
