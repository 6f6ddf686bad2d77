/*
 * The control channel's connection (RFC 6230 s. 6): one TCP connection
 * per AS and MS pair, on libre's loop (signalling thread).
 *
 * The AS (COMEDIA active) connects and sends SYNC with its cfw-id as
 * Dialog-ID, the Keep-Alive interval and the packages it wants; the MS
 * answers 200 with the packages of those it supports (422 when none,
 * 481 when the Dialog-ID is not one of its control dialogs, 421 to a
 * second SYNC; any other request before SYNC: 406). Until then the MS
 * waits txn_timeout_ms for the SYNC and closes.
 *
 * Keep-alive (s. 6.3.3): both sides use the SYNC's interval; each sends
 * a K-ALIVE once 80% of it passed since it last sent anything, and takes
 * the channel for dead when nothing at all came for 1.5 intervals (or a
 * K-ALIVE goes unanswered for the transaction timeout). Any message
 * resets the receiving side's clock. (cfw_int.h has both numbers.)
 *
 * Lifetimes: an AS channel is its caller's; an MS channel its
 * listener's, freed after its close handler ran. Handlers may free the
 * channel: every entry from libre holds a reference while it works and
 * stops when the channel was closed or let go.
 */
#include <string.h>
#include <re.h>
#include "mscp/cfw_int.h"
#include "util/log.h"

struct cfw_listener {
	struct tcp_sock *ts;
	struct list chans;
	char *packages;
	uint32_t txn_timeout_ms;
	unsigned max_chans;
	struct cfw_handlers h;
};

static void ka_tx_h(void *arg);

static void chan_destructor(void *arg)
{
	struct cfw_chan *ch = arg;

	tmr_cancel(&ch->ka_tx);
	tmr_cancel(&ch->ka_rx);
	tmr_cancel(&ch->sync_tmr);
	cfw_txn_flush(ch, false);
	list_flush(&ch->ins);
	list_unlink(&ch->le);
	mem_deref(ch->tc);
	mem_deref(ch->parser);
	mem_deref(ch->dialog_id);
	mem_deref(ch->offer);
	mem_deref(ch->packages);
}

/* The next item of a comma separated list, without surrounding blanks */
static bool next_item(struct pl *rest, struct pl *item)
{
	const char *c;

	if (!rest->l)
		return false;
	c = pl_strchr(rest, ',');
	item->p = rest->p;
	item->l = c ? (size_t)(c - rest->p) : rest->l;
	rest->p += item->l + (c ? 1 : 0);
	rest->l -= item->l + (c ? 1 : 0);
	while (item->l && (*item->p == ' ' || *item->p == '\t')) {
		item->p++;
		item->l--;
	}
	while (item->l && (item->p[item->l - 1] == ' ' ||
			   item->p[item->l - 1] == '\t'))
		item->l--;
	return true;
}

/* Whether pkg is in a comma separated list (package names compare
 * without regard to case) */
bool cfw_packages_has(const char *list, const struct pl *pkg)
{
	struct pl rest, item;

	if (!list || !pkg->l)
		return false;
	pl_set_str(&rest, list);
	while (next_item(&rest, &item))
		if (!pl_casecmp(&item, pkg))
			return true;
	return false;
}

static void restart_ka_tx(struct cfw_chan *ch)
{
	if (ch->synced && ch->keepalive_s)
		tmr_start(&ch->ka_tx, (uint64_t)ch->keepalive_s *
			  CFW_KA_SEND_PCT * 10,
			  ka_tx_h, ch);
}

int cfw_chan_send(struct cfw_chan *ch, const struct cfw_msg *m)
{
	struct mbuf *mb;
	int err;

	if (ch->closed || !ch->tc || !ch->connected)
		return ENOTCONN;
	mb = mbuf_alloc(256 + m->blen);
	if (!mb)
		return ENOMEM;
	err = cfw_msg_encode(mb, m);
	if (!err) {
		mb->pos = 0;
		err = tcp_send(ch->tc, mb);
	}
	mem_deref(mb);
	if (!err)
		restart_ka_tx(ch);
	return err;
}

/* A response without a body; why replaces the code's reason */
int cfw_chan_answer(struct cfw_chan *ch, const char *tid, uint16_t code,
		    const char *why)
{
	struct cfw_msg *m = NULL;
	int err = cfw_msg_response(&m, tid, code, why ? why :
				   cfw_reason(code));

	if (!err)
		err = cfw_chan_send(ch, m);
	mem_deref(m);
	return err;
}

