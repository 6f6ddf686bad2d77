/*
 * caucus-loadgen --tones: who sends which tone, and who hears which.
 *
 * The K tone legs (the first K, or spread over the range with
 * --tone-spread) send a tone each, tone_hz(k); every other leg sends
 * silence. The checked legs (the tone legs and a sample of the others
 * spread over the range, --check-legs M in all) decode what caucusd sends
 * them and measure every tone's level in every 20 ms frame (Goertzel).
 * Over a window (the measurement window, and one more on each SIGUSR2 in
 * --hold) a leg hears the tones whose mean level is above HEARD_DBFS; it
 * passes when it hears every tone but its own, and a tone leg fails when
 * it hears its own (echo). The table and the TONES line are printed when
 * the window ends.
 *
 * --latency gates the tones (GATE_ON frames of each second on, all legs
 * at once) and times each onset at each checked leg: from the tick that
 * sent it to where the tone starts in what arrived, split by whether the
 * talker and the listener are served by the same node (caucusd's media
 * address): the LATENCY line.
 *
 * tones_plan runs on the main thread before the media starts; the rest on
 * the media thread.
 */
#include <complex.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <opus/opus.h>
#include "loadgen.h"

/* Heard: a mean level over the window above -40 dBFS. The mixer sums at
 * unity gain (N-1, no AGC, the limiter only past -2.5 dBFS), so a heard
 * tone arrives near the level it was sent at (-21 dBFS, -27 with 16
 * tones, 1.5 dB less gated); what is not mixed leaves only the codec's
 * noise and intermodulation in a 20 ms bin, below -60 dBFS. -40 is more
 * than 10 dB from both. An absolute level rather than one relative to
 * the off-tone bins: Opus shapes its noise floor with the signal, so a
 * relative threshold would move with the codec. */
#define HEARD_DBFS -40.0
/* --latency: onsets are timed at a tone that was under OFF_DBFS for
 * OFF_FRAMES frames and is over ON_DBFS for two */
#define ON_DBFS    -32.0
#define OFF_DBFS   -50.0
#define OFF_FRAMES 5
/* 700 ms on, 300 ms off: shorter than the 400 ms after which caucusd says
 * a participant stopped talking, so the timing is the media path's, not
 * the talk detector's */
#define GATE_ON    35
#define HIST       4
#define FRAME_MAX  320            /* 20 ms at 16 kHz */
#define LAT_MAX    100000
#define NODE_MAX   16

struct tone_rx {
	struct media_coder *mc;   /* G.722, Opus: decoded at 16 kHz */
	unsigned rate;            /* 8000 or 16000 */
	double pow[LG_MAX_TONES]; /* over the window: sum of amplitude^2 */
	unsigned frames;
	/* --latency: the last HIST frames, when each arrived, and every
	 * tone's amplitude in them (a ring at hpos) */
	int16_t hist[HIST][FRAME_MAX];
	size_t hlen[HIST];
	uint64_t hat[HIST];
	double amp[LG_MAX_TONES][HIST];
	unsigned hpos, hcount;
	uint16_t next_seq;
	unsigned quiet[LG_MAX_TONES];
	bool armed[LG_MAX_TONES];
};

static int tone_leg[LG_MAX_TONES];
static unsigned *checked, nchecked;
static uint8_t tone_pl[MEDIA_NCODECS][LG_MAX_TONES][LG_LOOP]
	[MEDIA_MAX_PAYLOAD];
static size_t tone_len[MEDIA_NCODECS][LG_MAX_TONES][LG_LOOP];
/* when each tone's last onsets left, CLOCK_REALTIME us (a ring) */
static uint64_t onset_sent[LG_MAX_TONES][4];
static unsigned onset_n[LG_MAX_TONES];
static bool collecting;
static uint64_t win_from, win_to;
static unsigned windows;

struct lat {
	float ms;
	uint8_t from, to;         /* node indexes */
};
static struct lat *lat;
static unsigned nlat;
static uint32_t node_ip[NODE_MAX];
static unsigned nnodes;

/* 430 + 150 k Hz, 430 to 2680: inside G.711's band and Opus's narrowband.
 * 150 Hz is three bins of a 20 ms frame, so a steady tone leaves nothing
 * in the others' frame-by-frame Goertzel (a rectangular window of 20 ms
 * has its nulls at multiples of 50 Hz). 430 is no multiple of 150: no
 * harmonic up to the 15th, and no sum or difference of two tones, lands
 * on another; third-order products (2a - b) do, as for any evenly spaced
 * set, but 40 dB or more under the tones. */
