/*
 * The BFCP floor control server (src/floorctl): the bytes of every
 * message it builds against RFC 8855's formats (s. 5.1 common header,
 * s. 5.2 attributes: TLV, grouped, padding to 4 bytes), then the server
 * itself with its output to a sink: answers, a UDP retransmission
 * answered from the cache without acting twice, a TCP stream cut at
 * every byte, notifications, errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "conf/conf.h"
#include "conf/floor.h"
#include "conf/part.h"
#include "floorctl/floorctl.h"
#include "store/store.h"

static const struct floorctl_hdr H1 = {.ver = 1, .confid = 0x01020304,
				       .tid = 0x0506, .userid = 0x0708};

static void expect_bytes(struct mbuf *mb, const uint8_t *want, size_t n)
{
	if (mb->end != n || memcmp(mb->buf, want, n)) {
		for (size_t i = 0; i < mb->end; i++)
			fprintf(stderr, "%02x%s", mb->buf[i],
				i % 4 == 3 ? " " : "");
		fprintf(stderr, "\n");
	}
	assert_int_equal(mb->end, n);
	assert_memory_equal(mb->buf, want, n);
}

#define HDR1(prim, words) 0x20, prim, 0x00, words, 1, 2, 3, 4, 5, 6, 7, 8

static void test_header(void **state)
{
	struct mbuf *mb = mbuf_alloc(64);
	struct floorctl_hdr h = H1;
	const uint8_t ack1[] = {HDR1(10, 0)};
	/* version 2 (bits 0-2: 010), R set (bit 3): 0101 0000 */
	const uint8_t ack2[] = {0x50, 17, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};

	(void)state;
	assert_int_equal(floorctl_enc_plain(mb, &h, 10), 0);
	expect_bytes(mb, ack1, sizeof(ack1));
	mbuf_rewind(mb);
	h.ver = 2;
	h.r = true;
	assert_int_equal(floorctl_enc_plain(mb, &h, 17), 0);
	expect_bytes(mb, ack2, sizeof(ack2));
	mem_deref(mb);
}

static void test_hello_ack(void **state)
{
	struct mbuf *mb = mbuf_alloc(64);
	uint8_t want[12 + 40] = {HDR1(12, 10),
		/* SUPPORTED-PRIMITIVES: 11 << 1, length 2 + 17, 1..17, pad */
		0x16, 19, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
		15, 16, 17, 0,
		/* SUPPORTED-ATTRIBUTES: 10 << 1, 2 + 18, each type << 1 */
		0x14, 20};

	(void)state;
	for (int i = 0; i < 18; i++)
		want[12 + 20 + 2 + i] = (uint8_t)((i + 1) << 1);
	assert_int_equal(floorctl_enc_hello_ack(mb, &H1), 0);
	expect_bytes(mb, want, sizeof(want));
	mem_deref(mb);
}

static void test_error(void **state)
{
	struct mbuf *mb = mbuf_alloc(64);
	const uint8_t det[] = {0x7f};   /* unknown attribute 63, M bit */
	const uint8_t want[] = {HDR1(13, 2),
		0x0c, 4, 4, 0x7f,           /* ERROR-CODE 4 + details */
		0x0e, 3, 'x', 0};           /* ERROR-INFO "x", padded */
	const uint8_t want2[] = {HDR1(13, 1), 0x0c, 3, 5, 0};

	(void)state;
	assert_int_equal(floorctl_enc_error(mb, &H1, 4, det, 1, "x"), 0);
	expect_bytes(mb, want, sizeof(want));
	mbuf_rewind(mb);
	assert_int_equal(floorctl_enc_error(mb, &H1, 5, NULL, 0, NULL), 0);
	expect_bytes(mb, want2, sizeof(want2));
	mem_deref(mb);
}

