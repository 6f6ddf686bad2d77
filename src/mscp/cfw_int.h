/*
 * The channel's objects, shared by its connection side (cfw_chan.c: TCP,
 * SYNC, keep-alives, the listener) and its transactions (cfw_txn.c).
 * Only those two files include this.
 */
#ifndef CAUCUS_MSCP_CFW_INT_H
#define CAUCUS_MSCP_CFW_INT_H

#include <re.h>
#include "mscp/cfw.h"

#define CFW_KEEPALIVE_DEFAULT_S 100
#define CFW_KEEPALIVE_MAX_S 86400
#define CFW_TXN_TIMEOUT_MS 10000
#define CFW_CHANS_DEFAULT 16
/* Keep-alive: a K-ALIVE once this share of the interval passed since we
 * last sent; the channel is dead after this share with nothing heard
 * (the half interval more than the interval itself leaves room for a
 * late K-ALIVE on a loaded host) */
#define CFW_KA_SEND_PCT 80
#define CFW_KA_DEAD_PCT 150

/* One of our requests waiting for its answer (SYNC, K-ALIVE, CONTROL) */
struct cfw_txn {
	struct le le;
	struct cfw_chan *ch;
	char tid[CFW_TID_MAX + 1];
	enum cfw_method method;
	bool accepted;            /* a 202 came: REPORTs until terminate */
	uint32_t seq;             /* the last REPORT's Seq */
	struct tmr tmr;
	cfw_resp_h *rh;
	void *arg;
};

/* A CONTROL of the peer not finished yet (its id is in use: 423) */
struct cfw_in {
	struct le le;
	char tid[CFW_TID_MAX + 1];
	bool accepted;            /* we answered 202: REPORTs follow */
	uint32_t seq;             /* our last REPORT's Seq */
};

struct cfw_chan {
	struct le le;             /* in its listener's list */
	struct cfw_listener *l;   /* MS: the listener (owns it); AS: NULL */
	struct tcp_conn *tc;
	struct cfw_parser *parser;
	bool as;                  /* the AS: it sends SYNC */
	bool connected, synced, closed, released;
	char *dialog_id;
	char *offer;              /* AS: packages offered; MS: supported */
	char *packages;           /* agreed by SYNC */
	uint32_t keepalive_s;
	uint32_t txn_timeout_ms;
	struct tmr ka_tx;         /* send a K-ALIVE (CFW_KA_SEND_PCT) */
	struct tmr ka_rx;         /* nothing heard (CFW_KA_DEAD_PCT) */
	struct tmr sync_tmr;      /* MS: a SYNC must come */
	struct list txns;         /* struct cfw_txn */
	struct list ins;          /* struct cfw_in */
	struct cfw_handlers h;
};

/* cfw_chan.c */
int  cfw_chan_send(struct cfw_chan *ch, const struct cfw_msg *m);
void cfw_chan_fail(struct cfw_chan *ch, int err, const char *why);
int  cfw_chan_answer(struct cfw_chan *ch, const char *tid, uint16_t code,
		     const char *why);
void cfw_chan_synced(struct cfw_chan *ch, const char *packages,
		     uint32_t keepalive_s);
bool cfw_packages_has(const char *list, const struct pl *pkg);
/* cfw_txn.c */
int  cfw_txn_start(struct cfw_chan *ch, struct cfw_msg *m,
		   cfw_resp_h *rh, void *arg);
void cfw_txn_response(struct cfw_chan *ch, const struct cfw_msg *msg);
void cfw_txn_report(struct cfw_chan *ch, const struct cfw_msg *msg);
void cfw_txn_control(struct cfw_chan *ch, const struct cfw_msg *msg);
void cfw_txn_flush(struct cfw_chan *ch, bool notify);

#endif
