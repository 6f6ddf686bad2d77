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
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <re.h>
#include "mixer/rtp.h"

#define LEGS_PER_SOCK 128
#define BATCH 256
#define FRAME_BYTES 160

struct leg {
	struct sipsess *sess;
	struct sdp_session *sdp;
	struct sdp_media *m;
	struct sockaddr_in dst;
	unsigned idx, sock;
	bool up, failed;
	/* media thread only */
	uint16_t tx_seq;
	uint32_t tx_ts, tx_ssrc;
	struct rtp_rxstat rx;
	uint32_t win_expected, win_received;
};

struct opts {
	const char *target;
	const char *api;
	unsigned n, rate, warmup_s, seconds, talkers;
	unsigned sdp_port_offset;    /* advertise a port we do not use */
	double max_loss_pct;         /* exit 1 above this (tests) */
	int pid;
};

static struct opts o = {
	.target = "sip:demo@127.0.0.1:5060", .api = "http://127.0.0.1:8080",
	.n = 50, .rate = 200, .warmup_s = 3, .seconds = 10, .talkers = 2,
	.max_loss_pct = 100,
};
static struct sip *sip;
static struct sipsess_sock *sess_sock;
static struct leg *legs;
static unsigned placed, established, failed, closed_after;
static int *socks;
static unsigned nsocks;
static int port_to_leg[65536];
static struct tmr pace_tmr, wait_tmr;
static atomic_bool media_done;
static pthread_t media_tid;

/* ---- results, filled by the media thread ---- */
static struct {
	double cpu_us, busy_us, frames, lost, expected, jitter_ms_mean,
		jitter_ms_max, late_ticks, tx_late;
} res;

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

/* Sums busy_us and late_ticks over the mixer threads in /v1/status. A
 * plain blocking GET: it runs twice per run, off the hot path. */
