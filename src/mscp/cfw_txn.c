/*
 * The control channel's transactions (RFC 6230 s. 6.3): ours (SYNC,
 * K-ALIVE, CONTROL) waiting for their answers, and the peer's CONTROLs
 * until we finished them.
 *
 * Ours: each waits txn_timeout_ms for its answer (ETIMEDOUT to its
 * handler after that). A 202 to a CONTROL must say in Timeout when the
 * first REPORT comes; each REPORT update says when the next one comes;
 * a REPORT terminate ends the transaction. REPORTs are answered 200
 * with their Seq here; one for a transaction we do not have gets 481.
 * Theirs: a CONTROL's transaction id stays in use (423 to another CONTROL
 * with it) until our final answer or REPORT terminate; its package must
 * be one the SYNC agreed (420).
 *
 * Signalling thread; called by cfw_chan.c and the public functions below.
 */
#include <string.h>
#include <re.h>
#include "mscp/cfw_int.h"
#include "util/log.h"

static void txn_destructor(void *arg)
{
	struct cfw_txn *t = arg;

	tmr_cancel(&t->tmr);
	list_unlink(&t->le);
}

static void in_destructor(void *arg)
{
	struct cfw_in *in = arg;

	list_unlink(&in->le);
}

static struct cfw_txn *txn_find(const struct cfw_chan *ch, const char *tid)
{
	struct le *le;

	LIST_FOREACH(&ch->txns, le) {
		struct cfw_txn *t = le->data;

		if (!strcmp(t->tid, tid))
			return t;
	}
	return NULL;
}

static struct cfw_in *in_find(const struct cfw_chan *ch, const char *tid)
{
	struct le *le;

	LIST_FOREACH(&ch->ins, le) {
		struct cfw_in *in = le->data;

		if (!strcmp(in->tid, tid))
			return in;
	}
	return NULL;
}

/* The transaction ends: its handler hears err / msg last */
static void txn_end(struct cfw_txn *t, int err, const struct cfw_msg *msg)
{
	cfw_resp_h *rh = t->rh;
	void *arg = t->arg;

	mem_deref(t);
	if (rh)
		rh(err, msg, arg);
}

static void txn_timeout_h(void *arg)
{
	struct cfw_txn *t = arg;
	struct cfw_chan *ch = t->ch;

	log_info("mscp", "msg=\"CFW transaction timed out\" tid=%s "
		 "method=%s accepted=%d", t->tid, cfw_method_name(t->method),
		 t->accepted);
	mem_ref(ch);
	txn_end(t, ETIMEDOUT, NULL);
	mem_deref(ch);
}

int cfw_txn_start(struct cfw_chan *ch, struct cfw_msg *m, cfw_resp_h *rh,
		  void *arg)
{
	struct cfw_txn *t;
	int err;

	/* our ids are random: a clash with one in flight is drawn again */
	while (txn_find(ch, m->tid))
		cfw_tid_new(m->tid);
	t = mem_zalloc(sizeof(*t), txn_destructor);
	if (!t)
		return ENOMEM;
	t->ch = ch;
	str_ncpy(t->tid, m->tid, sizeof(t->tid));
	t->method = m->method;
	t->rh = rh;
	t->arg = arg;
	tmr_init(&t->tmr);
	err = cfw_chan_send(ch, m);
	if (err) {
		mem_deref(t);
		return err;
	}
	list_append(&ch->txns, &t->le, t);
	tmr_start(&t->tmr, ch->txn_timeout_ms, txn_timeout_h, t);
	return 0;
}

/* Every transaction of ours ends (ECONNRESET to its handler, when
 * notify); the handlers may not free the channel (the caller holds it) */
void cfw_txn_flush(struct cfw_chan *ch, bool notify)
{
	struct le *le;

	while ((le = list_head(&ch->txns))) {
		struct cfw_txn *t = le->data;

		if (notify)
			txn_end(t, ECONNRESET, NULL);
		else
			mem_deref(t);
	}
}

void cfw_txn_response(struct cfw_chan *ch, const struct cfw_msg *msg)
{
	struct cfw_txn *t = txn_find(ch, msg->tid);

	if (!t || t->accepted) {
		/* (the answers to our REPORTs end here too) */
		if (!in_find(ch, msg->tid))
			log_dbg("mscp", "msg=\"CFW response to nothing\" "
				"tid=%s code=%u", msg->tid, msg->scode);
		return;
	}
	if (msg->scode == CFW_ACCEPTED && t->method == CFW_CONTROL) {
		if (!cfw_msg_hdr(msg, CFW_H_TIMEOUT)) {
			txn_end(t, EBADMSG, msg);
			return;
		}
		t->accepted = true;
		tmr_start(&t->tmr, (uint64_t)msg->timeout_s * 1000,
			  txn_timeout_h, t);
		if (t->rh)
			t->rh(0, msg, t->arg);
		return;
	}
	txn_end(t, 0, msg);
}

