/*
 * caucus-vidload: brings N video participants into one conference
 * through SIP and measures what caucusd spends forwarding their video
 * (switched: each receiver gets the speaker's packets, the speaker the
 * speaker before; docs/benchmarks.md, "Switched video").
 *
 *   caucus-vidload --pid PID [--target sip:bench@127.0.0.1:5060]
 *       [--n 50] [--rate 100] [--warmup 5] [--seconds 20] [--talkers 2]
 *       [--turn-ms MS] [--fps 15] [--pkts 4] [--size 1100] [--key-ms 3000]
 *       [--ab S] [--no-video | --peers FILE] [--header]
 *
 *   --talkers   legs 0..K-1 send a tone at speech level, the rest silence
 *   --turn-ms   the talkers one at a time, each for this long in turn
 *               (the speaker shown changes: a switch, a PLI, a keyframe)
 *   --fps, --pkts, --size   video frames a second, packets a frame,
 *               payload bytes a packet (15 x 4 x 1100: about 530 kbit/s,
 *               a 360p camera); a keyframe on a PLI or FIR, and at least
 *               every --key-ms
 *   --ab        the window in turns of S seconds with video on, then
 *               paused (the calls, their audio and video streams stay):
 *               the difference is what forwarding costs, measured in one
 *               process and interleaved, so that a neighbour's load
 *               drifting during the run falls on both (--seconds a
 *               multiple of 2 S)
 *   --no-video  the same calls without a video m-line: what the audio
 *               alone costs, to set beside a run with video
 *   --peers     no SIP: one UDP port on 127.0.0.1 per line, where leg i
 *               sends its video (no audio): the kernel floor,
 *               tools/udpfloor --fanout, under the same generator
 *
 * Each leg offers audio (PCMU, telephone-event) and video (RTP/AVPF, VP8
 * pt 100, rtcp-fb nack, nack pli, ccm fir), each on its own port pair:
 * caucusd tells participants apart by the port they send to. Signalling
 * runs on libre's loop on the main thread, calls placed at --rate a
 * second; media on a second thread that never touches libre objects
 * (media.c sends, rx.c reads).
 *
 * Measured over the window after the warm-up: the CPU time of PID (all
 * its threads' schedstat) and ours, the video packets the legs got
 * (what caucusd forwarded) and sent, loss from each leg's sequence
 * numbers, legs that got no video at all, keyframes asked (PLI/FIR) and
 * sent. Prints a table row and a RESULT line for scripts
 * (bench/video.sh).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vidload.h"
#include "util/fdlimit.h"

struct opts o = {
	.target = "sip:bench@127.0.0.1:5060", .n = 50, .rate = 100,
	.warmup_s = 5, .seconds = 20, .talkers = 2, .fps = 15, .pkts = 4,
	.size = 1100, .key_ms = 3000,
};
struct vleg *legs;
unsigned established;
static struct sip *sip;
static struct sipsess_sock *sess_sock;
static unsigned placed, failed, hung, ended;
static struct tmr pace_tmr, wait_tmr;
static pthread_t media_tid;

/* ---------------- the end ---------------- */

static void exit_h(void *arg)
{
	(void)arg;
	re_cancel();
}

static void leg_free(struct vleg *l)
{
	l->sess = mem_deref(l->sess);
	l->sdp = mem_deref(l->sdp);
}

/* BYEs at the call rate, like the INVITEs */
static void hangup_paced(void *arg)
{
	unsigned per_tick = o.rate / 100 ? o.rate / 100 : 1;

	(void)arg;
	for (unsigned k = 0; k < per_tick && hung < o.n; k++)
		leg_free(&legs[hung++]);
	if (hung < o.n) {
		tmr_start(&pace_tmr, 10, hangup_paced, NULL);
		return;
	}
	/* leave when every BYE transaction has ended, or after 10 s */
	if (sip)
		sip_close(sip, false);
	tmr_start(&wait_tmr, sip ? 10000 : 0, (tmr_h *)re_cancel, NULL);
}

static unsigned video_legs(void)
{
	unsigned v = 0;

	for (unsigned i = 0; i < o.n; i++)
		v += legs[i].up && legs[i].video;
	return v;
}

