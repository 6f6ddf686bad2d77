/*
 * The control channel on loopback (part of test_cfw): an AS and an MS
 * channel of src/mscp/cfw_chan.c talk SYNC, CONTROL with 202 and
 * REPORTs, CONTROL with 200, an MS-sent CONTROL; a raw TCP peer gets
 * each framework error code; keep-alives hold a quiet channel up and a
 * silent peer is dropped; an unanswered CONTROL times out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "mscp/cfw.h"

void test_cfw_chan(void **state);
void test_cfw_chan_errors(void **state);
void test_cfw_keepalive(void **state);
void test_cfw_txn_timeout(void **state);

#define DIALOG "fa2a7d63f7ba"
#define PKG "msc-mixer/1.0"

enum mode { ANSWER_200, ANSWER_202, ANSWER_202_ONLY, HOLD };

static struct {
	enum mode mode;
	struct cfw_chan *ms, *as;
	unsigned ms_estab, as_estab, ms_closed, as_closed;
	int ms_close_err, as_close_err;
	/* what the AS heard of its CONTROL, in order */
	char heard[8][64];
	unsigned nheard;
	bool done;
	int last_err;
	unsigned controls_at_as;
} t;

static bool (*pred)(void);
static struct tmr poll_tmr, stop_tmr;

static void poll_h(void *arg)
{
	(void)arg;
	if (pred && pred())
		re_cancel();
	else
		tmr_start(&poll_tmr, 5, poll_h, NULL);
}

static void stop_h(void *arg)
{
	(void)arg;
	re_cancel();
}

/* Runs the loop until p() holds or ms passed; whether p() held */
static bool run(bool (*p)(void), unsigned ms)
{
	pred = p;
	tmr_start(&poll_tmr, 5, poll_h, NULL);
	tmr_start(&stop_tmr, ms, stop_h, NULL);
	(void)re_main(NULL);
	tmr_cancel(&poll_tmr);
	tmr_cancel(&stop_tmr);
	return !p || p();
}

static bool dialog_h(const char *id, void *arg)
{
	(void)arg;
	return !strcmp(id, DIALOG);
}

static void ms_estab(struct cfw_chan *ch, void *arg)
{
	(void)arg;
	t.ms = ch;
	t.ms_estab++;
}

static void ms_control(struct cfw_chan *ch, const struct cfw_msg *req,
		       void *arg)
{
	(void)arg;
	switch (t.mode) {
	case ANSWER_200:
		assert_int_equal(cfw_chan_reply(ch, req->tid, 200, 0, "a/b",
						"<ok/>", 5), 0);
		break;
	case ANSWER_202:
		assert_int_equal(cfw_chan_reply(ch, req->tid, 202, 5, NULL,
						NULL, 0), 0);
		assert_int_equal(cfw_chan_report(ch, req->tid, CFW_ST_UPDATE,
						 5, "a/b", "<u/>", 4), 0);
		assert_int_equal(cfw_chan_report(ch, req->tid,
						 CFW_ST_TERMINATE, 0, "a/b",
						 "<t/>", 4), 0);
		/* finished: no more REPORTs on it */
		assert_int_equal(cfw_chan_report(ch, req->tid,
						 CFW_ST_TERMINATE, 0, NULL,
						 NULL, 0), ENOENT);
		break;
	case ANSWER_202_ONLY:
		assert_int_equal(cfw_chan_reply(ch, req->tid, 202, 1, NULL,
						NULL, 0), 0);
		break;
	case HOLD:
		break;
	}
}

static void ms_close(struct cfw_chan *ch, int err, const char *why,
		     void *arg)
{
	(void)arg;
	(void)why;
	if (ch == t.ms)
		t.ms = NULL;
	t.ms_closed++;
	t.ms_close_err = err;
}

static void as_estab(struct cfw_chan *ch, void *arg)
{
	(void)ch;
	(void)arg;
	t.as_estab++;
}

static void as_control(struct cfw_chan *ch, const struct cfw_msg *req,
		       void *arg)
{
	(void)arg;
	t.controls_at_as++;
	assert_int_equal(cfw_chan_reply(ch, req->tid, 200, 0, NULL, NULL, 0),
			 0);
}

