/*
 * caucus-vidpeer: a SIP video test peer for the integration tests. It
 * places one call and sends audio (PCMU), video (a solid colour picture,
 * encoded and packetized by src/video) and, on request, H.224 far-end
 * camera control; it decodes the video it receives and logs what it saw,
 * one line per event, for a test script to read.
 *
 *   caucus-vidpeer --target sip:CONF@127.0.0.1:PORT [--from NAME]
 *       [--codec vp8|h264|vp9|none] [--color Y,U,V] [--size 320x180]
 *       [--fps 15] [--kbps 300] [--tone HZ] [--fecc] [--no-fb] [--grid N]
 *       [--log FILE] [--seconds N]
 *
 *   --from      the caller's user part (sip:NAME@127.0.0.1; vidpeer)
 *   --codec     the one video codec offered: VP8 pt 100, H264 pt 102
 *               (packetization-mode=1, profile-level-id=42e01f), VP9
 *               pt 98; none: audio only (default vp8)
 *   --color     the picture sent, in YUV (128,128,128)
 *   --size, --fps, --kbps   the picture's size, rate and the encoder's
 *               target (320x180, 15, 300)
 *   --tone      the tone sent while talking, at -20 dBFS (440)
 *   --fecc      offers m=application RTP/AVP 107 (H224/4800)
 *   --no-fb     video as RTP/AVP without a=rtcp-fb (else RTP/AVPF with
 *               nack, nack pli, ccm fir, goog-remb)
 *   --log       the log (else stdout)
 *   --seconds   hangs up after N seconds (else runs until quit or BYE)
 *   --grid      each picture's N x N cells' mean colours too (a composed
 *               layout's tiles)
 *
 * Commands on stdin, one a line (a test writes them into a FIFO; a FIFO
 * or pipe given as stdin is opened again read-write so that writers may
 * come and go without an end of file; a socket or terminal is read as
 * it is, anything else not at all):
 *   talk on|off         the tone, or silence (20 ms PCMU packets always)
 *   color Y,U,V         the picture sent from the next frame on
 *   video on|off        our video packets stop and start (the m-line
 *                       stays; "on" starts with a keyframe)
 *   pli                 a PLI for the video we receive
 *   fecc ACTION [N]     one H.224 frame (h224_action_parse's names:
 *                       pan_left, zoom_in, stop, preset N, ...)
 *   reinvite video on|off   a re-INVITE with the video m-line back, or
 *                       at port 0 (our video stops at once)
 *   quit                BYE, exit when it completes
 * Each is acknowledged by a "cmd" line; pli, fecc and reinvite need the
 * call up (call state=established), else they answer ok=0.
 *
 * The log (--log truncates FILE), one event a line of key=value words,
 * flushed at once; t: ms since the start (monotonic):
 *   start t=0 mono_ms=                     the start, CLOCK_MONOTONIC ms
 *   call state=established video=VP8|H264|VP9|none pt=N
 *        fb=nack,pli,fir,tmmbr,remb|none fecc=0|1 dir=sendrecv|...
 *        what the answer gave (video=none pt=0 fb=none: port 0, or no
 *        codec of ours); state=updated after each later answer or offer
 *   call state=failed code=N reason=".."   (code 0: no final answer)
 *   kfreq t= kind=pli|fir                  a keyframe asked of us
 *   keyframe_sent t= bytes=                any keyframe we sent
 *   frame t= ssrc=0x.. key=0|1 w= h= y= u= v= [grid=y:u:v/...]  (--grid)
 *        each picture decoded; y, u, v: its mean, rounded
 *   rtp t= event=ssrc_change|seq_gap|ts_back from= to=
 *        seq_gap also for a late or repeated packet (to <= from)
 *   rtcp t= kind=pli|fir|nack|remb|tmmbr value=
 *        pli, fir: the media SSRC (fir: seq= too); nack: the packet id
 *        (blp= too); remb, tmmbr: bit/s; kind=malformed value=LEN: a
 *        compound packet vpkt_rtcp_walk refused
 *   pli_sent t= ssrc=0x.. why=loss|decode|cmd
 *   fecc t= action=NAME [n=N]              an H.224 frame received
 *        (h224_print's words; error="..": one that did not parse)
 *   fecc_sent t= action=NAME [n=N]
 *   cmd t= line=".." ok=1                  (or ok=0 err="..")
 *   bye t= by=us|them                      (by=us timeout=1: no answer
 *                                          to our BYE in 10 s)
 *   summary rx_video_packets= frames= keyframes= ssrc_changes= seq_gaps=
 *        ts_back= decode_errors= plis_sent= kfreqs= rx_audio_packets=
 *        always the last line
 * Exit: 0 after a clean end (quit, --seconds, SIGTERM, their BYE), 1 when
 * the call failed (or was never answered), 2 on bad arguments.
 *
 * Everything runs on libre's loop on the main thread (vidpeer.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "vidpeer.h"

uint64_t vp_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t vp_ms(const struct vidpeer *vp)
{
	return (vp_now_us() - vp->t0_us) / 1000;
}

void vp_logt(struct vidpeer *vp, const char *what, const char *fmt, ...)
{
	va_list ap;

	re_fprintf(vp->log, "%s t=%llu ", what,
		   (unsigned long long)vp_ms(vp));
	va_start(ap, fmt);
	re_vfprintf(vp->log, fmt, ap);
	va_end(ap);
	fputc('\n', vp->log);
	fflush(vp->log);
}

void vp_log(struct vidpeer *vp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	re_vfprintf(vp->log, fmt, ap);
	va_end(ap);
	fputc('\n', vp->log);
	fflush(vp->log);
}

void vp_finish(struct vidpeer *vp, int code)
{
	vp->exit_code = code;
	re_cancel();
}

/* ---------------- commands ---------------- */