/* a / b, 0 when b is not positive */
static double per(double a, double b)
{
	return b > 0 ? a / b : 0;
}

/* The row and the RESULT line. cpu_pct, fwd_pps, sent_pps, us_per_pkt
 * and the generator's own (gen_*): of the phases with video on (the
 * whole window without --ab); with --ab also the paused phases' CPU and
 * video's own cost per forwarded packet, (CPU on - CPU paused) /
 * forwarded, each as a rate. Loss, legs and keyframes: the whole
 * window. */
static void finish(void)
{
	const struct vl_phase *on = &res.ph[0], *off = &res.ph[1];
	double cpu = per(on->cpu_us, on->seconds) / 1e4;
	double fwd = per(on->fwd, on->seconds);
	double off_cpu = per(off->cpu_us, off->seconds) / 1e4;
	double video_us = o.ab_s ? per((cpu - off_cpu) * 1e4, fwd) : 0;
	double gen = per(on->gen_us, on->seconds) / 1e4;
	double loss = res.expected > res.fwd ?
		100.0 * (res.expected - res.fwd) / res.expected : 0;
	int dec = res.fwd > 0 ? 2 : 0;  /* per packet: "0" with no video */

	printf("%6u %6u %7.1f %9.0f %8.*f %9.0f %7.3f %6u %7.1f %6.*f\n",
	       o.n, established, cpu, fwd, dec, per(on->cpu_us, on->fwd),
	       per(res.sent, on->seconds), loss, res.silent_legs, gen, dec,
	       per(on->gen_us, on->fwd));
	printf("RESULT n=%u joined=%u failed=%u video_legs=%u seconds=%.2f "
	       "cpu_pct=%.2f fwd_pps=%.1f sent_pps=%.1f us_per_pkt=%.3f "
	       "off_cpu_pct=%.2f video_us_per_pkt=%.3f "
	       "loss_pct=%.4f silent_legs=%u min_leg_pps=%.1f "
	       "keys_rx=%.0f kf_req=%.0f keys_sent=%.0f keys_asked=%.0f "
	       "ssrc_changes=%u audio_rx_pps=%.1f gen_cpu_pct=%.2f "
	       "gen_us_per_pkt=%.3f gen_late=%u ended=%u\n",
	       o.n, established, failed, video_legs(), res.seconds, cpu, fwd,
	       per(res.sent, on->seconds), per(on->cpu_us, on->fwd),
	       off_cpu, video_us, loss, res.silent_legs,
	       per(res.min_leg, res.seconds), res.keys_rx, res.kf_req,
	       res.keys_sent, res.keys_asked, res.ssrc_changes,
	       per(res.audio_rx, res.seconds), gen,
	       per(on->gen_us, on->fwd), res.gen_late, ended);
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
	int err;

	fprintf(stderr, "vidload: %u/%u joined (%u failed), %u with video; "
		"measuring %us after %us warm-up\n", established, o.n, failed,
		video_legs(), o.seconds, o.warmup_s);
	for (unsigned i = 0; i < o.n; i++) {
		legs[i].a_ssrc = rand_u32();
		legs[i].v_ssrc = rand_u32();
		legs[i].picid = (uint16_t)(rand_u16() & 0x7fff);
	}
	err = vl_rx_open();
	if (err || pthread_create(&media_tid, NULL, vl_media_main, NULL)) {
		fprintf(stderr, "vidload: media: %s\n", strerror(err));
		re_cancel();
		return;
	}
	tmr_start(&wait_tmr, 50, wait_media, NULL);
}

/* ---------------- signalling ---------------- */

static void check_all(void)
{
	if (established + failed == o.n && placed == o.n)
		all_up();
}

static int answer_h(const struct sip_msg *msg, void *arg)
{
	struct vleg *l = arg;
	const struct sa *ra;
	int err = sdp_decode(l->sdp, msg->mb, false);

	if (err)
		return err;
	ra = sdp_media_raddr(l->am);
	if (!sa_isset(ra, SA_ALL))
		return EPROTO;
	memcpy(&l->adst, &ra->u.in, sizeof(l->adst));
	if (!l->vm)
		return 0;
	ra = sdp_media_raddr(l->vm);
	l->video = sdp_media_rport(l->vm) && sa_isset(ra, SA_ALL) &&
		sdp_media_rformat(l->vm, "VP8");
	if (l->video)
		memcpy(&l->vdst, &ra->u.in, sizeof(l->vdst));
	return 0;
}