static void as_close(struct cfw_chan *ch, int err, const char *why,
		     void *arg)
{
	(void)ch;
	(void)arg;
	(void)why;
	t.as_closed++;
	t.as_close_err = err;
}

static void resp_h(int err, const struct cfw_msg *msg, void *arg)
{
	(void)arg;
	t.last_err = err;
	if (err) {
		t.done = true;
		return;
	}
	if (msg->req)
		re_snprintf(t.heard[t.nheard++], 64, "REPORT %u %s %b",
			    msg->seq, msg->status == CFW_ST_UPDATE ? "update" :
			    "terminate", msg->body, msg->blen);
	else
		re_snprintf(t.heard[t.nheard++], 64, "%u %b", msg->scode,
			    msg->body, msg->blen);
	t.done = msg->scode != 202 && (!msg->req ||
				       msg->status == CFW_ST_TERMINATE);
}

static const struct cfw_handlers ms_h = {ms_estab, ms_control, ms_close,
					 dialog_h, NULL};
static const struct cfw_handlers as_h = {as_estab, as_control, as_close,
					 NULL, NULL};

static bool both_up(void) { return t.ms_estab && t.as_estab; }
static bool is_done(void) { return t.done; }
static bool ms_gone(void) { return t.ms_closed > 0; }

static struct cfw_listener *listen_ms(struct sa *addr, uint32_t txn_ms)
{
	struct cfw_chan_cfg cfg = {.packages = PKG, .txn_timeout_ms = txn_ms};
	struct cfw_listener *l = NULL;
	uint16_t port;

	memset(&t, 0, sizeof(t));
	tmr_init(&poll_tmr);
	tmr_init(&stop_tmr);
	sa_set_str(addr, "127.0.0.1", 0);
	assert_int_equal(cfw_listen(&l, addr, &cfg, &ms_h), 0);
	assert_int_equal(cfw_listener_port(l, &port), 0);
	sa_set_port(addr, port);
	return l;
}

static void connect_as(const struct sa *addr, uint32_t ka_s, uint32_t txn)
{
	struct cfw_chan_cfg cfg = {.dialog_id = DIALOG,
				   .packages = "msc-ivr/1.0, " PKG,
				   .keepalive_s = ka_s,
				   .txn_timeout_ms = txn};

	assert_int_equal(cfw_chan_connect(&t.as, addr, &cfg, &as_h), 0);
	assert_true(run(both_up, 3000));
}

void test_cfw_chan(void **state)
{
	struct cfw_listener *l;
	struct sa addr;

	(void)state;
	l = listen_ms(&addr, 0);
	connect_as(&addr, 100, 0);
	assert_string_equal(cfw_chan_packages(t.as), PKG);
	assert_string_equal(cfw_chan_packages(t.ms), PKG);
	assert_int_equal(cfw_chan_keepalive(t.ms), 100);
	/* a package the SYNC did not agree on is not sent */
	assert_int_equal(cfw_chan_control(t.as, "msc-ivr/1.0", "a/b", "x", 1,
					  resp_h, NULL), ENOTSUP);

	/* 202, then REPORT update and terminate, each answered 200 */
	t.mode = ANSWER_202;
	assert_int_equal(cfw_chan_control(t.as, PKG, "a/b", "<a/>", 4, resp_h,
					  NULL), 0);
	assert_true(run(is_done, 3000));
	assert_int_equal(t.nheard, 3);
	assert_string_equal(t.heard[0], "202 ");
	assert_string_equal(t.heard[1], "REPORT 1 update <u/>");
	assert_string_equal(t.heard[2], "REPORT 2 terminate <t/>");

	/* 200 with a body at once */
	t.mode = ANSWER_200;
	t.nheard = 0;
	t.done = false;
	assert_int_equal(cfw_chan_control(t.as, PKG, "a/b", "<a/>", 4, resp_h,
					  NULL), 0);
	assert_true(run(is_done, 3000));
	assert_int_equal(t.nheard, 1);
	assert_string_equal(t.heard[0], "200 <ok/>");

	/* the MS sends CONTROLs too (its events) */
	t.nheard = 0;
	t.done = false;
	assert_int_equal(cfw_chan_control(t.ms, PKG, "a/b", "<e/>", 4, resp_h,
					  NULL), 0);
	assert_true(run(is_done, 3000));
	assert_int_equal(t.controls_at_as, 1);
	assert_string_equal(t.heard[0], "200 ");

	/* the AS lets go: the MS hears of it */
	t.as = mem_deref(t.as);
	assert_true(run(ms_gone, 3000));
	assert_int_equal(t.ms_close_err, ECONNRESET);
	mem_deref(l);
}

