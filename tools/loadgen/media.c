/*
 * caucus-loadgen media thread: every 20 ms one RTP packet per leg, sent in
 * sendmmsg batches over a few shared sockets, and everything caucusd sends
 * back read in recvmmsg batches with kernel timestamps. Measures over the
 * window after the warm-up; with --hold it goes on after it, applying
 * what main.c posts (legs.c), until main.c sets media_stop. Never touches
 * libre objects (the SRTP contexts it is handed are only used).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <opus/opus.h>
#include "loadgen.h"
#include "media/media.h"
#include "mixer/mixer.h"

#define BATCH 256

int *socks, *rtcp_socks;
unsigned nsocks;
unsigned legs_per_sock = LEGS_PER_SOCK;
atomic_bool media_done, window_done, media_stop, live_req, tones_req;
atomic_uint rejoined, rejoin_retries, tone_failures;
struct lg_results res;

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static double proc_cpu_us(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	p = strrchr(buf, ')');     /* the name may contain spaces */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
			 "%*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) * 1e6 / (double)sysconf(_SC_CLK_TCK);
}

/* Sums busy_us, late_ticks and the tick lateness histograms (late_hist,
 * over mixer_tick_bounds_us) of the mixer threads in caucusd's /v1/status.
 * Twice per run, off the hot path. Other peers have no such counters: 0. */
static int api_mixer(double *busy_us, double *late,
		     double hist[MIXER_TICK_BUCKETS])
{
	static char buf[16384];
	char *body, *p;

	*busy_us = *late = 0;
	memset(hist, 0, MIXER_TICK_BUCKETS * sizeof(hist[0]));
	if (o.janus || o.peers || !o.pid)
		return 0;
	if (lg_http(o.api, "GET", "/v1/status", NULL, 2, buf, sizeof(buf),
		    &body)) {
		fprintf(stderr, "loadgen: %s: cannot read /v1/status\n",
			o.api);
		return -1;
	}
	if (getenv("LG_DEBUG"))
		fprintf(stderr, "status: %s\n", body);
	for (p = body; (p = strstr(p, "\"busy_us\":")); p++)
		*busy_us += atof(p + 10);
	for (p = body; (p = strstr(p, "\"late_hist\":[")); p++) {
		char *q = p + 13;

		for (unsigned b = 0; b < MIXER_TICK_BUCKETS && q; b++) {
			hist[b] += strtod(q, &q);
			q = *q == ',' ? q + 1 : NULL;
		}
	}
	for (p = body; (p = strstr(p, "\"late_ticks\":")); p++)
		*late += atof(p + 13);
	return 0;
}

/* The 99th percentile of a lateness histogram, as its bucket's upper
 * bound (ms); -1 without samples, 1000 when past the last bound */
static double p99_ms(const double *h)
{
	double total = 0, cum = 0;

	for (unsigned b = 0; b < MIXER_TICK_BUCKETS; b++)
		total += h[b];
	if (total <= 0)
		return -1;
	for (unsigned b = 0; b < MIXER_TICK_BUCKETS - 1; b++) {
		cum += h[b];
		if (cum >= 0.99 * total)
			return mixer_tick_bounds_us[b] / 1000.0;
	}
	return 1000;
}

/* ---------------- media thread ---------------- */

/* What a leg sends each tick, per codec: one frame of a 1 s loop for
 * talkers, one for the silent (G.711: the same 160 bytes every time;
 * G.722 and Opus: 50 encoded frames of the tone, and of silence) */
#define LOOP LG_LOOP
static uint8_t talk_pl[MEDIA_NCODECS][LOOP][MEDIA_MAX_PAYLOAD];
static uint8_t quiet_pl[MEDIA_NCODECS][LOOP][MEDIA_MAX_PAYLOAD];
static size_t talk_len[MEDIA_NCODECS][LOOP], quiet_len[MEDIA_NCODECS][LOOP];
static unsigned loop_pos;

