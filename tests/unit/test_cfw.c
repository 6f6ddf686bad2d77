/*
 * The Media Control Channel Framework (src/mscp/cfw*.c, RFC 6230):
 *   - messages shaped as in the RFC's examples (SYNC and its 200,
 *     CONTROL, 202, REPORT update and terminate with their 200s,
 *     K-ALIVE) parse and print back byte for byte, whole and fed one
 *     byte at a time;
 *   - each malformed message gets its code (400 with the reason, or the
 *     stream given up when it cannot be followed);
 *   - the channel on loopback (test_cfw_chan.c);
 *   - its SDP offer and answer (test_cfw_sdp.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "mscp/cfw.h"

void test_cfw_chan(void **state);
void test_cfw_chan_errors(void **state);
void test_cfw_keepalive(void **state);
void test_cfw_txn_timeout(void **state);
void test_cfw_sdp(void **state);

static const char *const examples[] = {
	"CFW 8djae7khauj SYNC\r\n"
	"Dialog-ID: fa2a7d63f7ba\r\n"
	"Keep-Alive: 100\r\n"
	"Packages: msc-ivr/1.0,msc-mixer/1.0\r\n"
	"\r\n",

	"CFW 8djae7khauj 200\r\n"
	"Keep-Alive: 100\r\n"
	"Packages: msc-ivr/1.0,msc-mixer/1.0\r\n"
	"Supported: msc-example-extension/1.0\r\n"
	"\r\n",

	"CFW i387yeiqyiq CONTROL\r\n"
	"Control-Package: msc-mixer/1.0\r\n"
	"Content-Type: application/msc-mixer+xml\r\n"
	"Content-Length: 11\r\n"
	"\r\n"
	"<XML BLOB/>",

	"CFW i387yeiqyiq 200\r\n"
	"Content-Type: application/msc-mixer+xml\r\n"
	"Content-Length: 11\r\n"
	"\r\n"
	"<XML BLOB/>",

	"CFW lidc30BZObiC 202\r\n"
	"Timeout: 10\r\n"
	"\r\n",

	"CFW lidc30BZObiC REPORT\r\n"
	"Seq: 1\r\n"
	"Status: update\r\n"
	"Timeout: 10\r\n"
	"\r\n",

	"CFW lidc30BZObiC 200\r\n"
	"Seq: 1\r\n"
	"\r\n",

	"CFW lidc30BZObiC REPORT\r\n"
	"Seq: 2\r\n"
	"Status: terminate\r\n"
	"Timeout: 10\r\n"
	"Content-Type: application/msc-mixer+xml\r\n"
	"Content-Length: 11\r\n"
	"\r\n"
	"<XML BLOB/>",

	"CFW a7ja82kl K-ALIVE\r\n"
	"\r\n",

	"CFW a7ja82kl 200\r\n"
	"\r\n",

	"CFW a7ja82kl 400 Syntax error\r\n"
	"\r\n",
};

static void roundtrip(const struct cfw_msg *m, const char *text)
{
	struct mbuf *mb = mbuf_alloc(256);

	assert_non_null(mb);
	assert_int_equal(cfw_msg_encode(mb, m), 0);
	assert_int_equal(mb->end, strlen(text));
	assert_memory_equal(mb->buf, text, mb->end);
	mem_deref(mb);
}

static void test_examples(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(examples); i++) {
		const char *t = examples[i];
		struct cfw_msg *m = NULL;
		struct cfw_perr perr;
		size_t used = 0;

		assert_int_equal(cfw_msg_decode(&m, &perr, (const uint8_t *)t,
						strlen(t), &used), 0);
		assert_int_equal(used, strlen(t));
		roundtrip(m, t);
		mem_deref(m);
	}
}

/* What a few of the examples decode to */
static void test_decoded(void **state)
{
	const char *t = examples[7];
	struct cfw_msg *m = NULL;
	struct cfw_perr perr;
	size_t used;

	(void)state;
	assert_int_equal(cfw_msg_decode(&m, &perr, (const uint8_t *)t,
					strlen(t), &used), 0);
	assert_true(m->req);
	assert_int_equal(m->method, CFW_REPORT);
	assert_string_equal(m->tid, "lidc30BZObiC");
	assert_int_equal(m->seq, 2);
	assert_int_equal(m->status, CFW_ST_TERMINATE);
	assert_int_equal(m->timeout_s, 10);
	assert_int_equal(m->blen, 11);
	assert_memory_equal(m->body, "<XML BLOB/>", 11);
	m = mem_deref(m);

	t = examples[0];
	assert_int_equal(cfw_msg_decode(&m, &perr, (const uint8_t *)t,
					strlen(t), &used), 0);
	assert_int_equal(m->method, CFW_SYNC);
	assert_int_equal(m->keep_alive_s, 100);
	assert_string_equal(cfw_msg_hdr(m, CFW_H_DIALOG_ID), "fa2a7d63f7ba");
	m = mem_deref(m);

	/* header names without regard to case; blanks around values */
	t = "CFW abcd1234 K-ALIVE\r\nx-thing:   v  \r\nkeep-alive:5\r\n\r\n";
	assert_int_equal(cfw_msg_decode(&m, &perr, (const uint8_t *)t,
					strlen(t), &used), 0);
	assert_int_equal(m->keep_alive_s, 5);
	assert_int_equal(m->hdr[0].id, CFW_H_EXT);
	assert_string_equal(m->hdr[0].val, "v");
	mem_deref(m);
}