static int on_off(const char *arg, bool *on)
{
	if (!strcmp(arg, "on"))
		*on = true;
	else if (!strcmp(arg, "off"))
		*on = false;
	else
		return EINVAL;
	return 0;
}

static int parse_color(const char *s, uint8_t c[3])
{
	unsigned y, u, v;
	char end;

	if (sscanf(s, "%u,%u,%u%c", &y, &u, &v, &end) != 3 ||
	    y > 255 || u > 255 || v > 255)
		return EINVAL;
	c[0] = (uint8_t)y;
	c[1] = (uint8_t)u;
	c[2] = (uint8_t)v;
	return 0;
}

static int cmd_talk(struct vidpeer *vp, const char *arg)
{
	return on_off(arg, &vp->talking);
}

static int cmd_color(struct vidpeer *vp, const char *arg)
{
	uint8_t c[3];
	int err = parse_color(arg, c);

	if (!err)
		video_set_color(vp, c[0], c[1], c[2]);
	return err;
}

static int cmd_video(struct vidpeer *vp, const char *arg)
{
	bool on;
	int err = on_off(arg, &on);

	return err ? err : video_set_sending(vp, on);
}

static int cmd_pli(struct vidpeer *vp, const char *arg)
{
	if (*arg)
		return EINVAL;
	return video_send_pli(vp);
}

static int cmd_fecc(struct vidpeer *vp, const char *arg)
{
	char name[32];
	unsigned n = 0;
	int k = sscanf(arg, "%31s %u", name, &n);

	if (k < 1)
		return EINVAL;
	return media_fecc_send(vp, name, n);
}

static int cmd_reinvite(struct vidpeer *vp, const char *arg)
{
	bool on;

	if (strncmp(arg, "video ", 6) || on_off(arg + 6, &on))
		return EINVAL;
	return sip_reinvite_video(vp, on);
}

static int cmd_quit(struct vidpeer *vp, const char *arg)
{
	sip_call_end(vp);
	return 0;
}

static const struct cmd {
	const char *name;
	int (*h)(struct vidpeer *vp, const char *arg);
	const char *help;
} cmds[] = {
	{"talk", cmd_talk, "talk on|off      the tone, or silence"},
	{"color", cmd_color, "color Y,U,V      the picture sent"},
	{"video", cmd_video, "video on|off     our video packets"},
	{"pli", cmd_pli, "pli              a PLI for what we receive"},
	{"fecc", cmd_fecc, "fecc ACTION [N]  one H.224 camera command"},
	{"reinvite", cmd_reinvite,
	 "reinvite video on|off  the video m-line back, or at port 0"},
	{"quit", cmd_quit, "quit             BYE, then exit"},
};

static void command(struct vidpeer *vp, char *line)
{
	size_t len = strlen(line);
	const char *arg;
	char *sp;
	int err = EINVAL;

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		line[--len] = '\0';
	if (!len)
		return;
	sp = strchr(line, ' ');
	arg = sp ? sp + 1 : "";
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		size_t nl = strlen(cmds[i].name);

		if (strncmp(line, cmds[i].name, nl) ||
		    (line[nl] != ' ' && line[nl] != '\0'))
			continue;
		err = cmds[i].h(vp, arg);
		break;
	}
	if (err)
		vp_logt(vp, "cmd", "line=\"%s\" ok=0 err=\"%m\"", line, err);
	else
		vp_logt(vp, "cmd", "line=\"%s\" ok=1", line);
}

