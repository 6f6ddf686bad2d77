/*
 * caucus-vidload media thread, sending side: every leg's audio (PCMU, 20
 * ms: the first --talkers legs a 500 Hz tone at about -20 dBFS, which
 * the talker detector counts as speech, all at once or with --turn-ms
 * one at a time in turn; the others digital silence) and
 * its synthetic VP8 video (--fps frames a second of --pkts packets of
 * --size payload bytes each; no encoder: RFC 7741 payload descriptors
 * with a 15-bit picture id, and the VP8 payload header on each frame's
 * first packet, key frame when a PLI or FIR came or every --key-ms,
 * else inter). A 5 ms tick: each leg's audio every fourth (legs spread
 * over the four), each leg's frames at its own phase (spread over a
 * frame interval, as unsynchronised cameras are), then what came in
 * (rx.c). A frame's packets leave in one sendmmsg on the leg's socket.
 * Measures over the window after the warm-up, with --ab in phases with
 * video on and paused (the frames' clock runs on, nothing is sent).
 * Never touches libre objects (rand_u32 is called by main.c before the
 * thread starts).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "vidload.h"
#include "media/media.h"
#include "mixer/rtp.h"

#define TICK_US 5000
#define PKTS_MAX 32
#define HDR_MAX (RTP_HDR_LEN + 4 + 10)   /* RTP, descriptor, key header */

atomic_bool media_done;
struct vl_results res;