double tone_hz(unsigned k)
{
	return 430.0 + 150.0 * k;
}

/* Speech level, -21 dBFS, like the 500 Hz talkers; with more than eight
 * the sum of all would pass the mixer's limiter knee (24576) and the
 * limiter would add intermodulation: each a share of 24000 then */
static double tone_amp(void)
{
	return o.tones <= 8 ? 3000.0 : 24000.0 / o.tones;
}

int tones_plan(void)
{
	unsigned k = o.tones, m, others, *pool;
	int err = 0;

	for (unsigned i = 0; i < o.n; i++)
		legs[i].tone = -1;
	if (!k)
		return 0;
	for (unsigned t = 0; t < k; t++) {
		tone_leg[t] = (int)(o.tone_spread ? (size_t)t * o.n / k : t);
		legs[tone_leg[t]].tone = (int)t;
	}
	m = o.check_legs ? o.check_legs : k + 16;
	m = m > o.n ? o.n : m < k ? k : m;
	checked = calloc(m, sizeof(*checked));
	pool = calloc(o.n, sizeof(*pool));
	lat = calloc(LAT_MAX, sizeof(*lat));
	if (!checked || !pool || !lat) {
		free(pool);
		return ENOMEM;
	}
	for (unsigned t = 0; t < k; t++)
		checked[nchecked++] = (unsigned)tone_leg[t];
	others = 0;
	for (unsigned i = 0; i < o.n; i++)
		if (legs[i].tone < 0)
			pool[others++] = i;
	/* the rest spread evenly over the silent legs, first to last */
	for (unsigned j = 0; j < m - k && others; j++)
		checked[nchecked++] = pool[m - k > 1 ?
			(size_t)j * (others - 1) / (m - k - 1) : 0];
	free(pool);
	for (unsigned j = 0; j < nchecked && !err; j++) {
		struct leg *l = &legs[checked[j]];
		enum media_codec c = lg_leg_codec(l->idx);

		l->trx = calloc(1, sizeof(*l->trx));
		if (!l->trx)
			return ENOMEM;
		l->trx->rate = c == MEDIA_PCMU ? 8000 : 16000;
		if (c != MEDIA_PCMU)
			l->trx->mc = media_coder_new(c, 16000, NULL, &err);
	}
	return err;
}

void tones_free(void)
{
	for (unsigned j = 0; j < nchecked; j++) {
		struct leg *l = &legs[checked[j]];

		media_coder_free(l->trx->mc);
		free(l->trx);
		l->trx = NULL;
	}
	free(checked);
	free(lat);
}

/* One encoder's worth of state per tone: a fresh encoder is run over the
 * loop once before the loop is kept, so that its last frame leads into
 * its first as the tone does (a whole number of cycles per second) */
void tones_loops_make(enum media_codec c)
{
	unsigned ci = media_codec_index(c), rate = lg_codec_rate(c);
	unsigned n = rate / 50;

	for (unsigned k = 0; k < o.tones; k++) {
		struct media_coder *g722 = NULL;
		OpusEncoder *enc = NULL;
		int err = 0;

		if (c == MEDIA_G722)
			g722 = media_coder_new(c, 16000, NULL, &err);
		if (c == MEDIA_OPUS) {
			enc = opus_encoder_create(48000, 1,
						  OPUS_APPLICATION_VOIP, &err);
			if (enc) {
				opus_encoder_ctl(enc, OPUS_SET_BITRATE(32000));
				opus_encoder_ctl(enc, OPUS_SET_SIGNAL(
					OPUS_SIGNAL_VOICE));
				opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(1));
			}
		}
		for (unsigned pass = 0; pass < 2; pass++) {
			for (unsigned f = 0; f < LG_LOOP; f++) {
				int16_t pcm[960] = {0};
				uint8_t *dst = tone_pl[ci][k][f];
				size_t len = 0;
				bool on = !o.latency || f < GATE_ON;

				for (unsigned i = 0; on && i < n; i++)
					pcm[i] = (int16_t)(tone_amp() * sin(
						2 * M_PI * tone_hz(k) *
						(f * n + i) / rate));
				if (c == MEDIA_PCMU) {
					media_encode(c, dst, pcm, n);
					len = n;
				}
				else if (c == MEDIA_G722 && g722) {
					len = media_coder_encode(
						g722, c, dst,
						MEDIA_MAX_PAYLOAD, pcm, n);
				}
				else if (enc) {
					int r = opus_encode(
						enc, pcm, (int)n, dst,
						MEDIA_MAX_PAYLOAD);

					len = r > 0 ? (size_t)r : 0;
				}
				tone_len[ci][k][f] = len;
			}
		}
		media_coder_free(g722);
		if (enc)
			opus_encoder_destroy(enc);
	}
}