static void stdin_h(int flags, void *arg)
{
	struct vidpeer *vp = arg;
	ssize_t n;
	char *nl;

	n = read(vp->in_fd, vp->in_buf + vp->in_len,
		 sizeof(vp->in_buf) - 1 - vp->in_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* the end of stdin is not the end of the call: --seconds,
		 * quit or their BYE end it */
		fd_close(vp->in_fd);
		if (vp->in_fd != STDIN_FILENO)
			close(vp->in_fd);
		vp->in_fd = -1;
		return;
	}
	vp->in_len += (size_t)n;
	vp->in_buf[vp->in_len] = '\0';
	while ((nl = strchr(vp->in_buf, '\n'))) {
		size_t used = (size_t)(nl - vp->in_buf) + 1;

		*nl = '\0';
		command(vp, vp->in_buf);
		if (vp->in_fd < 0)
			return;
		memmove(vp->in_buf, vp->in_buf + used, vp->in_len - used + 1);
		vp->in_len -= used;
	}
	if (vp->in_len == sizeof(vp->in_buf) - 1)
		vp->in_len = 0;    /* a line this long is no command */
}

/* A FIFO (or pipe) is opened again read-write: we then hold a writer
 * ourselves, and a test that writes each command with its own open and
 * close causes no end of file. What epoll cannot watch (a regular file,
 * /dev/null) is no command source: not even tried, or libre complains
 * on stderr. */
static void stdin_open(struct vidpeer *vp)
{
	struct stat st;
	int fd = STDIN_FILENO;

	if (fstat(fd, &st) || !(S_ISFIFO(st.st_mode) ||
				 S_ISSOCK(st.st_mode) || isatty(fd)))
		return;
	if (S_ISFIFO(st.st_mode)) {
		int rw = open("/proc/self/fd/0", O_RDWR | O_CLOEXEC);

		if (rw >= 0)
			fd = rw;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (fd_listen(fd, FD_READ, stdin_h, vp)) {
		if (fd != STDIN_FILENO)
			close(fd);
		return;
	}
	vp->in_fd = fd;
}

/* ---------------- options ---------------- */

static void usage(void)
{
	fprintf(stderr, "usage: caucus-vidpeer --target sip:CONF@HOST:PORT "
		"[--from NAME] [--codec vp8|h264|vp9|none] [--color Y,U,V]"
		" [--size WxH] [--fps N] [--kbps N] [--tone HZ] [--fecc]"
		" [--grid N]"
		" [--no-fb] [--log FILE] [--seconds N]\ncommands on stdin:\n");
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(stderr, "  %s\n", cmds[i].help);
	exit(2);
}

static unsigned num(const char *s, unsigned min, unsigned max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		usage();
	return (unsigned)v;
}

static int parse_codec(const char *s)
{
	static const char *const names[] = {"vp8", "h264", "vp9"};
	static const int codecs[] = {VIDEO_VP8, VIDEO_H264, VIDEO_VP9};

	if (!strcmp(s, "none"))
		return VP_CODEC_NONE;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(s, names[i]))
			return codecs[i];
	}
	usage();
	return VP_CODEC_NONE;
}

static void parse_args(struct vp_opts *o, int argc, char *argv[])
{
	*o = (struct vp_opts){
		.from = "vidpeer", .codec = VIDEO_VP8,
		.color = {128, 128, 128}, .w = 320, .h = 180, .fps = 15,
		.kbps = 300, .tone_hz = 440, .fb = true,
	};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = argv[i + 1];

		if (!strcmp(a, "--fecc")) {
			o->fecc = true;
			continue;
		}
		if (!strcmp(a, "--no-fb")) {
			o->fb = false;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--target"))
			o->target = v;
		else if (!strcmp(a, "--from"))
			o->from = v;
		else if (!strcmp(a, "--log"))
			o->log_path = v;
		else if (!strcmp(a, "--codec"))
			o->codec = parse_codec(v);
		else if (!strcmp(a, "--color")) {
			if (parse_color(v, o->color))
				usage();
		}
		else if (!strcmp(a, "--size")) {
			unsigned w, h;
			char end;

			/* even: I420's chroma planes are half of each */
			if (sscanf(v, "%ux%u%c", &w, &h, &end) != 2 ||
			    w < 16 || h < 16 || w > 1920 || h > 1088 ||
			    w % 2 || h % 2)
				usage();
			o->w = w;
			o->h = h;
		}
		else if (!strcmp(a, "--fps"))
			o->fps = num(v, 1, 60);
		else if (!strcmp(a, "--kbps"))
			o->kbps = num(v, 10, 20000);
		else if (!strcmp(a, "--tone"))
			o->tone_hz = num(v, 1, 3999);
		else if (!strcmp(a, "--seconds"))
			o->seconds = num(v, 1, 86400);
		else if (!strcmp(a, "--grid"))
			o->grid = num(v, 1, 6);
		else
			usage();
	}
	if (!o->target || strncmp(o->target, "sip:", 4) || !*o->from ||
	    strpbrk(o->from, "@:;<> "))
		usage();
}

