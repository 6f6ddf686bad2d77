/*
 * wsclient: connects to a websocket URL and prints every text message it
 * receives on a line of its own, for SECONDS (or until the server closes).
 * The test client of GET /v1/events.
 *   wsclient ws://127.0.0.1:8080/v1/events 5
 * libre's client wants an http:// URI: ws:// is rewritten.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>

static struct tmr stop;
static int rc = 1;

static void recv_h(const struct websock_hdr *hdr, struct mbuf *mb, void *arg)
{
	(void)arg;
	if (hdr->opcode != WEBSOCK_TEXT)
		return;
	printf("%.*s\n", (int)mbuf_get_left(mb), (char *)mbuf_buf(mb));
	fflush(stdout);
}

static void estab_h(void *arg)
{
	(void)arg;
	rc = 0;
	fprintf(stderr, "wsclient: connected\n");
}

static void close_h(int err, void *arg)
{
	(void)arg;
	fprintf(stderr, "wsclient: closed (%s)\n", strerror(err));
	re_cancel();
}

static void timeout_h(void *arg)
{
	(void)arg;
	re_cancel();
}

int main(int argc, char *argv[])
{
	struct http_cli *cli = NULL;
	struct websock *ws = NULL;
	struct websock_conn *conn = NULL;
	struct dnsc *dnsc = NULL;
	struct sa ns;
	char url[512];
	int err;

	if (argc != 3) {
		fprintf(stderr, "usage: wsclient URL SECONDS\n");
		return 2;
	}
	if (!strncmp(argv[1], "ws://", 5))
		snprintf(url, sizeof(url), "http://%s", argv[1] + 5);
	else
		snprintf(url, sizeof(url), "%s", argv[1]);
	if (libre_init())
		return 1;
	/* libre's HTTP client insists on a resolver; the URL is an address,
	 * so this one is never asked */
	sa_set_str(&ns, "127.0.0.1", 53);
	err = dnsc_alloc(&dnsc, NULL, &ns, 1);
	err = err ? err : http_client_alloc(&cli, dnsc);
	err = err ? err : websock_alloc(&ws, NULL, NULL);
	err = err ? err : websock_connect(&conn, ws, cli, url, 0, estab_h,
					  recv_h, close_h, NULL, "");
	if (err) {
		fprintf(stderr, "wsclient: %s: %s\n", url, strerror(err));
		return 1;
	}
	tmr_init(&stop);
	tmr_start(&stop, (uint64_t)atoi(argv[2]) * 1000, timeout_h, NULL);
	(void)re_main(NULL);
	tmr_cancel(&stop);
	mem_deref(conn);
	mem_deref(ws);
	mem_deref(cli);
	mem_deref(dnsc);
	libre_close();
	return rc;
}