const uint8_t *tones_payload(enum media_codec c, unsigned k, unsigned pos,
			     size_t *len)
{
	unsigned ci = media_codec_index(c);

	*len = tone_len[ci][k][pos];
	return tone_pl[ci][k][pos];
}

/* Tone k's first frame of the loop (its onset) leaves now */
void tones_sent(unsigned k, uint64_t now_rt_us)
{
	onset_sent[k][onset_n[k]++ % 4] = now_rt_us;
}

void tones_leg_reset(struct leg *l)
{
	if (!l->trx)
		return;
	l->trx->hcount = 0;
	memset(l->trx->armed, 0, sizeof(l->trx->armed));
	memset(l->trx->quiet, 0, sizeof(l->trx->quiet));
}

static double amp_dbfs(double a)
{
	return 20 * log10(a / 32768.0 + 1e-12);
}

double lg_goertzel(const int16_t *x, size_t n, double hz, unsigned rate)
{
	double coef = 2 * cos(2 * M_PI * hz / rate), s1 = 0, s2 = 0, p;

	for (size_t i = 0; i < n; i++) {
		double s = x[i] + coef * s1 - s2;

		s2 = s1;
		s1 = s;
	}
	p = s1 * s1 + s2 * s2 - coef * s1 * s2;
	return p > 0 ? 2 * sqrt(p) / (double)n : 0;
}

static unsigned node_index(uint32_t ip)
{
	for (unsigned i = 0; i < nnodes; i++)
		if (node_ip[i] == ip)
			return i;
	if (nnodes == NODE_MAX)
		return NODE_MAX - 1;
	node_ip[nnodes] = ip;
	return nnodes++;
}

/* Where tone k starts in the last HIST frames of t (the oldest quiet, the
 * two newest on): the sliding 20 ms DFT at hz grows linearly from the
 * onset and is half the full amplitude half a frame after it. The time
 * of that sample: its frame's arrival plus its place in the frame. */
static bool onset_time(const struct tone_rx *t, double hz, uint64_t *at)
{
	int16_t x[HIST * FRAME_MAX];
	size_t start[HIST], total = 0, n = t->hlen[(t->hpos + HIST - 1) %
						    HIST];
	double complex w = cexp(-I * 2 * M_PI * hz / t->rate), p = 1, pl = 1;
	double complex acc = 0;
	double full;
	size_t i;

	for (unsigned h = 0; h < HIST; h++) {
		unsigned r = (t->hpos + h) % HIST;   /* oldest first */

		start[h] = total;
		memcpy(x + total, t->hist[r], t->hlen[r] * sizeof(*x));
		total += t->hlen[r];
	}
	if (n == 0 || total < 2 * n)
		return false;
	full = lg_goertzel(x + total - n, n, hz, t->rate) * (double)n / 2;
	for (i = 0; i < total; i++) {
		acc += x[i] * p;
		p *= w;
		if (i >= n) {
			acc -= x[i - n] * pl;
			pl *= w;
		}
		if (i + 1 >= n && cabs(acc) >= full / 2)
			break;
	}
	if (i == total || i + 1 < n)
		return false;
	/* the window ends after sample i; the onset half a window before */
	i = i + 1 - n / 2;
	for (unsigned h = HIST; h-- > 0;) {
		if (i >= start[h]) {
			unsigned r = (t->hpos + h) % HIST;

			*at = t->hat[r] + (uint64_t)(i - start[h]) * 1000000 /
				t->rate;
			return true;
		}
	}
	return false;
}