void cfw_chan_fail(struct cfw_chan *ch, int err, const char *why)
{
	if (ch->closed)
		return;
	ch->closed = true;
	mem_ref(ch);
	log_info("mscp", "msg=\"control channel closed\" role=%s err=%d "
		 "why=\"%s\"", ch->as ? "as" : "ms", err, why);
	tmr_cancel(&ch->ka_tx);
	tmr_cancel(&ch->ka_rx);
	tmr_cancel(&ch->sync_tmr);
	ch->tc = mem_deref(ch->tc);
	cfw_txn_flush(ch, true);
	list_flush(&ch->ins);
	if (ch->h.closeh)
		ch->h.closeh(ch, err, why, ch->h.arg);
	if (ch->l && !ch->released) {
		ch->released = true;
		list_unlink(&ch->le);
		mem_deref(ch);           /* the listener's reference */
	}
	mem_deref(ch);
}

static void ka_rx_h(void *arg)
{
	cfw_chan_fail(arg, ETIMEDOUT, "nothing heard within Keep-Alive");
}

static void kalive_resp(int err, const struct cfw_msg *msg, void *arg)
{
	struct cfw_chan *ch = arg;

	if (err == ETIMEDOUT)
		cfw_chan_fail(ch, ETIMEDOUT, "K-ALIVE not answered");
	else if (!err && msg->scode != CFW_OK)
		log_warn("mscp", "msg=\"K-ALIVE refused\" code=%u",
			 msg->scode);
}

static void ka_tx_h(void *arg)
{
	struct cfw_chan *ch = arg;
	struct cfw_msg *m = NULL;
	char tid[CFW_TID_MAX + 1];

	cfw_tid_new(tid);
	if (cfw_msg_request(&m, tid, CFW_KALIVE) ||
	    cfw_txn_start(ch, m, kalive_resp, ch))
		restart_ka_tx(ch);       /* try again later */
	mem_deref(m);
}

void cfw_chan_synced(struct cfw_chan *ch, const char *packages,
		     uint32_t keepalive_s)
{
	mem_deref(ch->packages);
	ch->packages = NULL;
	if (str_dup(&ch->packages, packages)) {
		cfw_chan_fail(ch, ENOMEM, "out of memory");
		return;
	}
	ch->synced = true;
	ch->keepalive_s = keepalive_s;
	tmr_cancel(&ch->sync_tmr);
	restart_ka_tx(ch);
	tmr_start(&ch->ka_rx, (uint64_t)keepalive_s * CFW_KA_DEAD_PCT * 10,
		  ka_rx_h, ch);
	log_info("mscp", "msg=\"control channel up\" role=%s packages=\"%s\" "
		 "keepalive_s=%u", ch->as ? "as" : "ms", packages, keepalive_s);
	if (ch->h.estabh)
		ch->h.estabh(ch, ch->h.arg);
}

/* MS: the SYNC (s. 6.3.4) */
static void on_sync(struct cfw_chan *ch, const struct cfw_msg *msg)
{
	const char *dlg = cfw_msg_hdr(msg, CFW_H_DIALOG_ID);
	struct cfw_msg *r = NULL;
	char agreed[CFW_LINE_MAX] = "";
	struct pl rest, item;
	size_t n = 0;
	int err;

	if (ch->as) {
		(void)cfw_chan_answer(ch, msg->tid, CFW_NOT_ALLOWED,
				      "SYNC is the AS's");
		return;
	}
	if (ch->synced) {
		(void)cfw_chan_answer(ch, msg->tid, CFW_NO_RENEGOTIATION, NULL);
		return;
	}
	if (!msg->keep_alive_s || msg->keep_alive_s > CFW_KEEPALIVE_MAX_S) {
		(void)cfw_chan_answer(ch, msg->tid, CFW_BAD_REQUEST,
				      "Keep-Alive is 1 to 86400 s");
		return;
	}
	if (ch->h.dialogh && !ch->h.dialogh(dlg, ch->h.arg)) {
		(void)cfw_chan_answer(ch, msg->tid, CFW_NO_TRANSACTION,
				      "no such control dialog");
		return;
	}
	/* which control dialog the channel is (cfw_chan_dialog_id) */
	mem_deref(ch->dialog_id);
	ch->dialog_id = NULL;
	if (str_dup(&ch->dialog_id, dlg)) {
		(void)cfw_chan_answer(ch, msg->tid, CFW_NOT_UNDERSTOOD,
				      "out of memory");
		return;
	}
	pl_set_str(&rest, cfw_msg_hdr(msg, CFW_H_PACKAGES));
	while (next_item(&rest, &item)) {
		if (!cfw_packages_has(ch->offer, &item) ||
		    cfw_packages_has(agreed, &item))
			continue;
		if (re_snprintf(agreed + n, sizeof(agreed) - n, "%s%r",
				n ? "," : "", &item) < 0)
			break;
		n = strlen(agreed);
	}
	if (!n) {
		err = cfw_msg_response(&r, msg->tid, CFW_NO_PACKAGE,
				       cfw_reason(CFW_NO_PACKAGE));
		err |= cfw_msg_add(r, CFW_H_PACKAGES, ch->offer);
	}
	else {
		err = cfw_msg_response(&r, msg->tid, CFW_OK, NULL);
		err |= cfw_msg_addf(r, CFW_H_KEEP_ALIVE, "%u",
				    msg->keep_alive_s);
		err |= cfw_msg_add(r, CFW_H_PACKAGES, agreed);
	}
	if (!err)
		err = cfw_chan_send(ch, r);
	if (!err && r->scode == CFW_OK)
		cfw_chan_synced(ch, agreed, msg->keep_alive_s);
	else if (err)
		cfw_chan_fail(ch, err, "cannot answer SYNC");
	mem_deref(r);
}