static void test_frs(void **state)
{
	struct mbuf *mb = mbuf_alloc(64);
	struct floorctl_reqinfo ri = {.reqid = 3, .floorid = 1, .status = 3,
				      .has_priority = true, .priority = 2,
				      .part_info = "ab"};
	const uint8_t want[] = {HDR1(4, 7),
		0x1e, 28, 0, 3,             /* FLOOR-REQUEST-INFORMATION 3 */
		0x24, 8, 0, 3,              /*  OVERALL-REQUEST-STATUS 3 */
		0x0a, 4, 3, 0,              /*   REQUEST-STATUS granted, 0 */
		0x22, 8, 0, 1,              /*  FLOOR-REQUEST-STATUS floor 1 */
		0x0a, 4, 3, 0,
		0x08, 4, 0x40, 0,           /*  PRIORITY 2 (top 3 bits) */
		0x10, 4, 'a', 'b'};         /*  PARTICIPANT-PROVIDED-INFO */

	(void)state;
	assert_int_equal(floorctl_enc_frs(mb, &H1, &ri), 0);
	expect_bytes(mb, want, sizeof(want));
	mem_deref(mb);
}

static void test_frs_third_party(void **state)
{
	struct mbuf *mb = mbuf_alloc(64);
	struct floorctl_reqinfo ri = {.reqid = 0x0102, .floorid = 1,
		.status = 1, .qpos = 2, .status_info = "ok",
		.beneficiary = 9, .ben_name = "N", .ben_uri = "u",
		.requested_by = 4};
	const uint8_t want[] = {HDR1(4, 11),
		0x1e, 44, 1, 2,
		0x24, 12, 1, 2, 0x0a, 4, 1, 2, 0x12, 4, 'o', 'k',
		0x22, 12, 0, 1, 0x0a, 4, 1, 2, 0x12, 4, 'o', 'k',
		0x1c, 12, 0, 9,             /*  BENEFICIARY-INFORMATION 9 */
		0x18, 3, 'N', 0,            /*   USER-DISPLAY-NAME, padded */
		0x1a, 3, 'u', 0,            /*   USER-URI */
		0x20, 4, 0, 4};             /*  REQUESTED-BY-INFORMATION 4 */

	(void)state;
	assert_int_equal(floorctl_enc_frs(mb, &H1, &ri), 0);
	expect_bytes(mb, want, sizeof(want));
	mem_deref(mb);
}

static void test_floor_user_status(void **state)
{
	struct mbuf *mb = mbuf_alloc(64);
	const uint8_t fs[] = {HDR1(8, 1), 0x04, 4, 0, 1};
	const uint8_t fs0[] = {HDR1(8, 0)};
	const uint8_t us[] = {HDR1(6, 3),
		0x1c, 12, 0, 5, 0x1a, 7, 's', 'i', 'p', ':', 'a', 0};
	char longuri[101];
	struct floorctl_reqinfo ri = {.reqid = 1, .floorid = 1, .status = 1,
				      .beneficiary = 2, .ben_uri = longuri};

	(void)state;
	assert_int_equal(floorctl_enc_floor_status(mb, &H1, 1, NULL, 0), 0);
	expect_bytes(mb, fs, sizeof(fs));
	mbuf_rewind(mb);
	assert_int_equal(floorctl_enc_floor_status(mb, &H1, 0, NULL, 0), 0);
	expect_bytes(mb, fs0, sizeof(fs0));
	mbuf_rewind(mb);
	assert_int_equal(floorctl_enc_user_status(mb, &H1, 5, NULL, "sip:a",
						  NULL, 0), 0);
	expect_bytes(mb, us, sizeof(us));
	/* a long string is cut to fit its one-byte length */
	memset(longuri, 'x', 100);
	longuri[100] = '\0';
	mbuf_rewind(mb);
	assert_int_equal(floorctl_enc_frs(mb, &H1, &ri), 0);
	assert_int_equal(mb->end % 4, 0);
	assert_int_equal((mb->buf[2] << 8 | mb->buf[3]) * 4 + 12, mb->end);
	mem_deref(mb);
}