static void onset_check(struct leg *l, unsigned k)
{
	struct tone_rx *t = l->trx;
	unsigned last = (t->hpos + HIST - 1) % HIST;
	unsigned prev = (t->hpos + HIST - 2) % HIST;
	double now_db = amp_dbfs(t->amp[k][last]);
	uint64_t at, sent = 0;
	int64_t d;

	if (now_db < OFF_DBFS) {
		if (++t->quiet[k] >= OFF_FRAMES)
			t->armed[k] = true;
		return;
	}
	t->quiet[k] = 0;
	if (!t->armed[k] || t->hcount < HIST || now_db < ON_DBFS ||
	    amp_dbfs(t->amp[k][prev]) < ON_DBFS)
		return;
	t->armed[k] = false;
	if (!collecting || l->tone == (int)k || nlat == LAT_MAX ||
	    !onset_time(t, tone_hz(k), &at))
		return;
	for (unsigned j = 0; j < 4 && j < onset_n[k]; j++) {
		uint64_t s = onset_sent[k][(onset_n[k] - 1 - j) % 4];

		/* the latest onset sent before it arrived (a little
		 * measuring error either way allowed) */
		if (s <= at + 5000 && s > sent)
			sent = s;
	}
	d = (int64_t)at - (int64_t)sent;
	if (!sent || d < -5000 || d > 900000)
		return;
	lat[nlat].ms = d > 0 ? (float)d / 1000.0f : 0;
	lat[nlat].from = (uint8_t)node_index(
		legs[tone_leg[k]].dst.sin_addr.s_addr);
	lat[nlat].to = (uint8_t)node_index(l->dst.sin_addr.s_addr);
	nlat++;
}

void tones_rx(struct leg *l, const struct rtp_hdr *h, uint64_t at_rt_us)
{
	struct tone_rx *t = l->trx;
	enum media_codec c = lg_leg_codec(l->idx);
	int16_t pcm[FRAME_MAX * 3];
	unsigned r;
	int n;

	if (l->self_mix) {              /* by SSRC (selfmix.c) */
		selfmix_rx(l, h, collecting);
		return;
	}
	if (!t)
		return;
	if (c == MEDIA_PCMU && (h->pt == 0 || h->pt == 8))
		c = (enum media_codec)h->pt;
	else if (h->pt != (uint8_t)c)
		return;               /* telephone-event, comfort noise */
	n = media_coder_decode(t->mc, c, pcm, sizeof(pcm) / sizeof(pcm[0]),
			       h->payload, h->plen);
	if (n <= 0 || n > FRAME_MAX)
		return;
	/* a gap breaks the history onsets are timed in */
	if (h->seq != t->next_seq)
		t->hcount = 0;
	t->next_seq = (uint16_t)(h->seq + 1);
	r = t->hpos;
	memcpy(t->hist[r], pcm, (size_t)n * sizeof(*pcm));
	t->hlen[r] = (size_t)n;
	t->hat[r] = at_rt_us;
	for (unsigned k = 0; k < o.tones; k++) {
		double a = lg_goertzel(pcm, (size_t)n, tone_hz(k), t->rate);

		t->amp[k][r] = a;
		if (collecting)
			t->pow[k] += a * a;
	}
	t->frames += collecting;
	t->hpos = (r + 1) % HIST;
	if (t->hcount < HIST)
		t->hcount++;
	for (unsigned k = 0; o.latency && k < o.tones; k++)
		onset_check(l, k);
}

void tones_window(uint64_t now_us, unsigned settle_ms, unsigned len_ms)
{
	if (!o.tones)
		return;
	win_from = now_us + settle_ms * 1000ull;
	win_to = win_from + len_ms * 1000ull;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

/* p50 and p90 of the samples whose nodes are the same (same) or not */
static unsigned lat_pick(float *v, bool same, int from, int to)
{
	unsigned m = 0;

	for (unsigned i = 0; i < nlat; i++) {
		if ((lat[i].from == lat[i].to) != same)
			continue;
		if (from >= 0 && (lat[i].from != from || lat[i].to != to))
			continue;
		v[m++] = lat[i].ms;
	}
	qsort(v, m, sizeof(*v), cmp_float);
	return m;
}

static const char *ip_str(uint32_t ip, char *buf)
{
	struct in_addr a = {.s_addr = ip};

	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN) ? buf : "?";
}