static void loop_make(enum media_codec c)
{
	unsigned ci = media_codec_index(c), rate = lg_codec_rate(c);
	unsigned n = rate / 50;
	struct media_coder *g722[2] = {NULL, NULL};
	int err;

	if (c == MEDIA_OPUS) {
		/* the silent legs' encoder settles into DTX first (a second
		 * of silence), as a participant who has been quiet a while */
		int16_t zero[960] = {0};
		uint8_t sink[MEDIA_MAX_PAYLOAD];

		for (unsigned k = 0; k < LOOP; k++)
			if (opus_encode(o.enc_quiet, zero, 960, sink,
					sizeof(sink)) < 0)
				break;
	}
	if (c == MEDIA_G722) {
		g722[0] = media_coder_new(MEDIA_G722, 16000, NULL, &err);
		g722[1] = media_coder_new(MEDIA_G722, 16000, NULL, &err);
	}
	for (unsigned k = 0; k < LOOP; k++) {
		int16_t pcm[960], zero[960] = {0};

		/* a 500 Hz tone at about -20 dBFS */
		for (unsigned i = 0; i < n; i++)
			pcm[i] = (int16_t)(3000 * __builtin_sin(
				2 * 3.14159265 * 500 * (k * n + i) / rate));
		if (c == MEDIA_PCMU) {
			media_encode(MEDIA_PCMU, talk_pl[ci][k], pcm, n);
			memset(quiet_pl[ci][k], 0xff, n);
			talk_len[ci][k] = quiet_len[ci][k] = n;
		}
		else if (c == MEDIA_G722) {
			/* (the coder's encoder takes 16 kHz: its mix rate) */
			talk_len[ci][k] = media_coder_encode(
				g722[0], c, talk_pl[ci][k], MEDIA_MAX_PAYLOAD,
				pcm, n);
			quiet_len[ci][k] = media_coder_encode(
				g722[1], c, quiet_pl[ci][k], MEDIA_MAX_PAYLOAD,
				zero, n);
		}
		else {
			talk_len[ci][k] = (size_t)opus_encode(
				o.enc, pcm, (int)n, talk_pl[ci][k],
				MEDIA_MAX_PAYLOAD);
			quiet_len[ci][k] = (size_t)opus_encode(
				o.enc_quiet, zero, (int)n, quiet_pl[ci][k],
				MEDIA_MAX_PAYLOAD);
		}
		if (getenv("LG_DEBUG"))
			fprintf(stderr, "%s frame %u: talk %zu quiet %zu "
				"bytes\n", lg_codec_sdp_name(c), k,
				talk_len[ci][k], quiet_len[ci][k]);
	}
	media_coder_free(g722[0]);
	media_coder_free(g722[1]);
}

static void payloads_make(void)
{
	static const enum media_codec cs[] = {MEDIA_PCMU, MEDIA_G722,
					      MEDIA_OPUS};

	for (unsigned k = 0; k < 3; k++) {
		if (o.codec != LG_MIXED && (unsigned)o.codec != k)
			continue;
		loop_make(cs[k]);
		if (o.tones)
			tones_loops_make(cs[k]);
	}
}