/* --- the server, its output to a sink ----------------------------------- */

static struct {
	char dir[64];
	struct store *st;
	struct confs *cs;
	struct conf *c;
	struct participant *p1, *p2;
	struct floorctl *fc;
	uint8_t out[16][512];
	size_t outlen[16];
	unsigned nout;
} w;

static void sink(bool tcp, const struct sa *dst, const uint8_t *data,
		 size_t len, void *arg)
{
	if (w.nout < 16 && len <= 512) {
		memcpy(w.out[w.nout], data, len);
		w.outlen[w.nout] = len;
	}
	w.nout++;
}

static struct participant *caller(const char *uri, const char *remote)
{
	struct part_new n = {.uri = uri};
	struct part_media m = {.codec = "PCMU", .direction = "sendrecv"};
	struct participant *p = NULL;

	assert_int_equal(part_add(w.c, &n, &p), 0);
	part_set_status(p, PART_CONNECTED);
	snprintf(m.remote, sizeof(m.remote), "%s", remote);
	part_set_media(p, &m);
	return p;
}

static int setup(void **state)
{
	struct confs_cfg cfg = {.domain = "example.org",
				.http_base = "http://h:1"};
	struct floorctl_cfg fcfg = {.no_sockets = true};
	struct floor_policy fp = {.enabled = true, .mode = FLOOR_MODE_CHAIR,
				  .max_holders = 1};
	char path[96];

	(void)state;
	memset(&w, 0, sizeof(w));
	libre_init();
	snprintf(w.dir, sizeof(w.dir), "/tmp/caucus-fc-XXXXXX");
	if (!mkdtemp(w.dir))
		return -1;
	snprintf(path, sizeof(path), "%s/c.db", w.dir);
	if (store_open(&w.st, path) || confs_alloc(&w.cs, &cfg, w.st) ||
	    conf_create(w.cs, "demo", NULL, &w.c))
		return -1;
	w.p1 = caller("sip:ann@example.com", "127.0.0.1:4000");
	w.p2 = caller("sip:mia@example.com", "127.0.0.2:4002");
	part_set_role(w.p2, "moderator");
	if (conf_set_floor_policy(w.c, FLOOR_AUDIO, &fp) ||
	    floorctl_alloc(&w.fc, &fcfg, w.cs))
		return -1;
	floorctl_set_sink(w.fc, sink, NULL);
	return 0;
}

static int teardown(void **state)
{
	char cmd[96];

	(void)state;
	w.fc = mem_deref(w.fc);
	w.cs = mem_deref(w.cs);
	w.st = mem_deref(w.st);
	libre_close();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w.dir);
	return system(cmd) ? -1 : 0;
}

/* A message as a client sends it (libre's encoder) */
static size_t msg(uint8_t *buf, uint8_t ver, enum bfcp_prim prim,
		  uint16_t tid, const struct participant *p, bool request)
{
	struct mbuf *mb = mbuf_alloc(64);
	uint16_t floorid = 1, user = (uint16_t)atoi(part_id(p));
	size_t n;

	assert_int_equal(bfcp_msg_encode(mb, ver, false, prim, conf_room(w.c),
					 tid, user, request ? 1 : 0,
					 BFCP_FLOOR_ID, 0, &floorid), 0);
	n = mb->end;
	memcpy(buf, mb->buf, n);
	mem_deref(mb);
	return n;
}

static struct sa src(const char *s)
{
	struct sa a;

	assert_int_equal(sa_decode(&a, s, strlen(s)), 0);
	return a;
}

