/*
 * caucus-loadgen: brings N RTP participants into one conference through
 * SIP and measures what caucusd spends on them.
 *
 *   caucus-loadgen --target sip:demo@127.0.0.1:5060 --n 200 --pid PID
 *                  [--api http://127.0.0.1:8080] [--rate 200]
 *                  [--warmup 3] [--seconds 10] [--talkers 2]
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
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <opus/opus.h>
#include "loadgen.h"
#include "util/fdlimit.h"

struct opts o = {
	.target = "sip:demo@127.0.0.1:5060", .api = "http://127.0.0.1:8080",
	.n = 50, .rate = 200, .warmup_s = 3, .seconds = 10, .talkers = 2,
	.max_loss_pct = 100,
};
static struct sip *sip;
static struct sipsess_sock *sess_sock;
struct leg *legs;
unsigned established;
static unsigned placed, failed, closed_after;
static struct tmr pace_tmr, wait_tmr;
static pthread_t media_tid;

/* ---------------- signalling ---------------- */

static void hangup_all(void)
{
	for (unsigned i = 0; i < o.n; i++) {
		legs[i].sess = mem_deref(legs[i].sess);
		legs[i].sdp = mem_deref(legs[i].sdp);
		legs[i].srtp_tx = mem_deref(legs[i].srtp_tx);
		legs[i].srtp_rx = mem_deref(legs[i].srtp_rx);
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

static void wait_media(void *arg)
{
	(void)arg;
	if (!atomic_load(&media_done)) {
		tmr_start(&wait_tmr, 50, wait_media, NULL);
		return;
	}
	pthread_join(media_tid, NULL);
	finish();
	hangup_paced(NULL);
}

static void all_up(void)
{
	for (unsigned i = 0; i < o.n; i++) {
		if (!legs[i].up)
			continue;
		port_to_leg[ntohs(legs[i].dst.sin_port)] = (int)i;
	}
	fprintf(stderr, "loadgen: %u/%u joined (%u failed), measuring "
		"%us after %us warm-up\n", established, o.n, failed,
		o.seconds, o.warmup_s);
	if (o.setup) {
		int rc = system(o.setup);

		fprintf(stderr, "loadgen: setup: exit %d\n", rc);
		if (rc) {
			re_cancel();
			return;
		}
	}
	if (pthread_create(&media_tid, NULL, media_main, NULL)) {
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
		err = lg_srtp_keys(l);
		if (err)
			return err;
	}
	memcpy(&l->dst, &ra->u.in, sizeof(l->dst));
	return 0;
}

static void estab_h(const struct sip_msg *msg, void *arg)
{
	struct leg *l = arg;

	(void)msg;
	if (l->up)
		return;
	l->up = true;
	established++;
	if (established % 100 == 0 || established == o.n)
		fprintf(stderr, "loadgen: %u joined\r", established);
	check_all();
}

static void close_h(int err, const struct sip_msg *msg, void *arg)
{
	struct leg *l = arg;

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
	err = err ? err : sdp_encode(&offer, l->sdp, true);
	if (err)
		goto out;
	re_snprintf(from, sizeof(from), "sip:lg%u@127.0.0.1", l->idx);
	err = sipsess_connect(&l->sess, sess_sock, o.target, NULL, from, "lg",
			      NULL, 0, "application/sdp", offer, NULL, NULL,
			      false, NULL, answer_h, NULL, estab_h, NULL,
			      NULL, close_h, l, "");
out:
	mem_deref(offer);
	return err;
}

/* --peers FILE: one UDP port on 127.0.0.1 per line, one per leg */
static int peers_read(const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned port, n = 0;

	if (!f)
		return errno;
	while (n < o.n && fscanf(f, "%u", &port) == 1 && port < 65536) {
		legs[n].dst.sin_family = AF_INET;
		legs[n].dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		legs[n].dst.sin_port = htons((uint16_t)port);
		legs[n].up = true;
		n++;
	}
	fclose(f);
	established = n;
	return n == o.n ? 0 : EINVAL;
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
	if (placed < o.n)
		tmr_start(&pace_tmr, 10, pace, NULL);
	else
		check_all();
}

static void conn_h(const struct sip_msg *msg, void *arg)
{
	(void)arg;
	(void)sip_treply(NULL, sip, msg, 486, "Busy Here");
}

static void usage(void)
{
	fprintf(stderr, "usage: caucus-loadgen --pid PID [--target URI] "
		"[--api URL] [--n N] [--rate CPS] [--warmup S] [--seconds S]"
		" [--talkers K] [--sdp-port-offset K] [--max-loss PCT]"
		" [--janus URL | --peers FILE] [--codec pcmu|g722|opus|mixed]"
		" [--own-sockets] [--srtp] [--header] [--setup CMD]\n");
	exit(2);
}

int main(int argc, char *argv[])
{
	struct sa laddr;
	int err;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--own-sockets")) {
			o.own_sockets = true;
			continue;
		}
		if (!strcmp(a, "--srtp")) {
			o.srtp = true;
			continue;
		}
		if (!strcmp(a, "--header")) {
			printf("%6s %7s %9s %10s %10s %8s %8s %8s %6s %8s\n",
			       "N", "joined", "cpu %", "us/pf", "mixer us",
			       "loss %", "jit ms", "jit max", "late",
			       "p99 late");
			return 0;
		}
		if (!v)
			usage();
		if (!strcmp(a, "--target")) o.target = v;
		else if (!strcmp(a, "--api")) o.api = v;
		else if (!strcmp(a, "--n")) o.n = (unsigned)atoi(v);
		else if (!strcmp(a, "--rate")) o.rate = (unsigned)atoi(v);
		else if (!strcmp(a, "--warmup")) o.warmup_s = (unsigned)atoi(v);
		else if (!strcmp(a, "--seconds")) o.seconds = (unsigned)atoi(v);
		else if (!strcmp(a, "--talkers")) o.talkers = (unsigned)atoi(v);
		else if (!strcmp(a, "--pid")) o.pid = atoi(v);
		else if (!strcmp(a, "--sdp-port-offset"))
			o.sdp_port_offset = (unsigned)atoi(v);
		else if (!strcmp(a, "--max-loss"))
			o.max_loss_pct = atof(v);
		else if (!strcmp(a, "--janus"))
			o.janus = v;
		else if (!strcmp(a, "--setup")) o.setup = v;
		else if (!strcmp(a, "--peers"))
			o.peers = v;
		else if (!strcmp(a, "--codec")) {
			static const char *const names[] = {
				"pcmu", "g722", "opus", "mixed"};
			unsigned c = 0;

			while (c < 4 && strcmp(v, names[c]))
				c++;
			if (c == 4)
				usage();
			o.codec = (enum lg_codec)c;
		}
		else usage();
		i++;
	}
	if (!o.n || o.n > 20000 || o.pid <= 0 || !o.seconds || !o.rate)
		usage();
	memset(port_to_leg, 0xff, sizeof(port_to_leg));
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
	err = open_sockets();
	sa_set_str(&laddr, "127.0.0.1", 0);
	err = err ? err : sip_alloc(&sip, NULL, 8192, 8192, 8192,
				    "caucus-loadgen", exit_h, NULL);
	err = err ? err : sip_transp_add(sip, SIP_TRANSP_UDP, &laddr);
	err = err ? err : sipsess_listen(&sess_sock, sip, 8192, conn_h, NULL);
	if (err) {
		fprintf(stderr, "loadgen: setup: %s\n", strerror(err));
		return 1;
	}
	tmr_init(&pace_tmr);
	tmr_init(&wait_tmr);
	if (o.janus || o.peers) {
		/* the peer: plain RTP participants of a Janus AudioBridge, or
		 * the ports of a bare echo loop (tools/udpfloor) */
		err = o.janus ? janus_join_all(o.janus) : peers_read(o.peers);
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
	hangup_all();
	tmr_cancel(&pace_tmr);
	tmr_cancel(&wait_tmr);
	sess_sock = mem_deref(sess_sock);
	sip_close(sip, true);
	sip = mem_deref(sip);
	libre_close();
	free(legs);
	if (established != o.n)
		return 1;
	if (!res.expected || 100.0 * res.lost / res.expected > o.max_loss_pct)
		return 1;
	return 0;
}