struct collect {
	struct mbuf *out;       /* every message printed again */
	unsigned msgs, errs;
	struct cfw_perr last;
};

static bool collect_h(struct cfw_msg *msg, const struct cfw_perr *perr,
		      void *arg)
{
	struct collect *c = arg;

	if (perr) {
		c->errs++;
		c->last = *perr;
		return true;
	}
	c->msgs++;
	assert_int_equal(cfw_msg_encode(c->out, msg), 0);
	return true;
}

/* All the examples back to back, a byte at a time, and in two halves */
static void test_stream(void **state)
{
	struct mbuf *all = mbuf_alloc(2048);
	size_t cuts[] = {1, 0};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(examples); i++)
		assert_int_equal(mbuf_write_str(all, examples[i]), 0);
	cuts[1] = all->end / 2;
	for (size_t c = 0; c < ARRAY_SIZE(cuts); c++) {
		struct collect col = {.out = mbuf_alloc(2048)};
		struct cfw_parser *p = NULL;

		assert_int_equal(cfw_parser_alloc(&p, collect_h, &col), 0);
		for (size_t off = 0; off < all->end; off += cuts[c]) {
			size_t n = all->end - off < cuts[c] ?
				all->end - off : cuts[c];

			assert_int_equal(cfw_parser_feed(p, all->buf + off, n),
					 0);
		}
		assert_int_equal(col.msgs, ARRAY_SIZE(examples));
		assert_int_equal(col.errs, 0);
		assert_int_equal(col.out->end, all->end);
		assert_memory_equal(col.out->buf, all->buf, all->end);
		mem_deref(p);
		mem_deref(col.out);
	}
	mem_deref(all);
}

struct bad {
	const char *text;
	bool fatal;
	const char *tid;        /* "" when none can be read */
	const char *why;        /* a piece of the reason */
};