/* ---------------- the end ---------------- */

/* libre calls the signal handler inside the signal itself: it only
 * writes a byte into a pipe, and the loop does the work (SIGINT and
 * SIGTERM hang up; a second one ends at once) */
static int sig_pipe[2] = {-1, -1};

static void signal_h(int sig)
{
	uint8_t b = (uint8_t)sig;

	(void)!write(sig_pipe[1], &b, 1);
}

static void sig_pipe_h(int flags, void *arg)
{
	struct vidpeer *vp = arg;
	uint8_t b;

	(void)flags;
	while (read(sig_pipe[0], &b, 1) == 1) {
		if (vp->ending)
			vp_finish(vp, vp->exit_code);
		else
			sip_call_end(vp);
	}
}

static void seconds_h(void *arg)
{
	sip_call_end(arg);
}

static void summary(struct vidpeer *vp)
{
	const struct vp_counts *n = &vp->n;

	vp_log(vp, "summary rx_video_packets=%u frames=%u keyframes=%u "
	       "ssrc_changes=%u seq_gaps=%u ts_back=%u decode_errors=%u "
	       "plis_sent=%u kfreqs=%u rx_audio_packets=%u",
	       n->rx_video_packets, n->frames, n->keyframes, n->ssrc_changes,
	       n->seq_gaps, n->ts_back, n->decode_errors, n->plis_sent,
	       n->kfreqs, n->rx_audio_packets);
}

int main(int argc, char *argv[])
{
	static struct vidpeer vp;
	struct tmr seconds_tmr;
	int err;

	parse_args(&vp.o, argc, argv);
	vp.t0_us = vp_now_us();
	vp.in_fd = -1;
	vp.audio.rtp_fd = vp.video.rtp_fd = vp.fecc.rtp_fd = -1;
	vp.audio.rtcp_fd = vp.video.rtcp_fd = vp.fecc.rtcp_fd = -1;
	vp.log = stdout;
	if (vp.o.log_path) {
		vp.log = fopen(vp.o.log_path, "w");
		if (!vp.log) {
			fprintf(stderr, "vidpeer: %s: %s\n", vp.o.log_path,
				strerror(errno));
			return 2;
		}
	}
	/* the start on the machine's monotonic clock: two peers' t compare
	 * (vidlog.py latency) */
	re_fprintf(vp.log, "start t=0 mono_ms=%llu\n",
		   (unsigned long long)(vp.t0_us / 1000));
	fflush(vp.log);
	tmr_init(&seconds_tmr);
	tmr_init(&vp.end_tmr);
	tmr_init(&vp.audio_tmr);
	err = libre_init();
	if (!err && pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC))
		err = errno;
	err = err ? err : fd_listen(sig_pipe[0], FD_READ, sig_pipe_h, &vp);
	err = err ? err : media_open(&vp);
	err = err ? err : video_init(&vp);
	err = err ? err : sip_call_start(&vp);
	if (err) {
		vp_log(&vp, "call state=failed code=0 reason=\"setup: %m\"",
		       err);
		vp.exit_code = 1;
		goto out;
	}
	stdin_open(&vp);
	if (vp.o.seconds)
		tmr_start(&seconds_tmr, vp.o.seconds * 1000ULL, seconds_h,
			  &vp);
	(void)re_main(signal_h);
 out:
	tmr_cancel(&seconds_tmr);
	if (vp.in_fd >= 0) {
		fd_close(vp.in_fd);
		if (vp.in_fd != STDIN_FILENO)
			close(vp.in_fd);
	}
	if (sig_pipe[0] >= 0) {
		fd_close(sig_pipe[0]);
		close(sig_pipe[0]);
		close(sig_pipe[1]);
	}
	sip_close_all(&vp);
	video_close(&vp);
	media_close(&vp);
	libre_close();
	summary(&vp);
	if (vp.log != stdout)
		fclose(vp.log);
	return vp.exit_code;
}