static void estab_h(const struct sip_msg *msg, void *arg)
{
	struct vleg *l = arg;

	(void)msg;
	if (l->up)
		return;
	l->up = true;
	established++;
	check_all();
}

static void close_h(int err, const struct sip_msg *msg, void *arg)
{
	struct vleg *l = arg;

	if (l->up) {
		/* caucusd ended a call during the run: the figures are of
		 * fewer participants than asked (said in the RESULT line;
		 * l->up stays, the media thread reads it) */
		if (!hung)
			fprintf(stderr, "vidload: call %u ended by the far "
				"end: %s\n", l->idx, strerror(err));
		ended += !hung;
		l->sess = mem_deref(l->sess);
		return;
	}
	if (!l->failed) {
		l->failed = true;
		failed++;
		fprintf(stderr, "vidload: call %u failed: %s %u\n", l->idx,
			strerror(err), msg ? msg->scode : 0);
	}
	l->sess = mem_deref(l->sess);
	check_all();
}

static int sdp_video(struct vleg *l)
{
	static const char *const fb[] = {"* nack", "* nack pli", "* ccm fir"};
	int err;

	err = sdp_media_add(&l->vm, l->sdp, "video", vl_port(l->fd[VL_VIDEO]),
			    "RTP/AVPF");
	err = err ? err : sdp_format_add(NULL, l->vm, false, "100", "VP8",
					 90000, 1, NULL, NULL, NULL, false,
					 NULL);
	for (size_t i = 0; !err && i < sizeof(fb) / sizeof(fb[0]); i++)
		err = sdp_media_set_lattr(l->vm, false, "rtcp-fb", "%s",
					  fb[i]);
	return err;
}