static const struct bad bads[] = {
	{"CFW abc SYNC\r\n\r\n", true, "", "start line"},
	{"HTTP/1.1 200 OK\r\n\r\n", true, "", "not a CFW"},
	{"CFW abcd1234 sync\r\n\r\n", false, "abcd1234", "upper-case"},
	{"CFW abcd1234 20\r\n\r\n", false, "abcd1234", "three digits"},
	{"CFW abcd1234 2000\r\n\r\n", false, "abcd1234", "three digits"},
	{"CFW abcd1234\r\n\r\n", false, "abcd1234", "no method"},
	{"CFW abcd1234 SYNC\r\nKeep-Alive: 100\r\nPackages: a/1.0\r\n\r\n",
	 false, "abcd1234", "without Dialog-ID"},
	{"CFW abcd1234 SYNC\r\nDialog-ID: x\r\nPackages: a/1.0\r\n\r\n",
	 false, "abcd1234", "without Keep-Alive"},
	{"CFW abcd1234 SYNC\r\nDialog-ID: x\r\nKeep-Alive: 9\r\n\r\n",
	 false, "abcd1234", "without Packages"},
	{"CFW abcd1234 SYNC\r\nDialog-ID: x\r\nKeep-Alive: ten\r\n"
	 "Packages: a/1.0\r\n\r\n", false, "abcd1234", "Keep-Alive is"},
	{"CFW abcd1234 SYNC\r\nDialog-ID: x\r\nKeep-Alive: 1234567890\r\n"
	 "Packages: a/1.0\r\n\r\n", false, "abcd1234", "Keep-Alive is"},
	{"CFW abcd1234 CONTROL\r\nContent-Type: a/b\r\n"
	 "Content-Length: 2\r\n\r\nhi", false, "abcd1234",
	 "without Control-Package"},
	{"CFW abcd1234 CONTROL\r\nControl-Package: msc-mixer/1.0\r\n\r\n",
	 false, "abcd1234", "without a body"},
	{"CFW abcd1234 CONTROL\r\nControl-Package: msc-mixer/1.0\r\n"
	 "Content-Length: 2\r\n\r\nhi", false, "abcd1234",
	 "without Content-Type"},
	{"CFW abcd1234 REPORT\r\nStatus: update\r\nTimeout: 1\r\n\r\n",
	 false, "abcd1234", "without Seq"},
	{"CFW abcd1234 REPORT\r\nSeq: 1\r\n\r\n", false, "abcd1234",
	 "without Status"},
	{"CFW abcd1234 REPORT\r\nSeq: 1\r\nStatus: update\r\n\r\n", false,
	 "abcd1234", "without Timeout"},
	{"CFW abcd1234 REPORT\r\nSeq: 1\r\nStatus: done\r\n\r\n", false,
	 "abcd1234", "update or terminate"},
	{"CFW abcd1234 REPORT\r\nSeq: 1\r\nSeq: 2\r\nStatus: terminate\r\n"
	 "\r\n", false, "abcd1234", "twice"},
	{"CFW abcd1234 K-ALIVE\r\nno colon here\r\n\r\n", false, "abcd1234",
	 "without a colon"},
	{"CFW abcd1234 K-ALIVE\r\nBad Name: x\r\n\r\n", false, "abcd1234",
	 "header name"},
	{"CFW abcd1234 K-ALIVE\r\nX: a\rb\r\n\r\n", false, "abcd1234",
	 "control character"},
	{"CFW abcd1234 K-ALIVE\r\nDialog-ID:\r\n\r\n", false, "abcd1234",
	 "without a value"},
	{"CFW abcd1234 CONTROL\r\nContent-Length: zz\r\n\r\n", true,
	 "abcd1234", "Content-Length"},
	{"CFW abcd1234 CONTROL\r\nContent-Length: 70000\r\n\r\n", true,
	 "abcd1234", "Content-Length"},
	{"CFW abcd1234 CONTROL\r\nContent-Length: 1\r\nContent-Length: 2\r\n"
	 "\r\n", true, "abcd1234", "Content-Length"},
};

static void test_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bads); i++) {
		const struct bad *b = &bads[i];
		struct cfw_msg *m = NULL;
		struct cfw_perr perr;
		size_t used = 0;
		int err = cfw_msg_decode(&m, &perr, (const uint8_t *)b->text,
					 strlen(b->text), &used);

		print_message("%zu: %s (%s)\n", i, perr.why ? perr.why : "-",
			      perr.tid);
		assert_int_equal(err, EBADMSG);
		assert_null(m);
		assert_int_equal(perr.code, CFW_BAD_REQUEST);
		assert_int_equal(perr.fatal, b->fatal);
		assert_string_equal(perr.tid, b->tid);
		assert_non_null(strstr(perr.why, b->why));
		/* (a malformed response is not answered) */
		assert_int_equal(perr.response, !strncmp(b->text + 13, "20",
							 2));
		/* a message that can be skipped is skipped whole */
		assert_int_equal(used, b->fatal ? 0 : strlen(b->text));
	}
}