/* A raw TCP peer of the MS */
static struct {
	struct tcp_conn *tc;
	struct mbuf *rx;
	size_t seen;           /* responses taken */
	bool estab, closed;
} raw;

static void raw_estab(void *arg) { (void)arg; raw.estab = true; }
static void raw_recv(struct mbuf *mb, void *arg)
{
	(void)arg;
	(void)mbuf_write_mem(raw.rx, mbuf_buf(mb), mbuf_get_left(mb));
}
static void raw_close(int err, void *arg)
{
	(void)arg;
	(void)err;
	raw.closed = true;
}
static bool raw_up(void) { return raw.estab; }
static bool raw_down(void) { return raw.closed; }

static size_t raw_count(void)
{
	size_t n = 0;

	for (size_t i = 0; i + 3 < raw.rx->end; i++)
		if (!memcmp(raw.rx->buf + i, "\r\n\r\n", 4))
			n++;
	return n;
}

static bool raw_more(void) { return raw_count() > raw.seen; }

/* Sends text, waits for the next response: its code */
static unsigned raw_ask(const char *text)
{
	struct mbuf *mb = mbuf_alloc(512);
	const uint8_t *p = raw.rx->buf;
	size_t skip = 0, k = 0;
	unsigned code = 0;

	mbuf_write_str(mb, text);
	mb->pos = 0;
	assert_int_equal(tcp_send(raw.tc, mb), 0);
	mem_deref(mb);
	assert_true(run(raw_more, 3000));
	/* the start of response number raw.seen */
	for (size_t i = 0; i + 3 < raw.rx->end && k < raw.seen; i++)
		if (!memcmp(raw.rx->buf + i, "\r\n\r\n", 4)) {
			k++;
			skip = i + 4;
		}
	raw.seen++;
	p = raw.rx->buf + skip;
	assert_memory_equal(p, "CFW ", 4);
	p = memchr(p + 4, ' ', raw.rx->end - skip - 4);
	assert_non_null(p);
	code = (unsigned)strtoul((const char *)p + 1, NULL, 10);
	return code;
}

static void raw_connect(const struct sa *addr)
{
	memset(&raw, 0, sizeof(raw));
	raw.rx = mbuf_alloc(4096);
	assert_int_equal(tcp_connect(&raw.tc, addr, raw_estab, raw_recv,
				     raw_close, NULL), 0);
	assert_true(run(raw_up, 3000));
}

#define SYNC(tid, dlg, ka, pk) "CFW " tid " SYNC\r\nDialog-ID: " dlg \
	"\r\nKeep-Alive: " ka "\r\nPackages: " pk "\r\n\r\n"
#define CONTROL(tid, pk) "CFW " tid " CONTROL\r\nControl-Package: " pk \
	"\r\nContent-Type: a/b\r\nContent-Length: 2\r\n\r\nhi"