static void latency_report(void)
{
	float *v = malloc((nlat + 1) * sizeof(*v));
	unsigned ns, nc;
	double s50, s90, c50, c90;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	if (!v)
		return;
	ns = lat_pick(v, true, -1, -1);
	s50 = ns ? v[ns / 2] : -1;
	s90 = ns ? v[ns * 9 / 10] : -1;
	nc = lat_pick(v, false, -1, -1);
	c50 = nc ? v[nc / 2] : -1;
	c90 = nc ? v[nc * 9 / 10] : -1;
	for (unsigned f = 0; f < nnodes; f++) {
		for (unsigned t = 0; t < nnodes; t++) {
			unsigned m = lat_pick(v, f == t, (int)f, (int)t);

			if (m)
				printf("LATPAIR from=%s to=%s n=%u "
				       "p50_ms=%.1f p90_ms=%.1f\n",
				       ip_str(node_ip[f], a),
				       ip_str(node_ip[t], b), m, v[m / 2],
				       v[m * 9 / 10]);
		}
	}
	printf("LATENCY same_n=%u same_p50_ms=%.1f same_p90_ms=%.1f "
	       "cross_n=%u cross_p50_ms=%.1f cross_p90_ms=%.1f "
	       "added_ms=%.1f\n", ns, s50, s90, nc, c50, c90,
	       ns && nc ? c50 - s50 : -1);
	free(v);
}

/* "430,880" for the tones in mask */
static char *hz_list(uint32_t mask, char *buf, size_t sz)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned k = 0; k < o.tones && used + 8 < sz; k++)
		if (mask & (1u << k))
			used += (size_t)snprintf(buf + used, sz - used,
						 "%s%.0f", used ? "," : "",
						 tone_hz(k));
	if (!used)
		snprintf(buf, sz, "-");
	return buf;
}

static void tones_report(void)
{
	unsigned ok = 0, missing = 0, echo = 0;
	char ip[INET_ADDRSTRLEN], h1[160], h2[160];

	printf("%6s %-15s %-5s %-30s %-20s %-5s %8s %8s\n", "leg", "node",
	       "codec", "heard (Hz)", "missing (Hz)", "echo", "min dB",
	       "max off");
	for (unsigned j = 0; j < nchecked; j++) {
		struct leg *l = &legs[checked[j]];
		struct tone_rx *t = l->trx;
		uint32_t heard = 0, want = 0, miss;
		double minh = 0, maxoff = -200;
		bool e;

		if (l->self_mix) {      /* its SELFMIX line instead */
			ok += selfmix_report(l);
			continue;
		}
		for (unsigned k = 0; k < o.tones; k++) {
			double db = t->frames ? 10 * log10(t->pow[k] /
				t->frames / (32768.0 * 32768.0) + 1e-12) :
				-200;

			if ((int)k != l->tone)
				want |= 1u << k;
			if (db >= HEARD_DBFS) {
				heard |= 1u << k;
				minh = db < minh ? db : minh;
			}
			else if (db > maxoff) {
				maxoff = db;
			}
		}
		miss = want & ~heard;
		e = l->tone >= 0 && (heard & (1u << l->tone));
		missing += miss != 0;
		echo += e;
		ok += !miss && !e;
		printf("%6u %-15s %-5s %-30s %-20s %-5s %8.1f %8.1f\n",
		       l->idx, ip_str(l->dst.sin_addr.s_addr, ip),
		       lg_codec_sdp_name(lg_leg_codec(l->idx)),
		       hz_list(heard, h1, sizeof(h1)),
		       hz_list(miss, h2, sizeof(h2)), e ? "ECHO" : "-",
		       heard ? minh : -200.0, maxoff);
		memset(t->pow, 0, sizeof(t->pow));
		t->frames = 0;
	}
	if (o.latency)
		latency_report();
	printf("TONES legs=%u ok=%u missing=%u echo=%u window=%u\n",
	       nchecked, ok, missing, echo, windows);
	fflush(stdout);
	if (ok != nchecked)
		atomic_fetch_add(&tone_failures, 1);
	nlat = 0;
}

void tones_tick(uint64_t now_us)
{
	if (!o.tones || !win_to)
		return;
	if (!collecting && now_us >= win_from && now_us < win_to) {
		collecting = true;
		nlat = 0;
		for (unsigned j = 0; j < nchecked; j++) {
			memset(legs[checked[j]].trx->pow, 0,
			       sizeof(legs[checked[j]].trx->pow));
			legs[checked[j]].trx->frames = 0;
		}
	}
	if (now_us >= win_to) {
		collecting = false;
		win_to = 0;
		windows++;
		tones_report();
	}
}