/* Limits: a line, the head, the headers' count */
static void test_limits(void **state)
{
	struct mbuf *mb = mbuf_alloc(16384);
	struct cfw_msg *m = NULL;
	struct cfw_perr perr;
	size_t used;

	(void)state;
	/* a line over CFW_LINE_MAX is given up on before it even ends */
	mbuf_printf(mb, "CFW abcd1234 K-ALIVE\r\nX: ");
	while (mb->end < CFW_LINE_MAX + 40)
		mbuf_write_u8(mb, 'a');
	assert_int_equal(cfw_msg_decode(&m, &perr, mb->buf, mb->end, &used),
			 EBADMSG);
	assert_true(perr.fatal);
	assert_string_equal(perr.tid, "abcd1234");
	/* too many headers: 400, and the stream goes on */
	mbuf_reset(mb);
	mbuf_printf(mb, "CFW abcd1234 K-ALIVE\r\n");
	for (int i = 0; i < CFW_HDRS_MAX + 1; i++)
		mbuf_printf(mb, "X-%d: v\r\n", i);
	mbuf_printf(mb, "\r\n");
	assert_int_equal(cfw_msg_decode(&m, &perr, mb->buf, mb->end, &used),
			 EBADMSG);
	assert_false(perr.fatal);
	assert_non_null(strstr(perr.why, "too many"));
	assert_int_equal(used, mb->end);
	/* incomplete is not wrong */
	assert_int_equal(cfw_msg_decode(&m, &perr, (const uint8_t *)"CF", 2,
					&used), EAGAIN);
	assert_int_equal(cfw_msg_decode(&m, &perr, (const uint8_t *)"CFX", 3,
					&used), EBADMSG);
	mem_deref(mb);
}

/* The stream parser: a bad message between two good ones is reported
 * and skipped; a fatal one stops it for good */
static void test_stream_errors(void **state)
{
	struct collect col = {.out = mbuf_alloc(1024)};
	struct cfw_parser *p = NULL;
	const char *s = "CFW abcd0001 K-ALIVE\r\n\r\n"
		"CFW abcd0002 REPORT\r\nSeq: 1\r\n\r\n"
		"CFW abcd0003 K-ALIVE\r\n\r\n";
	const char *f = "CFW abcd0004 K-ALIVE\r\nContent-Length: -1\r\n\r\n";

	(void)state;
	assert_int_equal(cfw_parser_alloc(&p, collect_h, &col), 0);
	assert_int_equal(cfw_parser_feed(p, (const uint8_t *)s, strlen(s)), 0);
	assert_int_equal(col.msgs, 2);
	assert_int_equal(col.errs, 1);
	assert_string_equal(col.last.tid, "abcd0002");
	assert_int_equal(cfw_parser_feed(p, (const uint8_t *)f, strlen(f)),
			 EPROTO);
	assert_int_equal(col.errs, 2);
	assert_true(col.last.fatal);
	assert_int_equal(cfw_parser_feed(p, (const uint8_t *)s, strlen(s)),
			 EPROTO);
	assert_int_equal(col.msgs, 2);
	mem_deref(p);
	mem_deref(col.out);
}

/* Building messages refuses what cannot go on the wire */
static void test_build(void **state)
{
	struct cfw_msg *m = NULL;

	(void)state;
	assert_int_equal(cfw_msg_request(&m, "abc", CFW_SYNC), EINVAL);
	assert_int_equal(cfw_msg_request(&m, "abcd-123", CFW_SYNC), EINVAL);
	assert_int_equal(cfw_msg_request(&m, "abcd1234", CFW_M_OTHER), EINVAL);
	assert_int_equal(cfw_msg_request(&m, "abcd1234", CFW_SYNC), 0);
	assert_int_equal(cfw_msg_add(m, CFW_H_DIALOG_ID, "a\r\nX: y"),
			 EINVAL);
	assert_int_equal(cfw_msg_add(m, CFW_H_CONTENT_LENGTH, "3"), EINVAL);
	mem_deref(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_decoded),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_stream_errors),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_cfw_chan),
		cmocka_unit_test(test_cfw_chan_errors),
		cmocka_unit_test(test_cfw_keepalive),
		cmocka_unit_test(test_cfw_txn_timeout),
		cmocka_unit_test(test_cfw_sdp),
	};
	int r;

	libre_init();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	libre_close();
	return r;
}