/* A REPORT for one of our CONTROLs answered 202 */
void cfw_txn_report(struct cfw_chan *ch, const struct cfw_msg *msg)
{
	struct cfw_txn *t = txn_find(ch, msg->tid);
	struct cfw_msg *r = NULL;
	int err;

	if (!t || !t->accepted) {
		(void)cfw_chan_answer(ch, msg->tid, CFW_NO_TRANSACTION, NULL);
		return;
	}
	if (msg->seq <= t->seq) {
		(void)cfw_chan_answer(ch, msg->tid, CFW_BAD_REQUEST,
				      "Seq does not increase");
		return;
	}
	t->seq = msg->seq;
	err = cfw_msg_response(&r, msg->tid, CFW_OK, NULL);
	err |= cfw_msg_addf(r, CFW_H_SEQ, "%u", msg->seq);
	if (!err)
		(void)cfw_chan_send(ch, r);
	mem_deref(r);
	if (msg->status == CFW_ST_TERMINATE) {
		txn_end(t, 0, msg);
		return;
	}
	tmr_start(&t->tmr, (uint64_t)msg->timeout_s * 1000, txn_timeout_h, t);
	if (t->rh)
		t->rh(0, msg, t->arg);
}

void cfw_txn_control(struct cfw_chan *ch, const struct cfw_msg *msg)
{
	struct pl pkg;
	struct cfw_in *in;

	pl_set_str(&pkg, cfw_msg_hdr(msg, CFW_H_CONTROL_PACKAGE));
	if (!cfw_packages_has(ch->packages, &pkg)) {
		(void)cfw_chan_answer(ch, msg->tid, CFW_BAD_PACKAGE, NULL);
		return;
	}
	if (in_find(ch, msg->tid)) {
		(void)cfw_chan_answer(ch, msg->tid, CFW_TID_IN_USE, NULL);
		return;
	}
	in = mem_zalloc(sizeof(*in), in_destructor);
	if (!in) {
		(void)cfw_chan_answer(ch, msg->tid, CFW_NOT_UNDERSTOOD,
				      "out of memory");
		return;
	}
	str_ncpy(in->tid, msg->tid, sizeof(in->tid));
	list_append(&ch->ins, &in->le, in);
	if (ch->h.controlh)
		ch->h.controlh(ch, msg, ch->h.arg);
	else
		(void)cfw_chan_reply(ch, msg->tid, CFW_NOT_UNDERSTOOD, 0,
				     NULL, NULL, 0);
}

int cfw_chan_control(struct cfw_chan *ch, const char *package,
		     const char *ctype, const void *body, size_t len,
		     cfw_resp_h *rh, void *arg)
{
	struct cfw_msg *m = NULL;
	struct pl pkg;
	char tid[CFW_TID_MAX + 1];
	int err;

	if (!ch || !package || !ctype || !body || !len)
		return EINVAL;
	if (!ch->synced || ch->closed)
		return ENOTCONN;
	pl_set_str(&pkg, package);
	if (!cfw_packages_has(ch->packages, &pkg))
		return ENOTSUP;
	cfw_tid_new(tid);
	err = cfw_msg_request(&m, tid, CFW_CONTROL);
	err |= cfw_msg_add(m, CFW_H_CONTROL_PACKAGE, package);
	if (!err)
		err = cfw_msg_body(m, ctype, body, len);
	if (!err)
		err = cfw_txn_start(ch, m, rh, arg);
	mem_deref(m);
	return err;
}

int cfw_chan_reply(struct cfw_chan *ch, const char *tid, uint16_t scode,
		   uint32_t timeout_s, const char *ctype, const void *body,
		   size_t len)
{
	struct cfw_in *in = ch && tid ? in_find(ch, tid) : NULL;
	struct cfw_msg *m = NULL;
	int err;

	if (!in || in->accepted || (scode == CFW_ACCEPTED && !timeout_s))
		return in ? EINVAL : ENOENT;
	err = cfw_msg_response(&m, tid, scode, cfw_reason(scode));
	if (!err && scode == CFW_ACCEPTED)
		err = cfw_msg_addf(m, CFW_H_TIMEOUT, "%u", timeout_s);
	if (!err && ctype)
		err = cfw_msg_body(m, ctype, body, len);
	if (!err)
		err = cfw_chan_send(ch, m);
	mem_deref(m);
	if (scode == CFW_ACCEPTED && !err)
		in->accepted = true;
	else
		mem_deref(in);
	return err;
}

int cfw_chan_report(struct cfw_chan *ch, const char *tid,
		    enum cfw_status st, uint32_t timeout_s,
		    const char *ctype, const void *body, size_t len)
{
	struct cfw_in *in = ch && tid ? in_find(ch, tid) : NULL;
	struct cfw_msg *m = NULL;
	int err;

	if (!in || !in->accepted)
		return ENOENT;
	if (st == CFW_ST_NONE || (st == CFW_ST_UPDATE && !timeout_s))
		return EINVAL;
	err = cfw_msg_request(&m, tid, CFW_REPORT);
	err |= cfw_msg_addf(m, CFW_H_SEQ, "%u", ++in->seq);
	err |= cfw_msg_add(m, CFW_H_STATUS, st == CFW_ST_UPDATE ? "update" :
			   "terminate");
	if (!err && timeout_s)
		err = cfw_msg_addf(m, CFW_H_TIMEOUT, "%u", timeout_s);
	if (!err && ctype)
		err = cfw_msg_body(m, ctype, body, len);
	if (!err)
		err = cfw_chan_send(ch, m);
	mem_deref(m);
	if (st == CFW_ST_TERMINATE)
		mem_deref(in);
	return err;
}