static uint64_t realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void media_send(void)
{
	static struct mmsghdr msgs[BATCH];
	static struct iovec iov[BATCH][2];
	static uint8_t hdr[BATCH][RTP_HDR_LEN];
	/* --srtp: each packet whole, encrypted in place, with its tag */
	static uint8_t whole[BATCH][RTP_HDR_LEN + MEDIA_MAX_PAYLOAD + 16];

	for (unsigned s = 0; s < nsocks; s++) {
		unsigned n = 0;

		for (unsigned i = s * legs_per_sock;
		     i < o.n && i < (s + 1) * legs_per_sock; i++) {
			struct leg *l = &legs[i];
			enum media_codec c = lg_leg_codec(i);
			unsigned ci = media_codec_index(c);
			/* each leg at its own place in the loop: callers
			 * are not in step (an Opus caller in DTX sends its
			 * comfort noise when its own encoder says) */
			unsigned pos = (loop_pos + i * 7) % LOOP;
			/* with --tones only the tone legs talk */
			bool talk = !o.tones && i < o.talkers;
			size_t len = talk ? talk_len[ci][pos] :
				quiet_len[ci][pos];
			const uint8_t *pl = talk ? talk_pl[ci][pos] :
				quiet_pl[ci][pos];
			uint32_t ts = l->tx_ts;

			if (!l->on)
				continue;
			/* the tones all in step: their onsets at once */
			if (l->tone >= 0)
				pl = tones_payload(c, (unsigned)l->tone,
						   loop_pos, &len);
			l->tx_ts += lg_codec_clock(c) / 50;
			/* libopus: a packet of 2 bytes or less need not be
			 * transmitted (DTX); nothing is sent, the clock
			 * runs on */
			if (c == MEDIA_OPUS && len <= 2)
				continue;
			rtp_write_hdr(hdr[n], l->tx_seq == 0, (uint8_t)c,
				      l->tx_seq, ts, l->tx_ssrc);
			l->tx_seq++;
			iov[n][0].iov_base = hdr[n];
			iov[n][0].iov_len = RTP_HDR_LEN;
			iov[n][1].iov_base = (void *)pl;
			iov[n][1].iov_len = len;
			memset(&msgs[n], 0, sizeof(msgs[n]));
			msgs[n].msg_hdr.msg_iov = iov[n];
			msgs[n].msg_hdr.msg_iovlen = 2;
			if (l->srtp_tx && !lg_srtp_seal(l, whole[n],
							sizeof(whole[n]),
							iov[n]))
				continue;
			if (l->srtp_tx)
				msgs[n].msg_hdr.msg_iovlen = 1;
			msgs[n].msg_hdr.msg_name = &l->dst;
			msgs[n].msg_hdr.msg_namelen = sizeof(l->dst);
			n++;
		}
		/* --latency: an onset leaves now (the socket's first
		 * sendmmsg; a batch of 128 takes well under a millisecond) */
		if (o.latency && loop_pos == 0) {
			uint64_t t = realtime_us();

			for (unsigned i = s * legs_per_sock;
			     i < o.n && i < (s + 1) * legs_per_sock; i++)
				if (legs[i].tone >= 0 && legs[i].on)
					tones_sent((unsigned)legs[i].tone, t);
		}
		for (unsigned off = 0; off < n;) {
			int r = sendmmsg(socks[s], msgs + off, n - off, 0);

			if (r <= 0)
				break;
			off += (unsigned)r;
		}
	}
}

/* The kernel's receive time of a packet (SO_TIMESTAMPNS), in 8 kHz
 * units: the generator reads once per tick, so its own clock would hide
 * all jitter inside a tick. */
static uint32_t arrival_ts(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c;
	     c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (uint32_t)((uint64_t)ts.tv_sec * 8000 +
					  (uint64_t)ts.tv_nsec / 125000);
		}
	}
	return (uint32_t)(mono_us() * 8 / 1000);
}

/* The same in CLOCK_REALTIME us (--tones: an onset's arrival) */
static uint64_t arrival_rt_us(struct msghdr *mh)
{
	struct timespec ts;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c;
	     c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_TIMESTAMPNS) {
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (uint64_t)ts.tv_sec * 1000000 +
				(uint64_t)ts.tv_nsec / 1000;
		}
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Whose packet: with a socket per leg, that socket's leg; else the leg
 * whose server address and port sent it (RTP; RTCP from the port after
 * it) */
static int leg_of(unsigned sock, const struct sockaddr_in *src,
		  unsigned rtcp)
{
	struct sockaddr_in a = *src;

	if (legs_per_sock == 1)
		return sock < o.n ? (int)sock : -1;
	a.sin_port = htons((uint16_t)(ntohs(src->sin_port) - rtcp));
	return lg_port_leg(&a);
}