static void test_server_udp(void **state)
{
	uint8_t buf[64];
	struct sa ann = src("127.0.0.1:5000"), far = src("10.0.0.9:5000");
	size_t n;

	(void)state;
	n = msg(buf, 2, BFCP_HELLO, 0x1234, w.p1, false);
	floorctl_recv_udp(w.fc, &ann, buf, n);
	assert_int_equal(w.nout, 1);
	assert_int_equal(w.out[0][0], 0x50);        /* v2, R */
	assert_int_equal(w.out[0][1], BFCP_HELLO_ACK);
	assert_int_equal(w.out[0][8] << 8 | w.out[0][9], 0x1234);

	/* a request, then its retransmission: the same answer, once */
	n = msg(buf, 2, BFCP_FLOOR_REQUEST, 7, w.p1, true);
	floorctl_recv_udp(w.fc, &ann, buf, n);
	floorctl_recv_udp(w.fc, &ann, buf, n);
	assert_int_equal(w.nout, 3);
	assert_int_equal(w.out[1][1], BFCP_FLOOR_REQUEST_STATUS);
	assert_int_equal(w.outlen[1], w.outlen[2]);
	assert_memory_equal(w.out[1], w.out[2], w.outlen[1]);
	assert_non_null(conf_floor_request_of(w.c, FLOOR_AUDIO, w.p1));

	/* from an address that is not its media's: Error 5 */
	n = msg(buf, 2, BFCP_HELLO, 8, w.p1, false);
	floorctl_recv_udp(w.fc, &far, buf, n);
	assert_int_equal(w.out[3][1], BFCP_ERROR);
	assert_int_equal(w.out[3][14], BFCP_UNAUTH_OPERATION);

	/* version 1 over UDP: Error 12 */
	n = msg(buf, 1, BFCP_HELLO, 9, w.p1, false);
	floorctl_recv_udp(w.fc, &ann, buf, n);
	assert_int_equal(w.out[4][1], BFCP_ERROR);
	assert_int_equal(w.out[4][14], BFCP_UNSUPPORTED_VERSION);
}

static void test_server_tcp(void **state)
{
	uint8_t buf[256];
	struct sa mia = src("127.0.0.2:5002");
	size_t n;
	struct floor_request *r;

	(void)state;
	n = msg(buf, 1, BFCP_FLOOR_REQUEST, 1, w.p1, true);
	floorctl_recv_udp(w.fc, &(struct sa){0}, buf, 0);   /* nothing */
	assert_int_equal(w.nout, 0);
	floorctl_recv_stream(w.fc, &mia, buf, n, 0);
	assert_int_equal(w.nout, 1);
	assert_int_equal(w.out[0][1], BFCP_ERROR);          /* not mia's */
	w.nout = 0;
	n = msg(buf, 1, BFCP_FLOOR_REQUEST, 1, w.p2, true);
	/* two messages cut at every byte */
	memcpy(buf + n, buf, n);
	buf[n + 9] = 2;                                    /* tid 2 */
	floorctl_recv_stream(w.fc, &mia, buf, 2 * n, 1);
	assert_int_equal(w.nout, 2);
	assert_int_equal(w.out[0][0], 0x20);               /* v1, no R */
	assert_int_equal(w.out[0][1], BFCP_FLOOR_REQUEST_STATUS);
	assert_int_equal(w.out[1][1], BFCP_ERROR);         /* one each */
	assert_int_equal(w.out[1][14], BFCP_MAX_FLOOR_REQ_REACHED);
	r = conf_floor_request_of(w.c, FLOOR_AUDIO, w.p2);
	assert_non_null(r);
	assert_int_equal(floor_request_status(r), FLOOR_PENDING);

	/* a length past what is taken: Error 13 */
	w.nout = 0;
	n = msg(buf, 1, BFCP_HELLO, 3, w.p2, false);
	buf[2] = 0x40;
	floorctl_recv_stream(w.fc, &mia, buf, n, 0);
	assert_int_equal(w.nout, 1);
	assert_int_equal(w.out[0][14], BFCP_BAD_LENGTH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_hello_ack),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_frs),
		cmocka_unit_test(test_frs_third_party),
		cmocka_unit_test(test_floor_user_status),
		cmocka_unit_test_setup_teardown(test_server_udp, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_server_tcp, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
