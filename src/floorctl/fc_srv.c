/*
 * A BFCP message from a client, whole (fc_net.c framed it): the checks
 * every message passes, in order, then the primitive's handler from the
 * table (RFC 8855 s. 13):
 *   header: too short (dropped: nothing to answer with), version
 *   (Error 12; UDP takes 2, TCP 1 or 2, answered in the version
 *   received), fragments (Error 14: not supported), payload length
 *   (Error 13), an acknowledgement (ends a UDP notification's
 *   retransmissions), attributes (Error 10), a retransmitted request
 *   (its cached response), the primitive (Error 3), unknown mandatory
 *   attributes (Error 4), the conference (Error 1), the user (Error 2),
 *   authorisation (Error 5: the user is in the call and the message
 *   comes from the IP address its SDP gave for its audio), chairs only
 *   (Error 5).
 * Errors are never answered with errors. Signalling thread only.
 */
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "conf/conf.h"
#include "conf/floor.h"
#include "conf/part.h"
#include "floorctl/fc_int.h"
#include "util/log.h"

static void hello(const struct fc_ctx *x);
static void goodbye(const struct fc_ctx *x);

static const struct {
	enum bfcp_prim prim;
	void (*h)(const struct fc_ctx *x);
	bool chair;                /* chairs only */
} prims[] = {
	{BFCP_FLOOR_REQUEST, fc_floor_request, false},
	{BFCP_FLOOR_RELEASE, fc_floor_release, false},
	{BFCP_FLOOR_REQUEST_QUERY, fc_floor_request_query, false},
	{BFCP_USER_QUERY, fc_user_query, false},
	{BFCP_FLOOR_QUERY, fc_floor_query, false},
	{BFCP_CHAIR_ACTION, fc_chair_action, true},
	{BFCP_HELLO, hello, false},
	{BFCP_GOODBYE, goodbye, false},
};

bool fc_is_chair(const struct participant *p)
{
	const char *role = part_role(p);

	return role && (!strcmp(role, "moderator") ||
			!strcmp(role, "administrator"));
}

uint16_t fc_user_id(const struct participant *p)
{
	unsigned long v = strtoul(part_id(p), NULL, 10);

	return v > 0xffff ? 0 : (uint16_t)v;
}

static bool id_cmp(struct participant *p, void *arg)
{
	return part_in_conf(p) && fc_user_id(p) == *(uint16_t *)arg;
}

struct participant *fc_find_user(const struct conf *c, uint16_t userid)
{
	return userid ? conf_apply_parts(c, id_cmp, &userid) : NULL;
}

static struct floorctl_hdr hdr_of(const struct fc_client *cl,
				  const struct bfcp_msg *msg)
{
	struct floorctl_hdr h = {.ver = msg->ver, .r = !cl->tcp,
				 .confid = msg->confid, .tid = msg->tid,
				 .userid = msg->userid};
	return h;
}

void fc_reply(struct fc_client *cl, const struct bfcp_msg *msg,
	      int (*enc)(struct mbuf *mb, const struct floorctl_hdr *h,
			 void *arg), void *arg)
{
	struct floorctl_hdr h = hdr_of(cl, msg);
	struct mbuf *mb = mbuf_alloc(256);
	int err;

	if (!mb)
		return;
	err = enc(mb, &h, arg);
	if (err) {
		log_warn("floorctl", "msg=\"cannot encode\" prim=%s err=%m",
			 bfcp_prim_name(msg->prim), err);
		mem_deref(mb);
		return;
	}
	mb->pos = 0;
	fc_cache_add(cl, msg, mb);
	(void)fc_send(cl, mb);
	mem_deref(mb);
}

struct err_arg {
	uint8_t code;
	const uint8_t *details;
	size_t dlen;
	const char *info;
};

static int err_enc(struct mbuf *mb, const struct floorctl_hdr *h, void *arg)
{
	const struct err_arg *e = arg;

	return floorctl_enc_error(mb, h, e->code, e->details, e->dlen,
				  e->info);
}

static void error_details(struct fc_client *cl, const struct bfcp_msg *msg,
			  const struct err_arg *e)
{
	log_dbg("floorctl", "msg=\"error\" peer=%J prim=%u code=%u (%s)",
		&cl->peer, msg->prim, e->code, floorctl_error_name(e->code));
	fc_reply(cl, msg, err_enc, (void *)e);
}

void fc_error(struct fc_client *cl, const struct bfcp_msg *msg,
	      uint8_t code, const char *info)
{
	struct err_arg e = {.code = code, .info = info};

	error_details(cl, msg, &e);
}

static int hello_enc(struct mbuf *mb, const struct floorctl_hdr *h,
		     void *arg)
{
	return floorctl_enc_hello_ack(mb, h);
}

static void hello(const struct fc_ctx *x)
{
	fc_reply(x->cl, x->msg, hello_enc, NULL);
}

static int plain_enc(struct mbuf *mb, const struct floorctl_hdr *h,
		     void *arg)
{
	return floorctl_enc_plain(mb, h, *(uint8_t *)arg);
}

/* The client leaves: what it followed is forgotten (RFC 8855 s. 13.?:
 * no more notifications to it) */
static void goodbye(const struct fc_ctx *x)
{
	uint8_t prim = BFCP_GOODBYE_ACK;

	fc_reply(x->cl, x->msg, plain_enc, &prim);
	fc_client_forget(x->cl);
}