static int place_call(struct vleg *l)
{
	struct mbuf *offer = NULL;
	struct sa laddr;
	char from[64];
	int err;

	sa_set_str(&laddr, "127.0.0.1", vl_port(l->fd[VL_AUDIO]));
	err = sdp_session_alloc(&l->sdp, &laddr);
	err = err ? err : sdp_media_add(&l->am, l->sdp, "audio",
					sa_port(&laddr), "RTP/AVP");
	err = err ? err : sdp_format_add(NULL, l->am, false, "0", "PCMU",
					 8000, 1, NULL, NULL, NULL, false,
					 NULL);
	/* keypad digits as RFC 4733 events, as phones offer (a G.711
	 * caller without them has its audio searched for tones) */
	err = err ? err : sdp_format_add(NULL, l->am, false, "101",
					 "telephone-event", 8000, 1, NULL,
					 NULL, NULL, false, "0-15");
	if (!err && !o.no_video)
		err = sdp_video(l);
	err = err ? err : sdp_encode(&offer, l->sdp, true);
	if (err)
		goto out;
	re_snprintf(from, sizeof(from), "sip:vl%u@127.0.0.1", l->idx);
	err = sipsess_connect(&l->sess, sess_sock, o.target, NULL, from, "vl",
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
		struct vleg *l = &legs[placed++];

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

/* --peers FILE: leg i sends its video to the i-th port on 127.0.0.1 */
static int peers_read(const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned port, n = 0;

	if (!f)
		return errno;
	while (n < o.n && fscanf(f, "%u", &port) == 1 && port &&
	       port < 65536) {
		struct vleg *l = &legs[n++];

		l->vdst.sin_family = AF_INET;
		l->vdst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		l->vdst.sin_port = htons((uint16_t)port);
		l->up = l->video = true;
	}
	fclose(f);
	established = n;
	return n == o.n ? 0 : EINVAL;
}

/* ---------------- options ---------------- */

static void usage(void)
{
	fprintf(stderr, "usage: caucus-vidload --pid PID [--target URI] "
		"[--n N] [--rate CPS] [--warmup S] [--seconds S] "
		"[--talkers K] [--fps F] [--pkts P] [--size BYTES] "
		"[--key-ms MS] [--turn-ms MS] [--ab S] "
		"[--no-video | --peers FILE] [--header]\n");
	exit(2);
}

static void header(void)
{
	printf("%6s %6s %7s %9s %8s %9s %7s %6s %7s %6s\n", "N", "joined",
	       "cpu %", "fwd/s", "us/pkt", "sent/s", "loss %", "silent",
	       "gen %", "gen us");
	exit(0);
}

static void opts_parse(int argc, char *argv[])
{
	static const struct {
		const char *name;
		unsigned *val;
	} nums[] = {
		{"--n", &o.n}, {"--rate", &o.rate}, {"--warmup", &o.warmup_s},
		{"--seconds", &o.seconds}, {"--talkers", &o.talkers},
		{"--fps", &o.fps}, {"--pkts", &o.pkts}, {"--size", &o.size},
		{"--key-ms", &o.key_ms}, {"--turn-ms", &o.turn_ms},
		{"--ab", &o.ab_s},
	};

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool done = false;

		if (!strcmp(a, "--header"))
			header();
		if (!strcmp(a, "--no-video")) {
			o.no_video = true;
			continue;
		}
		if (!v)
			usage();
		for (size_t k = 0; k < sizeof(nums) / sizeof(nums[0]); k++) {
			if (!strcmp(a, nums[k].name)) {
				*nums[k].val = (unsigned)atoi(v);
				done = true;
			}
		}
		if (!strcmp(a, "--target"))
			o.target = v;
		else if (!strcmp(a, "--pid"))
			o.pid = atoi(v);
		else if (!strcmp(a, "--peers"))
			o.peers = v;
		else if (!done)
			usage();
		i++;
	}
	/* (a frame's first packet carries 14 bytes of descriptor and key
	 * frame header: --size leaves room for them) */
	if (!o.n || o.n > 5000 || o.pid <= 0 || !o.seconds || !o.rate ||
	    !o.fps || o.fps > 60 || !o.pkts || o.pkts > 32 || o.size < 32 ||
	    o.size > VL_PKT_MAX || !o.key_ms || (o.peers && o.no_video) ||
	    (o.ab_s && o.seconds % (2 * o.ab_s)))
		usage();
}

int main(int argc, char *argv[])
{
	struct sa laddr;
	int err = 0, ok;

	opts_parse(argc, argv);
	legs = calloc(o.n, sizeof(*legs));
	if (!legs || libre_init())
		return 1;
	if (fd_limit_raise(&ok) < VL_NFD * o.n + 64 || !ok)
		fprintf(stderr, "vidload: too few descriptors for %u legs?\n",
			o.n);
	for (unsigned i = 0; i < o.n && !err; i++) {
		legs[i].idx = i;
		err = vl_open_sockets(&legs[i]);
	}
	tmr_init(&pace_tmr);
	tmr_init(&wait_tmr);
	if (!err && o.peers) {
		err = peers_read(o.peers);
		placed = o.n;
		if (!err)
			all_up();
	}
	else if (!err) {
		sa_set_str(&laddr, "127.0.0.1", 0);
		err = sip_alloc(&sip, NULL, 8192, 8192, 8192,
				"caucus-vidload", exit_h, NULL);
		err = err ? err : sip_transp_add(sip, SIP_TRANSP_UDP, &laddr);
		err = err ? err : sipsess_listen(&sess_sock, sip, 8192, conn_h,
						 NULL);
		if (!err)
			tmr_start(&pace_tmr, 0, pace, NULL);
	}
	if (err) {
		fprintf(stderr, "vidload: setup: %s\n", strerror(err));
		return 1;
	}
	(void)re_main(NULL);
	for (unsigned i = 0; i < o.n; i++) {
		leg_free(&legs[i]);
		vl_close_sockets(&legs[i]);
	}
	vl_rx_close();
	tmr_cancel(&pace_tmr);
	tmr_cancel(&wait_tmr);
	sess_sock = mem_deref(sess_sock);
	if (sip)
		sip_close(sip, true);
	sip = mem_deref(sip);
	libre_close();
	ok = established == o.n && !ended && (o.no_video || res.fwd > 0);
	free(legs);
	return ok ? 0 : 1;
}