static void media_recv(uint64_t now_us)
{
	static struct mmsghdr msgs[BATCH];
	static struct iovec iov[BATCH];
	static uint8_t buf[BATCH][512];
	static struct sockaddr_in src[BATCH];
	static char ctl[BATCH][CMSG_SPACE(sizeof(struct timespec))];

	for (unsigned s = 0; s < nsocks; s++) {
		for (;;) {
			int n;

			for (int i = 0; i < BATCH; i++) {
				iov[i].iov_base = buf[i];
				iov[i].iov_len = sizeof(buf[i]);
				memset(&msgs[i].msg_hdr, 0,
				       sizeof(msgs[i].msg_hdr));
				msgs[i].msg_hdr.msg_iov = &iov[i];
				msgs[i].msg_hdr.msg_iovlen = 1;
				msgs[i].msg_hdr.msg_name = &src[i];
				msgs[i].msg_hdr.msg_namelen = sizeof(src[i]);
				msgs[i].msg_hdr.msg_control = ctl[i];
				msgs[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
			}
			n = recvmmsg(socks[s], msgs, BATCH, MSG_DONTWAIT,
				     NULL);
			if (n <= 0)
				break;
			for (int i = 0; i < n; i++) {
				int li = leg_of(s, &src[i], 0);
				size_t len = msgs[i].msg_len;
				struct rtp_hdr h;

				if (li < 0 ||
				    !lg_srtp_open(&legs[li], buf[i], &len,
						  false) ||
				    !rtp_parse(&h, buf[i], len))
					continue;
				lg_leg_rx(&legs[li], now_us);
				if (legs[li].trx)
					tones_rx(&legs[li], &h, arrival_rt_us(
						&msgs[i].msg_hdr));
				/* statistics at 8 kHz */
				if (lg_leg_codec((unsigned)li) == MEDIA_OPUS)
					h.ts /= 6;
				rtp_rxstat_update(&legs[li].rx, &h,
						  arrival_ts(&msgs[i].msg_hdr));
			}
			if (n < BATCH)
				break;
		}
	}
}

/* RTCP from caucusd: an SR or RR whose sender SSRC is the SSRC of the RTP
 * stream that the same caucusd port pair sends this leg */
static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		(uint32_t)b[2] << 8 | b[3];
}

/* An RFC 3611 VoIP Metrics block about the stream leg l sends, in the
 * compound packet buf */
static bool has_xr_voip(const uint8_t *buf, size_t n, const struct leg *l)
{
	for (size_t off = 0; off + 4 <= n;) {
		size_t plen = 4 + 4u * (buf[off + 2] << 8 | buf[off + 3]);

		if ((buf[off] >> 6) != 2 || off + plen > n)
			return false;
		if (buf[off + 1] == 207 && plen >= 44 && buf[off + 8] == 7 &&
		    be32(buf + off + 12) == l->tx_ssrc)
			return true;
		off += plen;
	}
	return false;
}

static void rtcp_recv(void)
{
	uint8_t buf[512];

	for (unsigned s = 0; s < nsocks; s++) {
		for (;;) {
			struct sockaddr_in src;
			socklen_t slen = sizeof(src);
			ssize_t n = recvfrom(rtcp_socks[s], buf, sizeof(buf),
					     MSG_DONTWAIT,
					     (struct sockaddr *)&src, &slen);
			size_t len;
			int li;

			if (n <= 0)
				break;
			if (n < 8 || (buf[0] >> 6) != 2 ||
			    (buf[1] != 200 && buf[1] != 201))
				continue;
			li = leg_of(s, &src, 1);
			if (li < 0 || !legs[li].rx.init ||
			    be32(buf + 4) != legs[li].rx.ssrc)
				continue;
			len = (size_t)n;
			if (!lg_srtp_open(&legs[li], buf, &len, true))
				continue;
			legs[li].rtcp_ok = true;
			if (has_xr_voip(buf, len, &legs[li]))
				legs[li].xr_ok = true;
		}
	}
}

static void window_mark(bool start)
{
	double sum_j = 0, max_j = 0;
	unsigned counted = 0;

	for (unsigned i = 0; i < o.n; i++) {
		struct leg *l = &legs[i];
		uint32_t exp = rtp_rxstat_expected(&l->rx);

		if (!l->on)
			continue;
		if (start) {
			l->win_expected = exp;
			l->win_received = l->rx.received;
			continue;
		}
		res.rtcp_legs += l->rtcp_ok;
		res.xr_legs += l->xr_ok;
		res.expected += exp - l->win_expected;
		res.lost += (double)(exp - l->win_expected) -
			(double)(l->rx.received - l->win_received);
		double j = l->rx.jitter_q4 / 16.0 / 8.0;   /* ms */
		sum_j += j;
		if (j > max_j)
			max_j = j;
		counted++;
	}
	if (!start && counted) {
		res.jitter_ms_mean = sum_j / counted;
		res.jitter_ms_max = max_j;
	}
}