/* The header as the bytes give it, before libre decodes the rest */
static bool header_ok(struct fc_client *cl, const uint8_t *d, size_t len)
{
	struct bfcp_msg m = {0};
	uint8_t ver = d[0] >> 5;
	size_t plen = 4 * (size_t)(d[2] << 8 | d[3]);

	m.ver = ver;
	m.prim = (enum bfcp_prim)d[1];
	m.confid = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 |
		(uint32_t)d[6] << 8 | d[7];
	m.tid = (uint16_t)(d[8] << 8 | d[9]);
	m.userid = (uint16_t)(d[10] << 8 | d[11]);
	if (m.prim == BFCP_ERROR)
		return false;
	if (cl->tcp ? ver != 1 && ver != 2 : ver != 2) {
		m.ver = cl->tcp ? 1 : 2;
		fc_error(cl, &m, BFCP_UNSUPPORTED_VERSION, NULL);
		return false;
	}
	if (d[0] & 0x08) {
		fc_error(cl, &m, BFCP_GENERIC_ERROR,
			 "fragmented messages are not supported");
		return false;
	}
	if (plen + 12 != len) {
		fc_error(cl, &m, BFCP_BAD_LENGTH, NULL);
		return false;
	}
	return true;
}

static bool prim_known(enum bfcp_prim prim, size_t *i)
{
	for (*i = 0; *i < sizeof(prims) / sizeof(prims[0]); (*i)++)
		if (prims[*i].prim == prim)
			return true;
	return false;
}

/* In the call, and from where its SDP said its audio comes from */
static bool authorised(const struct participant *p, const struct sa *src)
{
	const struct part_media *m = part_media(p);
	struct sa ms;
	struct pl pl;
	enum part_status st = part_status(p);

	if (st != PART_CONNECTED && st != PART_ON_HOLD)
		return false;
	if (!m || !m->remote[0])
		return false;
	pl_set_str(&pl, m->remote);
	if (sa_decode(&ms, pl.p, pl.l) && sa_set(&ms, &pl, 0))
		return false;
	return sa_cmp(&ms, src, SA_ADDR);
}

static void dispatch(struct fc_client *cl, const struct bfcp_msg *msg,
		     size_t i)
{
	struct floorctl *fc = cl->fc;
	struct fc_ctx x = {.cl = cl, .msg = msg};

	if (msg->uma.typec) {
		struct err_arg e = {.code = BFCP_UNKNOWN_MAND_ATTR,
				    .details = msg->uma.typev,
				    .dlen = msg->uma.typec};

		error_details(cl, msg, &e);
		return;
	}
	x.c = confs_lookup_room(fc->cs, msg->confid);
	if (!x.c) {
		fc_error(cl, msg, BFCP_CONF_NOT_EXIST, NULL);
		return;
	}
	x.p = fc_find_user(x.c, msg->userid);
	if (!x.p) {
		fc_error(cl, msg, BFCP_USER_NOT_EXIST, NULL);
		return;
	}
	if (!authorised(x.p, &cl->peer)) {
		fc_error(cl, msg, BFCP_UNAUTH_OPERATION,
			 "not in the call from this address");
		return;
	}
	if (prims[i].chair && !fc_is_chair(x.p)) {
		fc_error(cl, msg, BFCP_UNAUTH_OPERATION, "chairs only");
		return;
	}
	/* a UDP peer gets state now that it showed who it is */
	if (!cl->listed) {
		x.cl = fc_udp_client(fc, &cl->peer, true);
		if (!x.cl)
			x.cl = cl;
	}
	prims[i].h(&x);
}

void fc_handle(struct fc_client *cl, const uint8_t *data, size_t len)
{
	struct bfcp_msg *msg = NULL;
	struct mbuf mb;
	size_t i;
	int err;

	if (len < 12 || !header_ok(cl, data, len))
		return;
	/* the acknowledgements of our notifications (UDP) */
	if (data[1] == BFCP_FLOOR_REQ_STATUS_ACK ||
	    data[1] == BFCP_FLOOR_STATUS_ACK) {
		fc_ack(cl, (uint16_t)(data[8] << 8 | data[9]));
		return;
	}
	if (data[1] == BFCP_GOODBYE_ACK)
		return;
	mb.buf = (uint8_t *)data;
	mb.size = mb.end = len;
	mb.pos = 0;
	err = bfcp_msg_decode(&msg, &mb);
	if (err) {
		struct bfcp_msg m = {.ver = data[0] >> 5,
			.prim = (enum bfcp_prim)data[1],
			.confid = (uint32_t)data[4] << 24 |
				(uint32_t)data[5] << 16 |
				(uint32_t)data[6] << 8 | data[7],
			.tid = (uint16_t)(data[8] << 8 | data[9]),
			.userid = (uint16_t)(data[10] << 8 | data[11])};

		fc_error(cl, &m, BFCP_PARSE_ERROR, NULL);
		return;
	}
	msg->src = cl->peer;
	if (!cl->tcp && cl->listed && fc_cache_resend(cl, msg))
		goto out;
	if (!prim_known(msg->prim, &i)) {
		fc_error(cl, msg, BFCP_UNKNOWN_PRIM, NULL);
		goto out;
	}
	dispatch(cl, msg, i);
out:
	mem_deref(msg);
}