static void on_request(struct cfw_chan *ch, const struct cfw_msg *msg)
{
	if (msg->method == CFW_SYNC) {
		on_sync(ch, msg);
		return;
	}
	if (msg->method == CFW_M_OTHER) {
		(void)cfw_chan_answer(ch, msg->tid, CFW_NOT_ALLOWED, NULL);
		return;
	}
	if (!ch->synced) {
		(void)cfw_chan_answer(ch, msg->tid, CFW_OUT_OF_SEQUENCE,
				      "SYNC first");
		return;
	}
	switch (msg->method) {
	case CFW_KALIVE:
		(void)cfw_chan_answer(ch, msg->tid, CFW_OK, NULL);
		break;
	case CFW_CONTROL:
		cfw_txn_control(ch, msg);
		break;
	case CFW_REPORT:
		cfw_txn_report(ch, msg);
		break;
	default:
		break;
	}
}

static bool parse_h(struct cfw_msg *msg, const struct cfw_perr *perr,
		    void *arg)
{
	struct cfw_chan *ch = arg;

	if (ch->synced)
		tmr_start(&ch->ka_rx, (uint64_t)ch->keepalive_s *
			  CFW_KA_DEAD_PCT * 10, ka_rx_h, ch);
	if (perr) {
		log_dbg("mscp", "msg=\"malformed CFW message\" code=%u "
			"why=\"%s\"", perr->code, perr->why);
		if (perr->tid[0] && !perr->response)
			(void)cfw_chan_answer(ch, perr->tid, perr->code,
					      perr->why);
		if (perr->fatal)
			cfw_chan_fail(ch, EPROTO, perr->why);
	}
	else if (msg->req) {
		on_request(ch, msg);
	}
	else {
		cfw_txn_response(ch, msg);
	}
	return !ch->closed && mem_nrefs(ch) > 1;
}

static void chan_recv_h(struct mbuf *mb, void *arg)
{
	struct cfw_chan *ch = arg;

	mem_ref(ch);
	(void)cfw_parser_feed(ch->parser, mbuf_buf(mb), mbuf_get_left(mb));
	mem_deref(ch);
}

static void chan_close_h(int err, void *arg)
{
	cfw_chan_fail(arg, err ? err : ECONNRESET, "connection closed");
}

static void sync_resp(int err, const struct cfw_msg *msg, void *arg)
{
	struct cfw_chan *ch = arg;
	const char *pk;

	if (err) {
		if (err != ECONNRESET)
			cfw_chan_fail(ch, err, "no answer to SYNC");
		return;
	}
	pk = cfw_msg_hdr(msg, CFW_H_PACKAGES);
	if (msg->scode != CFW_OK || !pk) {
		cfw_chan_fail(ch, EPERM, msg->reason ? msg->reason :
			      "SYNC refused");
		return;
	}
	cfw_chan_synced(ch, pk, ch->keepalive_s);
}

/* AS: connected: SYNC at once, before anything else (s. 6) */
static void chan_estab_h(void *arg)
{
	struct cfw_chan *ch = arg;
	struct cfw_msg *m = NULL;
	char tid[CFW_TID_MAX + 1];
	int err;

	ch->connected = true;
	cfw_tid_new(tid);
	err = cfw_msg_request(&m, tid, CFW_SYNC);
	err |= cfw_msg_add(m, CFW_H_DIALOG_ID, ch->dialog_id);
	err |= cfw_msg_addf(m, CFW_H_KEEP_ALIVE, "%u", ch->keepalive_s);
	err |= cfw_msg_add(m, CFW_H_PACKAGES, ch->offer);
	mem_ref(ch);
	if (err || cfw_txn_start(ch, m, sync_resp, ch))
		cfw_chan_fail(ch, err ? err : ENOMEM, "cannot send SYNC");
	mem_deref(ch);
	mem_deref(m);
}

