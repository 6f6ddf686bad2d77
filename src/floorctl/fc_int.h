/*
 * Inside the floor control server: the server (floorctl.c), its clients
 * and transports (fc_net.c), the message handlers (fc_srv.c, fc_req.c).
 * Signalling thread only.
 */
#ifndef CAUCUS_FC_INT_H
#define CAUCUS_FC_INT_H

#include <re.h>
#include "floorctl/floorctl.h"

struct conf;
struct participant;
struct floor_request;

/* What one source may hold (docs/floor.md, Limits): a flood from one
 * address costs at most these */
#define FC_TRACK_MAX 16        /* requests and floors a client follows */
#define FC_TX_MAX 16           /* UDP notifications awaiting their ack */
#define FC_CACHE_MAX 4         /* UDP responses kept for retransmissions */
#define FC_UDP_CLIENTS_MAX 256 /* UDP peers with state, all together */
#define FC_MSG_MAX 8192        /* the longest message taken */
#define FC_STATUS_MAX 24       /* requests listed in one FloorStatus */
#define FC_T1_MS 500           /* UDP retransmission, doubling */
#define FC_TX_SENDS 4          /* then the client is taken for gone */
#define FC_T2_MS 10000         /* a response answers retransmissions */

struct floorctl {
	struct confs *cs;
	struct udp_sock *us;
	struct tcp_sock *ts;
	uint16_t port;
	unsigned max_conns, max_conns_src;
	struct list clients;       /* struct fc_client */
	unsigned nudp, ntcp;
	struct tmr sweep;          /* idle UDP peers go */
	struct tmr floor_tmr;      /* FloorStatus to watchers, batched */
	floorctl_sink_h *sink;
	void *sink_arg;
	struct fc_cur *cur;        /* the message being handled */
};

/* A transport peer: a TCP connection, or a UDP source address */
struct fc_client {
	struct le le;
	struct floorctl *fc;
	bool tcp;
	bool listed;               /* in fc->clients (a UDP reply alone is
				    * not) */
	bool closed;
	struct sa peer;
	struct tcp_conn *tc;
	struct mbuf *rx;           /* TCP: bytes of a message so far */
	struct list tracks;        /* struct fc_track */
	struct list txl;           /* UDP: struct fc_tx */
	struct list cache;         /* UDP: struct fc_cached */
	uint16_t next_tid;
	uint64_t last_ms;
};

/* A request the client made (its status goes to it), or a floor it
 * queried (FloorStatus on each change) */
struct fc_track {
	struct le le;
	bool watch;
	bool dirty;                /* watch: a FloorStatus is due */
	uint32_t confid;
	uint16_t id;               /* request id, or floor id */
	uint16_t userid;
	uint8_t ver;
};

/* A floor request read at one moment (an ended one is gone after the
 * floor handler saw it) */
struct fc_snap {
	uint16_t reqid, floorid, ben, by;
	uint8_t status, qpos, priority;
	bool third;
	char status_info[FLOORCTL_STR_MAX + 1];
	char info[FLOORCTL_URI_MAX + 1];
	char ben_name[FLOORCTL_STR_MAX + 1];
	char ben_uri[FLOORCTL_URI_MAX + 1];
};

/* The message being handled: its request's changes are the response's,
 * not notifications to the same client */
struct fc_cur {
	struct fc_client *cl;
	uint32_t confid;
	uint16_t reqid;            /* 0: a new request of ben */
	const struct participant *ben;
	bool taken;
	struct fc_snap snap;
};

/* fc_net.c */
struct fc_client *fc_udp_client(struct floorctl *fc, const struct sa *src,
				bool create);
void fc_client_close(struct fc_client *cl);
int  fc_send(struct fc_client *cl, struct mbuf *mb);
/* UDP: remember a response for the request's retransmissions */
void fc_cache_add(struct fc_client *cl, const struct bfcp_msg *req,
		  struct mbuf *mb);
/* A notification: over UDP a transaction until acked */
int  fc_notify(struct fc_client *cl, struct mbuf *mb, uint16_t tid);
uint16_t fc_next_tid(struct fc_client *cl);
void fc_ack(struct fc_client *cl, uint16_t tid);
bool fc_cache_resend(struct fc_client *cl, const struct bfcp_msg *msg);
void fc_client_forget(struct fc_client *cl);

/* fc_srv.c: one whole message from the client */
void fc_handle(struct fc_client *cl, const uint8_t *data, size_t len);
void fc_reply(struct fc_client *cl, const struct bfcp_msg *msg,
	      int (*enc)(struct mbuf *mb, const struct floorctl_hdr *h,
			 void *arg), void *arg);
void fc_error(struct fc_client *cl, const struct bfcp_msg *msg,
	      uint8_t code, const char *info);
bool fc_is_chair(const struct participant *p);
uint16_t fc_user_id(const struct participant *p);
struct participant *fc_find_user(const struct conf *c, uint16_t userid);

/* fc_req.c: the primitives that touch requests, and the floor handler */
struct fc_ctx {
	struct fc_client *cl;
	const struct bfcp_msg *msg;
	struct conf *c;
	struct participant *p;     /* the user of the message */
};
void fc_floor_request(const struct fc_ctx *x);
void fc_floor_release(const struct fc_ctx *x);
void fc_floor_request_query(const struct fc_ctx *x);
void fc_user_query(const struct fc_ctx *x);
void fc_floor_query(const struct fc_ctx *x);
void fc_chair_action(const struct fc_ctx *x);
void fc_floor_changed(struct floor_request *r, void *arg);
void fc_floor_flush(void *arg);
void fc_snap_take(struct fc_snap *s, const struct floor_request *r);
struct fc_track *fc_track_find(const struct fc_client *cl, bool watch,
			       uint32_t confid, uint16_t id);
/* the request the message being handled acts on (act_begin/act_end in
 * fc_req.c): its changes are the response */
void fc_act_begin(const struct fc_ctx *x, struct fc_cur *cur, uint16_t reqid,
		  const struct participant *ben);
void fc_act_end(const struct fc_ctx *x, struct fc_cur *cur,
		const struct floor_request *r);
void fc_snap_info(const struct fc_snap *s, struct floorctl_reqinfo *ri,
		  bool ben);

#endif
