/*
 * wsclient: connects to a websocket URL and prints every text message it
 * receives on a line of its own, for SECONDS (or until the server closes).
 * The test client of GET /v1/events.
 *   wsclient ws://127.0.0.1:8080/v1/events 5
 * Exit 0 once the handshake succeeded, 1 otherwise (a refusal's status
 * line goes to stderr).
 *
 * The handshake and the frames are read here over libre's TCP, not with
 * libre's websocket client: that one drops a frame that arrives in the
 * same read as the 101 (under load, the server's first message), which
 * made test_events fail now and then. Bytes after the response's blank
 * line are the first frames and are kept.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>

static struct tmr stop;
static struct tcp_conn *tc;
static struct mbuf *in;                /* unread bytes */
static bool open_;
static int rc = 1;

static void done(void)
{
	re_cancel();
}

static int send_frame(uint8_t opcode, const uint8_t *p, size_t n)
{
	static const uint8_t key[4] = {0x11, 0x22, 0x33, 0x44};
	struct mbuf *mb = mbuf_alloc(n + 14);
	int err;

	if (!mb || n > 125)            /* pongs and closes only */
		return mem_deref(mb), EINVAL;
	err = mbuf_write_u8(mb, 0x80 | opcode);
	err |= mbuf_write_u8(mb, 0x80 | (uint8_t)n);  /* a client masks */
	err |= mbuf_write_mem(mb, key, 4);
	for (size_t i = 0; i < n; i++)
		err |= mbuf_write_u8(mb, p[i] ^ key[i % 4]);
	mb->pos = 0;
	err = err ? err : tcp_send(tc, mb);
	mem_deref(mb);
	return err;
}

/* Whole frames out of `in`; false when the stream ends */
static bool frames(void)
{
	for (;;) {
		const uint8_t *b = mbuf_buf(in);
		size_t left = mbuf_get_left(in), hl = 2;
		uint64_t n;
		uint8_t op;

		if (left < 2)
			return true;
		op = b[0] & 0x0f;
		n = b[1] & 0x7f;
		if (n == 126)
			hl = 4;
		else if (n == 127)
			hl = 10;
		if (b[1] & 0x80)
			hl += 4;               /* servers do not mask; skip it */
		if (left < hl)
			return true;
		if (n == 126)
			n = (uint64_t)b[2] << 8 | b[3];
		else if (n == 127) {
			n = 0;
			for (int i = 2; i < 10; i++)
				n = n << 8 | b[i];
		}
		if (n > left - hl)
			return true;
		if (op == 1) {
			printf("%.*s\n", (int)n, (const char *)b + hl);
			fflush(stdout);
		}
		else if (op == 9)
			(void)send_frame(10, b + hl, (size_t)n);
		else if (op == 8) {
			fprintf(stderr, "wsclient: closed by the server\n");
			return false;
		}
		in->pos += hl + (size_t)n;
	}
}

static bool handshake(void)
{
	const char *b = (const char *)mbuf_buf(in);
	size_t left = mbuf_get_left(in);
	const char *end = NULL, *eol;

	for (size_t i = 0; i + 4 <= left; i++)
		if (!memcmp(b + i, "\r\n\r\n", 4)) {
			end = b + i + 4;
			break;
		}
	if (!end)
		return true;                   /* wait for the rest */
	eol = memchr(b, '\r', left);
	if (eol - b < 13 || memcmp(b + 8, " 101 ", 5)) {
		fprintf(stderr, "wsclient: refused: %.*s\n", (int)(eol - b), b);
		return false;
	}
	open_ = true;
	rc = 0;
	fprintf(stderr, "wsclient: connected\n");
	in->pos += (size_t)(end - b);
	return true;
}

static void recv_h(struct mbuf *mb, void *arg)
{
	bool go;

	(void)arg;
	in->pos = in->end;
	if (mbuf_write_mem(in, mbuf_buf(mb), mbuf_get_left(mb))) {
		done();
		return;
	}
	in->pos = 0;
	/* (in keeps what was not read: compact it) */
	go = (open_ || handshake()) && (!open_ || frames());
	if (!go) {
		done();
		return;
	}
	memmove(in->buf, mbuf_buf(in), mbuf_get_left(in));
	in->end = mbuf_get_left(in);
	in->pos = 0;
}

static void estab_h(void *arg)
{
	const char *path = arg;
	struct mbuf *mb = mbuf_alloc(512);

	if (!mb || mbuf_printf(mb, "GET %s HTTP/1.1\r\nHost: x\r\n"
			       "Upgrade: websocket\r\nConnection: Upgrade\r\n"
			       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			       "Sec-WebSocket-Version: 13\r\n\r\n", path)) {
		mem_deref(mb);
		done();
		return;
	}
	mb->pos = 0;
	if (tcp_send(tc, mb))
		done();
	mem_deref(mb);
}

static void close_h(int err, void *arg)
{
	(void)arg;
	fprintf(stderr, "wsclient: closed (%s)\n", strerror(err));
	done();
}

static void timeout_h(void *arg)
{
	(void)arg;
	done();
}

int main(int argc, char *argv[])
{
	struct sa peer;
	const char *hp, *path;
	char host[64];
	int err;

	/* ws://ADDRESS:PORT/PATH */
	hp = argc == 3 && !strncmp(argv[1], "ws://", 5) ? argv[1] + 5 : NULL;
	path = hp ? strchr(hp, '/') : NULL;
	if (!path || (size_t)(path - hp) >= sizeof(host) ||
	    strlen(path) > 400) {
		fprintf(stderr, "usage: wsclient ws://ADDRESS:PORT/PATH "
			"SECONDS\n");
		return 2;
	}
	snprintf(host, sizeof(host), "%.*s", (int)(path - hp), hp);
	if (libre_init())
		return 1;
	err = sa_decode(&peer, host, strlen(host));
	in = mbuf_alloc(4096);
	err = err ? err : in ? 0 : ENOMEM;
	err = err ? err : tcp_connect(&tc, &peer, estab_h, recv_h, close_h,
				      (void *)path);
	if (err) {
		fprintf(stderr, "wsclient: %s: %s\n", argv[1], strerror(err));
		return 1;
	}
	tmr_init(&stop);
	tmr_start(&stop, (uint64_t)atoi(argv[2]) * 1000, timeout_h, NULL);
	(void)re_main(NULL);
	tmr_cancel(&stop);
	mem_deref(tc);
	mem_deref(in);
	libre_close();
	return rc;
}