static int api_mixer(double *busy_us, double *late)
{
	char host[64] = "127.0.0.1", req[256], buf[8192];
	unsigned port = 8080;
	struct sockaddr_in a = {.sin_family = AF_INET};
	size_t got = 0;
	ssize_t r;
	char *p;
	int fd;

	if (sscanf(o.api, "http://%63[^:]:%u", host, &port) < 1) {
		fprintf(stderr, "loadgen: bad --api %s\n", o.api);
		return -1;
	}
	a.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		fprintf(stderr, "loadgen: %s: %s\n", o.api, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(req, sizeof(req), "GET /v1/status HTTP/1.1\r\nHost: %s\r\n"
		 "Connection: close\r\n\r\n", host);
	if (write(fd, req, strlen(req)) < 0) {
		close(fd);
		return -1;
	}
	/* libre's server keeps the connection open: read up to the end of
	 * the body that Content-Length announces */
	struct timeval tv = {.tv_sec = 2};
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (got < sizeof(buf) - 1 &&
	       (r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0) {
		char *hend, *cl;

		got += (size_t)r;
		buf[got] = '\0';
		hend = strstr(buf, "\r\n\r\n");
		cl = strstr(buf, "Content-Length:");
		if (hend && cl && got >= (size_t)(hend + 4 - buf) +
		    strtoul(cl + 15, NULL, 10))
			break;
	}
	close(fd);
	buf[got] = '\0';
	if (getenv("LG_DEBUG"))
		fprintf(stderr, "status: %s\n", buf);
	*busy_us = *late = 0;
	for (p = buf; (p = strstr(p, "\"busy_us\":")); p++)
		*busy_us += atof(p + 10);
	for (p = buf; (p = strstr(p, "\"late_ticks\":")); p++)
		*late += atof(p + 13);
	return 0;
}

/* ---------------- media thread ---------------- */

static void media_send(uint8_t *payload_talk, uint8_t *payload_quiet)
{
	static struct mmsghdr msgs[BATCH];
	static struct iovec iov[BATCH][2];
	static uint8_t hdr[BATCH][RTP_HDR_LEN];

	for (unsigned s = 0; s < nsocks; s++) {
		unsigned n = 0;

		for (unsigned i = s * LEGS_PER_SOCK;
		     i < o.n && i < (s + 1) * LEGS_PER_SOCK; i++) {
			struct leg *l = &legs[i];

			if (!l->up)
				continue;
			rtp_write_hdr(hdr[n], l->tx_seq == 0, 0, l->tx_seq,
				      l->tx_ts, l->tx_ssrc);
			l->tx_seq++;
			l->tx_ts += FRAME_BYTES;
			iov[n][0].iov_base = hdr[n];
			iov[n][0].iov_len = RTP_HDR_LEN;
			iov[n][1].iov_base = i < o.talkers ? payload_talk :
				payload_quiet;
			iov[n][1].iov_len = FRAME_BYTES;
			memset(&msgs[n], 0, sizeof(msgs[n]));
			msgs[n].msg_hdr.msg_iov = iov[n];
			msgs[n].msg_hdr.msg_iovlen = 2;
			msgs[n].msg_hdr.msg_name = &l->dst;
			msgs[n].msg_hdr.msg_namelen = sizeof(l->dst);
			n++;
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

static void media_recv(void)
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
				int li = port_to_leg[ntohs(src[i].sin_port)];
				struct rtp_hdr h;

				if (li < 0 || !rtp_parse(&h, buf[i],
							 msgs[i].msg_len))
					continue;
				rtp_rxstat_update(&legs[li].rx, &h,
						  arrival_ts(&msgs[i].msg_hdr));
			}
			if (n < BATCH)
				break;
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

		if (!l->up)
			continue;
		if (start) {
			l->win_expected = exp;
			l->win_received = l->rx.received;
			continue;
		}
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

static void *media_main(void *arg)
{
	uint8_t talk[FRAME_BYTES], quiet[FRAME_BYTES];
	uint64_t start = mono_us(), win_start = 0;
	double cpu0 = 0, busy0 = 0, late0 = 0;
	struct timespec next;
	bool in_window = false;
	unsigned ticks = 0;

	(void)arg;
	for (unsigned i = 0; i < FRAME_BYTES; i++) {
		/* a 500 Hz tone at about -20 dBFS, mu-law coded once */
		double v = 3000 * __builtin_sin(2 * 3.14159265 * 500 * i /
						8000.0);
		int s = (int)v, sign = s < 0 ? 0x80 : 0, e = 7;

		if (s < 0)
			s = -s;
		s += 0x84;
		while (e > 0 && !(s & (0x4000 >> (7 - e))))
			e--;
		talk[i] = (uint8_t)~(sign | e << 4 | ((s >> (e + 3)) & 15));
		quiet[i] = 0xff;
	}
	for (unsigned i = 0; i < o.n; i++)
		legs[i].tx_ssrc = rand_u32();
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		uint64_t now = mono_us();

		if (!in_window && now - start >= o.warmup_s * 1000000ull) {
			in_window = true;
			win_start = now;
			cpu0 = proc_cpu_us(o.pid);
			(void)api_mixer(&busy0, &late0);
			window_mark(true);
			ticks = 0;
		}
		if (in_window &&
		    now - win_start >= o.seconds * 1000000ull) {
			double busy1, late1;

			res.cpu_us = proc_cpu_us(o.pid) - cpu0;
			if (getenv("LG_DEBUG"))
				fprintf(stderr, "busy0=%f\n", busy0);
			if (!api_mixer(&busy1, &late1)) {
				if (getenv("LG_DEBUG"))
					fprintf(stderr, "busy1=%f\n", busy1);
				res.busy_us = busy1 - busy0;
				res.late_ticks = late1 - late0;
			}
			res.frames = (double)established *
				(double)(now - win_start) / 20000.0;
			window_mark(false);
			break;
		}
		media_send(talk, quiet);
		media_recv();
		ticks++;
		next.tv_nsec += 20000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
				    NULL) == 0) {
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

/* ---------------- signalling ---------------- */

static void hangup_all(void)
{
	for (unsigned i = 0; i < o.n; i++) {
		legs[i].sess = mem_deref(legs[i].sess);
		legs[i].sdp = mem_deref(legs[i].sdp);
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

	printf("%6u %7u %9.1f %10.2f %10.2f %8.3f %8.2f %8.2f %6.0f\n",
	       o.n, established, res.cpu_us / 1e6 * 100 / o.seconds,
	       res.cpu_us / pf, res.busy_us / pf,
	       res.expected ? 100.0 * res.lost / res.expected : 0,
	       res.jitter_ms_mean, res.jitter_ms_max, res.late_ticks);
	printf("RESULT n=%u joined=%u failed=%u cpu_pct=%.1f us_per_pf=%.3f "
	       "mixer_us_per_pf=%.3f loss_pct=%.4f jitter_ms=%.2f "
	       "jitter_max_ms=%.2f late_ticks=%.0f gen_late=%.0f\n",
	       o.n, established, failed, res.cpu_us / 1e6 * 100 / o.seconds,
	       res.cpu_us / pf, res.busy_us / pf,
	       res.expected ? 100.0 * res.lost / res.expected : 0,
	       res.jitter_ms_mean, res.jitter_ms_max, res.late_ticks,
	       res.tx_late);
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
					sa_port(&laddr), "RTP/AVP");
	err = err ? err : sdp_format_add(NULL, l->m, false, "0", "PCMU", 8000,
					 1, NULL, NULL, NULL, false, NULL);
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

static int open_sockets(void)
{
	nsocks = (o.n + LEGS_PER_SOCK - 1) / LEGS_PER_SOCK;
	socks = calloc(nsocks, sizeof(*socks));
	if (!socks)
		return ENOMEM;
	for (unsigned s = 0; s < nsocks; s++) {
		struct sockaddr_in a = {.sin_family = AF_INET};
		int rcv = 4 << 20, on = 1;

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		socks[s] = socket(AF_INET, SOCK_DGRAM, 0);
		if (socks[s] < 0 ||
		    bind(socks[s], (struct sockaddr *)&a, sizeof(a)))
			return errno;
		(void)setsockopt(socks[s], SOL_SOCKET, SO_RCVBUF, &rcv,
				 sizeof(rcv));
		(void)setsockopt(socks[s], SOL_SOCKET, SO_SNDBUF, &rcv,
				 sizeof(rcv));
		(void)setsockopt(socks[s], SOL_SOCKET, SO_TIMESTAMPNS, &on,
				 sizeof(on));
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: caucus-loadgen --pid PID [--target URI] "
		"[--api URL] [--n N] [--rate CPS] [--warmup S] [--seconds S]"
		" [--talkers K] [--sdp-port-offset K] [--max-loss PCT]"
		" [--header]\n");
	exit(2);
}

int main(int argc, char *argv[])
{
	struct sa laddr;
	int err;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--header")) {
			printf("%6s %7s %9s %10s %10s %8s %8s %8s %6s\n", "N",
			       "joined", "cpu %", "us/pf", "mixer us", "loss %",
			       "jit ms", "jit max", "late");
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
		else usage();
		i++;
	}
	if (!o.n || o.n > 20000 || o.pid <= 0 || !o.seconds || !o.rate)
		usage();
	memset(port_to_leg, 0xff, sizeof(port_to_leg));
	legs = calloc(o.n, sizeof(*legs));
	if (!legs || libre_init())
		return 1;
	for (unsigned i = 0; i < o.n; i++) {
		legs[i].idx = i;
		legs[i].sock = i / LEGS_PER_SOCK;
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
	tmr_start(&pace_tmr, 0, pace, NULL);
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