static uint8_t talk_pl[160], quiet_pl[160];
static uint8_t fill[VL_PKT_MAX];
static unsigned gen_late;

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The CPU time of every thread of pid, us: the sum of their
 * /proc/PID/task/TID/schedstat (nanoseconds on a CPU, where the tick
 * counts of /proc/PID/stat would add +-10 ms to each reading: too coarse
 * for --ab's 5 s phases); /proc/PID/stat where that is missing */
static double stat_cpu_us(int pid)
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

double vl_proc_cpu_us(int pid)
{
	char path[300];
	unsigned long long ns, sum = 0;
	struct dirent *e;
	unsigned n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return stat_cpu_us(pid);
	while ((e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat",
			 pid, e->d_name);
		f = fopen(path, "r");
		if (f && fscanf(f, "%llu", &ns) == 1) {
			sum += ns;
			n++;
		}
		if (f)
			fclose(f);
	}
	closedir(d);
	return n ? (double)sum / 1e3 : stat_cpu_us(pid);
}

/* ---------------- payloads ---------------- */

static void payloads_make(void)
{
	int16_t pcm[160];

	/* 500 Hz at 8 kHz: 16 samples a period, so one 20 ms frame is the
	 * whole loop */
	for (unsigned i = 0; i < 160; i++)
		pcm[i] = (int16_t)(3000 * __builtin_sin(
			2 * 3.14159265 * 500 * i / 8000));
	media_encode(MEDIA_PCMU, talk_pl, pcm, 160);
	memset(quiet_pl, 0xff, sizeof(quiet_pl));
	/* the coded bytes of a picture: anything, as long as it is not
	 * all zeros (no one decodes them) */
	for (unsigned i = 0; i < sizeof(fill); i++)
		fill[i] = (uint8_t)(i * 151 + 7);
}

/* RFC 7741 s. 4.2: X=1, S on a frame's first packet, partition 0; the
 * extension with I=1 and a 15-bit picture id (M=1) */
static size_t vp8_descriptor(uint8_t *b, bool start, uint16_t picid)
{
	b[0] = (uint8_t)(0x80 | (start ? 0x10 : 0));
	b[1] = 0x80;
	b[2] = (uint8_t)(0x80 | (picid >> 8 & 0x7f));
	b[3] = (uint8_t)(picid & 0xff);
	return 4;
}

/* RFC 6386 s. 9.1 (RFC 7741 s. 4.3): the 3-byte frame tag (P=0 for a
 * key frame, version 0, shown, the first partition's size), and on a key
 * frame the start code and a 640x360 picture's size */
static size_t vp8_header(uint8_t *b, bool key, size_t first_part)
{
	uint32_t tag = (key ? 0 : 1) | 1u << 4 |
		(uint32_t)(first_part & 0x7ffff) << 5;
	size_t n = 0;

	b[n++] = (uint8_t)tag;
	b[n++] = (uint8_t)(tag >> 8);
	b[n++] = (uint8_t)(tag >> 16);
	if (key) {
		static const uint8_t kf[7] = {0x9d, 0x01, 0x2a,
					      0x80, 0x02, 0x68, 0x01};

		memcpy(b + n, kf, sizeof(kf));
		n += sizeof(kf);
	}
	return n;
}

/* ---------------- sending ---------------- */

/* Leg l talks now: one of the first --talkers, all at once, or with
 * --turn-ms one at a time, in turn */
static bool talking(const struct vleg *l, uint64_t now)
{
	if (l->idx >= o.talkers)
		return false;
	return !o.turn_ms || l->idx == now / 1000 / o.turn_ms % o.talkers;
}

static void audio_send(struct vleg *l, uint64_t now)
{
	uint8_t hdr[RTP_HDR_LEN];
	struct iovec iov[2];
	struct msghdr mh;

	rtp_write_hdr(hdr, l->a_seq == 0, VL_PT_PCMU, l->a_seq, l->a_ts,
		      l->a_ssrc);
	l->a_seq++;
	l->a_ts += 160;
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = talking(l, now) ? talk_pl : quiet_pl;
	iov[1].iov_len = 160;
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &l->adst;
	mh.msg_namelen = sizeof(l->adst);
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	(void)sendmsg(l->fd[VL_AUDIO], &mh, MSG_DONTWAIT);
}

/* One frame of leg l: --pkts packets of --size payload bytes, the
 * marker on the last, the same timestamp and picture id on all */
static void video_frame(struct vleg *l, uint64_t now)
{
	static struct mmsghdr msgs[PKTS_MAX];
	static struct iovec iov[PKTS_MAX][2];
	static uint8_t hdr[PKTS_MAX][HDR_MAX];
	bool key = l->key_wanted || now >= l->next_key_us;
	unsigned n = o.pkts;

	for (unsigned p = 0; p < n; p++) {
		size_t h = rtp_write_hdr(hdr[p], p == n - 1, VL_PT_VP8,
					 l->v_seq++, l->v_ts, l->v_ssrc);

		h += vp8_descriptor(hdr[p] + h, p == 0, l->picid);
		if (p == 0)
			h += vp8_header(hdr[p] + h, key, o.size * n / 4);
		iov[p][0].iov_base = hdr[p];
		iov[p][0].iov_len = h;
		iov[p][1].iov_base = fill;
		iov[p][1].iov_len = o.size - (h - RTP_HDR_LEN);
		memset(&msgs[p], 0, sizeof(msgs[p]));
		msgs[p].msg_hdr.msg_name = &l->vdst;
		msgs[p].msg_hdr.msg_namelen = sizeof(l->vdst);
		msgs[p].msg_hdr.msg_iov = iov[p];
		msgs[p].msg_hdr.msg_iovlen = 2;
	}
	for (unsigned off = 0; off < n;) {
		int r = sendmmsg(l->fd[VL_VIDEO], msgs + off, n - off,
				 MSG_DONTWAIT);

		if (r <= 0)
			break;
		off += (unsigned)r;
		l->v_sent += (unsigned)r;
	}
	l->picid = (uint16_t)((l->picid + 1) & 0x7fff);
	l->v_ts += 90000 / o.fps;
	l->frames++;
	l->next_frame_us = l->frame0_us + l->frames * 1000000ull / o.fps;
	if (key) {
		l->keys_sent++;
		l->keys_asked += l->key_wanted;
		l->key_wanted = false;
		l->next_key_us = now + o.key_ms * 1000ull;
	}
}

/* --ab: the window in phases of --ab seconds, video on, off, on...;
 * the peer's CPU and what the legs got, summed per kind of phase
 * (res.ph[0] on, res.ph[1] off; without --ab one phase, on) */
static struct {
	bool off;                /* video paused now */
	uint64_t t;              /* this phase's start */
	double cpu, gen, fwd;    /* at its start */
} ph;

static double fwd_now(void)
{
	double sum = 0;

	for (unsigned i = 0; i < o.n; i++)
		sum += (double)legs[i].rx.video;
	return sum;
}

static void phase_close(uint64_t now)
{
	double cpu = vl_proc_cpu_us(o.pid), fwd = fwd_now();
	double gen = vl_proc_cpu_us(getpid());
	struct vl_phase *a = &res.ph[ph.off];

	a->cpu_us += cpu - ph.cpu;
	a->gen_us += gen - ph.gen;
	a->seconds += (double)(now - ph.t) / 1e6;
	a->fwd += fwd - ph.fwd;
	ph.t = now;
	ph.cpu = cpu;
	ph.gen = gen;
	ph.fwd = fwd;
}

/* A frame not sent (video paused): the camera's clock runs on */
static void frame_skip(struct vleg *l)
{
	l->v_ts += 90000 / o.fps;
	l->frames++;
	l->next_frame_us = l->frame0_us + l->frames * 1000000ull / o.fps;
}

static void media_send(uint64_t now, unsigned tick)
{
	for (unsigned i = 0; i < o.n; i++) {
		struct vleg *l = &legs[i];

		if (!l->up)
			continue;
		/* --peers (the floor) has no audio ports */
		if (!o.peers && i % 4 == tick % 4)
			audio_send(l, now);
		if (!l->video || o.no_video || now < l->next_frame_us)
			continue;
		if (ph.off)
			frame_skip(l);
		else
			video_frame(l, now);
	}
}

/* ---------------- the window ---------------- */

static void window_start(void)
{
	for (unsigned i = 0; i < o.n; i++) {
		legs[i].win = legs[i].rx;
		legs[i].v_sent0 = legs[i].v_sent;
		legs[i].keys_sent0 = legs[i].keys_sent;
		legs[i].keys_asked0 = legs[i].keys_asked;
	}
}

static void window_end(void)
{
	double min = -1;

	for (unsigned i = 0; i < o.n; i++) {
		const struct vleg *l = &legs[i];
		double got = (double)(l->rx.video - l->win.video);

		if (!l->up)
			continue;
		res.audio_rx += (double)(l->rx.audio - l->win.audio);
		res.kf_req += (double)(l->rx.kf_req - l->win.kf_req);
		res.ssrc_changes += l->rx.ssrc_changes - l->win.ssrc_changes;
		if (!l->video || o.no_video)
			continue;
		res.fwd += got;
		res.expected += (double)(l->rx.expected - l->win.expected);
		res.keys_rx += (double)(l->rx.keys - l->win.keys);
		res.sent += (double)(l->v_sent - l->v_sent0);
		res.keys_sent += (double)(l->keys_sent - l->keys_sent0);
		res.keys_asked += (double)(l->keys_asked - l->keys_asked0);
		if (!got)
			res.silent_legs++;
		if (min < 0 || got < min)
			min = got;
	}
	res.min_leg = min < 0 ? 0 : min;
	res.gen_late = gen_late;
}

static void tick_wait(struct timespec *next)
{
	struct timespec t;

	next->tv_nsec += TICK_US * 1000;
	if (next->tv_nsec >= 1000000000) {
		next->tv_nsec -= 1000000000;
		next->tv_sec++;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL) ==
	       EINTR)
		;
	clock_gettime(CLOCK_MONOTONIC, &t);
	if ((t.tv_sec - next->tv_sec) * 1000000000LL +
	    (t.tv_nsec - next->tv_nsec) > 5000000)
		gen_late++;
}