static int chan_new(struct cfw_chan **chp, const struct cfw_handlers *h,
		    uint32_t txn_timeout_ms)
{
	struct cfw_chan *ch = mem_zalloc(sizeof(*ch), chan_destructor);
	int err;

	if (!ch)
		return ENOMEM;
	tmr_init(&ch->ka_tx);
	tmr_init(&ch->ka_rx);
	tmr_init(&ch->sync_tmr);
	list_init(&ch->txns);
	list_init(&ch->ins);
	ch->h = *h;
	ch->txn_timeout_ms = txn_timeout_ms ? txn_timeout_ms :
		CFW_TXN_TIMEOUT_MS;
	err = cfw_parser_alloc(&ch->parser, parse_h, ch);
	if (err) {
		mem_deref(ch);
		return err;
	}
	*chp = ch;
	return 0;
}

int cfw_chan_connect(struct cfw_chan **chp, const struct sa *peer,
		     const struct cfw_chan_cfg *cfg,
		     const struct cfw_handlers *h)
{
	struct cfw_chan *ch = NULL;
	int err;

	if (!chp || !peer || !cfg || !h || !cfg->dialog_id || !cfg->packages)
		return EINVAL;
	err = chan_new(&ch, h, cfg->txn_timeout_ms);
	if (err)
		return err;
	ch->as = true;
	ch->keepalive_s = cfg->keepalive_s ? cfg->keepalive_s :
		CFW_KEEPALIVE_DEFAULT_S;
	err = str_dup(&ch->dialog_id, cfg->dialog_id);
	err |= str_dup(&ch->offer, cfg->packages);
	if (!err)
		err = tcp_connect(&ch->tc, peer, chan_estab_h, chan_recv_h,
				  chan_close_h, ch);
	if (err) {
		mem_deref(ch);
		return err;
	}
	*chp = ch;
	return 0;
}

void cfw_chan_close(struct cfw_chan *ch)
{
	if (!ch)
		return;
	ch->closed = true;
	if (!ch->l) {
		mem_deref(ch);
		return;
	}
	if (!ch->released) {
		ch->released = true;
		list_unlink(&ch->le);
		mem_deref(ch);
	}
}

const char *cfw_chan_packages(const struct cfw_chan *ch)
{
	return ch && ch->synced ? ch->packages : NULL;
}

uint32_t cfw_chan_keepalive(const struct cfw_chan *ch)
{
	return ch ? ch->keepalive_s : 0;
}

const char *cfw_chan_dialog_id(const struct cfw_chan *ch)
{
	return ch && (ch->as || ch->synced) ? ch->dialog_id : NULL;
}

static void sync_wait_h(void *arg)
{
	cfw_chan_fail(arg, ETIMEDOUT, "no SYNC");
}

static void chan_conn_h(const struct sa *peer, void *arg)
{
	struct cfw_listener *l = arg;
	struct cfw_chan *ch = NULL;

	if (list_count(&l->chans) >= l->max_chans ||
	    chan_new(&ch, &l->h, l->txn_timeout_ms) ||
	    str_dup(&ch->offer, l->packages) ||
	    tcp_accept(&ch->tc, l->ts, NULL, chan_recv_h, chan_close_h, ch)) {
		log_warn("mscp", "msg=\"control connection refused\" "
			 "peer=%J", peer);
		tcp_reject(l->ts);
		mem_deref(ch);
		return;
	}
	ch->l = l;
	ch->connected = true;
	list_append(&l->chans, &ch->le, ch);
	tmr_start(&ch->sync_tmr, ch->txn_timeout_ms, sync_wait_h, ch);
}

static void listener_destructor(void *arg)
{
	struct cfw_listener *l = arg;
	struct le *le;

	mem_deref(l->ts);
	while ((le = list_head(&l->chans))) {
		struct cfw_chan *ch = le->data;

		ch->released = true;
		list_unlink(le);
		mem_deref(ch);
	}
	mem_deref(l->packages);
}

int cfw_listen(struct cfw_listener **lp, const struct sa *laddr,
	       const struct cfw_chan_cfg *cfg, const struct cfw_handlers *h)
{
	struct cfw_listener *l;
	int err;

	if (!lp || !laddr || !cfg || !h || !cfg->packages)
		return EINVAL;
	l = mem_zalloc(sizeof(*l), listener_destructor);
	if (!l)
		return ENOMEM;
	l->h = *h;
	l->txn_timeout_ms = cfg->txn_timeout_ms;
	l->max_chans = cfg->max_chans ? cfg->max_chans : CFW_CHANS_DEFAULT;
	err = str_dup(&l->packages, cfg->packages);
	if (!err)
		err = tcp_listen(&l->ts, laddr, chan_conn_h, l);
	if (err) {
		mem_deref(l);
		return err;
	}
	*lp = l;
	return 0;
}

int cfw_listener_port(const struct cfw_listener *l, uint16_t *port)
{
	struct sa sa;
	int err;

	if (!l || !port)
		return EINVAL;
	err = tcp_sock_local_get(l->ts, &sa);
	if (!err)
		*port = sa_port(&sa);
	return err;
}