void test_cfw_chan_errors(void **state)
{
	struct cfw_listener *l;
	struct sa addr;

	(void)state;
	l = listen_ms(&addr, 0);
	t.mode = HOLD;
	raw_connect(&addr);
	assert_int_equal(raw_ask(CONTROL("abcd0001", PKG)), 406);
	assert_int_equal(raw_ask("CFW abcd0002 FOO\r\n\r\n"), 405);
	assert_int_equal(raw_ask("CFW abcd0003 sync\r\n\r\n"), 400);
	assert_int_equal(raw_ask(SYNC("abcd0004", "bogus", "100", PKG)), 481);
	assert_int_equal(raw_ask(SYNC("abcd0005", DIALOG, "0", PKG)), 400);
	assert_int_equal(raw_ask(SYNC("abcd0006", DIALOG, "100",
				      "msc-ivr/1.0")), 422);
	assert_int_equal(raw_ask(SYNC("abcd0007", DIALOG, "100",
				      "msc-ivr/1.0," PKG)), 200);
	assert_int_equal(t.ms_estab, 1);
	assert_int_equal(raw_ask(SYNC("abcd0008", DIALOG, "100", PKG)), 421);
	assert_int_equal(raw_ask(CONTROL("abcd0009", "msc-ivr/1.0")), 420);
	/* the first is held (no answer): its id is in use */
	assert_int_equal(raw_ask(CONTROL("abcd0010", PKG)
				 CONTROL("abcd0010", PKG)), 423);
	assert_int_equal(raw_ask("CFW abcd0011 REPORT\r\nSeq: 1\r\n"
				 "Status: terminate\r\n\r\n"), 481);
	assert_int_equal(raw_ask("CFW abcd0012 K-ALIVE\r\n\r\n"), 200);
	/* a stream that cannot be followed: 400, and the channel goes */
	assert_int_equal(raw_ask("CFW abcd0013 CONTROL\r\nContent-Length: zz"
				 "\r\n\r\n"), 400);
	assert_true(run(raw_down, 3000));
	assert_int_equal(t.ms_close_err, EPROTO);
	mem_deref(raw.tc);
	mem_deref(raw.rx);
	mem_deref(l);
}

void test_cfw_keepalive(void **state)
{
	struct cfw_listener *l;
	struct sa addr;

	(void)state;
	/* a quiet channel with a 1 s interval stays up on K-ALIVEs */
	l = listen_ms(&addr, 0);
	connect_as(&addr, 1, 0);
	assert_int_equal(cfw_chan_keepalive(t.ms), 1);
	(void)run(NULL, 3500);
	assert_int_equal(t.ms_closed, 0);
	assert_int_equal(t.as_closed, 0);
	t.as = mem_deref(t.as);
	assert_true(run(ms_gone, 3000));

	/* a peer that syncs and then says nothing is dropped after 1.5 s */
	t.ms_closed = 0;
	raw_connect(&addr);
	assert_int_equal(raw_ask(SYNC("abcd0001", DIALOG, "1", PKG)), 200);
	assert_true(run(ms_gone, 3000));
	assert_int_equal(t.ms_close_err, ETIMEDOUT);
	assert_true(run(raw_down, 1000));
	mem_deref(raw.tc);
	mem_deref(raw.rx);
	mem_deref(l);
}

void test_cfw_txn_timeout(void **state)
{
	struct cfw_listener *l;
	struct sa addr;

	(void)state;
	l = listen_ms(&addr, 0);
	connect_as(&addr, 100, 300);
	/* no answer at all: ETIMEDOUT after the transaction timeout */
	t.mode = HOLD;
	assert_int_equal(cfw_chan_control(t.as, PKG, "a/b", "<a/>", 4, resp_h,
					  NULL), 0);
	assert_true(run(is_done, 2000));
	assert_int_equal(t.last_err, ETIMEDOUT);
	/* 202 with Timeout 1 and no REPORT: ETIMEDOUT a second later */
	t.mode = ANSWER_202_ONLY;
	t.done = false;
	t.nheard = 0;
	assert_int_equal(cfw_chan_control(t.as, PKG, "a/b", "<a/>", 4, resp_h,
					  NULL), 0);
	assert_true(run(is_done, 3000));
	assert_int_equal(t.nheard, 1);
	assert_string_equal(t.heard[0], "202 ");
	assert_int_equal(t.last_err, ETIMEDOUT);
	/* a channel with no SYNC is closed after the transaction timeout */
	t.as = mem_deref(t.as);
	assert_true(run(ms_gone, 3000));
	t.ms_closed = 0;
	mem_deref(l);
	l = listen_ms(&addr, 300);
	raw_connect(&addr);
	assert_true(run(ms_gone, 2000));
	assert_int_equal(t.ms_close_err, ETIMEDOUT);
	mem_deref(raw.tc);
	mem_deref(raw.rx);
	mem_deref(l);
}