/* The figures at the measurement window's start */
static struct {
	uint64_t start_us;
	double cpu0, busy0, late0, hist0[MIXER_TICK_BUCKETS];
} win;

static void window_begin(uint64_t now)
{
	win.start_us = now;
	win.cpu0 = proc_cpu_us(o.pid);
	(void)api_mixer(&win.busy0, &win.late0, win.hist0);
	window_mark(true);
}

static void window_end(uint64_t now)
{
	double busy1, late1, hist1[MIXER_TICK_BUCKETS];

	res.cpu_us = proc_cpu_us(o.pid) - win.cpu0;
	if (getenv("LG_DEBUG"))
		fprintf(stderr, "busy0=%f\n", win.busy0);
	if (!api_mixer(&busy1, &late1, hist1)) {
		if (getenv("LG_DEBUG"))
			fprintf(stderr, "busy1=%f\n", busy1);
		res.busy_us = busy1 - win.busy0;
		res.late_ticks = late1 - win.late0;
		for (unsigned b = 0; b < MIXER_TICK_BUCKETS; b++)
			hist1[b] -= win.hist0[b];
		res.late_p99_ms = p99_ms(hist1);
	}
	res.frames = (double)established * (double)(now - win.start_us) /
		20000.0;
	window_mark(false);
	atomic_store(&window_done, true);
}

/* A tone window lasts as long as the measurement window, or 3 s */
static unsigned tone_window_ms(void)
{
	return o.seconds ? o.seconds * 1000 : 3000;
}

/* What main.c asked for (signals), and LIVE every report_every_s */
static void requests(uint64_t now)
{
	static uint64_t next_live;

	if (atomic_exchange(&live_req, false) ||
	    (o.report_every_s && now >= next_live)) {
		lg_live_report(now);
		next_live = now + o.report_every_s * 1000000ull;
	}
	/* after a second for what changed to reach every leg */
	if (atomic_exchange(&tones_req, false))
		tones_window(now, 1000, tone_window_ms());
}

void *media_main(void *arg)
{
	enum { WARMUP, MEASURING, AFTER } phase = WARMUP;
	uint64_t start = mono_us();
	struct timespec next;

	(void)arg;
	payloads_make();
	res.late_p99_ms = -1;                /* unknown (not caucusd) */
	for (unsigned i = 0; i < o.n; i++) {
		legs[i].tx_ssrc = rand_u32();
		atomic_store(&legs[i].last_rx_us, start);
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		uint64_t now = mono_us();

		/* a tone window that ends now is reported before the
		 * measurement window (which it matches) ends the run */
		tones_tick(now);
		if (phase == WARMUP && now - start >= o.warmup_s * 1000000ull) {
			phase = o.seconds ? MEASURING : AFTER;
			if (o.seconds)
				window_begin(now);
			tones_window(now, 0, tone_window_ms());
		}
		if (phase == MEASURING &&
		    now - win.start_us >= o.seconds * 1000000ull) {
			window_end(now);
			phase = AFTER;
		}
		if ((phase == AFTER && !o.hold) || atomic_load(&media_stop))
			break;
		lg_legs_apply(now);
		media_send();
		loop_pos = (loop_pos + 1) % LOOP;
		media_recv(now);
		selfmix_group_recv(now);
		rtcp_recv();
		requests(now);
		next.tv_nsec += 20000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
				    NULL) == 0 && phase != AFTER) {
			struct timespec t;

			clock_gettime(CLOCK_MONOTONIC, &t);
			if ((t.tv_sec - next.tv_sec) * 1000000000LL +
			    (t.tv_nsec - next.tv_nsec) > 5000000)
				res.tx_late++;
		}
	}
	atomic_store(&media_done, true);
	return NULL;
}