void *vl_media_main(void *arg)
{
	uint64_t start = mono_us(), win_start = 0;
	double cpu0 = 0, gen0 = 0;
	bool in_window = false;
	struct timespec next;
	unsigned tick = 0;

	(void)arg;
	payloads_make();
	for (unsigned i = 0; i < o.n; i++) {
		struct vleg *l = &legs[i];

		/* cameras are not in step: each leg's frames at its own
		 * phase within a frame interval; the first frame is key */
		l->frame0_us = start + 1000000ull * i / o.n / o.fps;
		l->next_frame_us = l->frame0_us;
		l->next_key_us = 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;; tick++) {
		uint64_t now = mono_us();

		if (!in_window && now - start >= o.warmup_s * 1000000ull) {
			in_window = true;
			win_start = now;
			cpu0 = vl_proc_cpu_us(o.pid);
			gen0 = vl_proc_cpu_us(getpid());
			vl_rx_poll();
			window_start();
			gen_late = 0;
			ph.t = now;
			ph.cpu = cpu0;
			ph.gen = gen0;
			ph.fwd = fwd_now();
		}
		if (in_window && o.ab_s &&
		    now - ph.t >= o.ab_s * 1000000ull) {
			vl_rx_poll();
			phase_close(now);
			ph.off = !ph.off;
		}
		if (in_window && now - win_start >= o.seconds * 1000000ull) {
			vl_rx_poll();
			phase_close(now);
			res.seconds = (double)(mono_us() - win_start) / 1e6;
			window_end();
			break;
		}
		media_send(now, tick);
		vl_rx_poll();
		tick_wait(&next);
	}
	atomic_store(&media_done, true);
	return NULL;
}

/* ---------------- sockets ---------------- */

static int bind_udp(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int buf = 1 << 20;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	if (fd >= 0) {
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	}
	return fd;
}

uint16_t vl_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	return getsockname(fd, (struct sockaddr *)&a, &len) ? 0 :
		ntohs(a.sin_port);
}

/* An RTP socket on an even port with its RTCP partner on the next one
 * (RFC 3550 s. 11), as the SDP implies without a=rtcp */
static int open_pair(int *rtp, int *rtcp)
{
	for (int tries = 0; tries < 200; tries++) {
		uint16_t p;

		*rtp = bind_udp(0);
		if (*rtp < 0)
			return errno;
		p = vl_port(*rtp);
		if (p && !(p & 1) && p < 65535 &&
		    (*rtcp = bind_udp((uint16_t)(p + 1))) >= 0)
			return 0;
		close(*rtp);
	}
	return EADDRINUSE;
}

int vl_open_sockets(struct vleg *l)
{
	int err;

	for (unsigned k = 0; k < VL_NFD; k++)
		l->fd[k] = -1;
	err = open_pair(&l->fd[VL_AUDIO], &l->fd[VL_AUDIO_RTCP]);
	err = err ? err : open_pair(&l->fd[VL_VIDEO], &l->fd[VL_VIDEO_RTCP]);
	return err;
}

void vl_close_sockets(struct vleg *l)
{
	for (unsigned k = 0; k < VL_NFD; k++) {
		if (l->fd[k] >= 0)
			close(l->fd[k]);
		l->fd[k] = -1;
	}
}
