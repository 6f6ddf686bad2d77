/*
 * The BFCP messages the floor control server builds (RFC 8855 s. 5):
 * the common header and the attributes through libre's codec
 * (bfcp_msg_encode, bfcp_attrs_encode), the grouped attributes here
 * (libre's variadic grouping cannot leave out an optional member). An
 * attribute's length is one byte, so strings are cut to fit and a group
 * longer than 255 bytes is EOVERFLOW. Called by fc_srv.c; the unit test
 * checks the bytes. Signalling thread.
 */
#include <string.h>
#include <re.h>
#include "floorctl/floorctl.h"

/* the attributes' mandatory bit: 0, the receiver may ignore what it does
 * not know of them */
static int str_attr(struct mbuf *mb, enum bfcp_attrib type, const char *s,
		    size_t max)
{
	char buf[FLOORCTL_URI_MAX + 1];
	size_t n;

	if (!s || !*s)
		return 0;
	n = strlen(s);
	if (n > max)
		n = max;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return bfcp_attrs_encode(mb, 1, type, 0, buf);
}

static int u16_attr(struct mbuf *mb, enum bfcp_attrib type, uint16_t v)
{
	return bfcp_attrs_encode(mb, 1, type, 0, &v);
}

static int status_attr(struct mbuf *mb, uint8_t status, uint8_t qpos)
{
	struct bfcp_reqstatus rs = {.status = (enum bfcp_reqstat)status,
				    .qpos = qpos};

	return bfcp_attrs_encode(mb, 1, BFCP_REQUEST_STATUS, 0, &rs);
}

/* A grouped attribute's header: type, length (set by grp_end), value */
static int grp_begin(struct mbuf *mb, enum bfcp_attrib type, uint16_t v,
		     size_t *start)
{
	*start = mb->pos;
	return mbuf_write_u8(mb, (uint8_t)(type << 1)) |
		mbuf_write_u8(mb, 0) | mbuf_write_u16(mb, htons(v));
}

static int grp_end(struct mbuf *mb, size_t start)
{
	size_t len = mb->pos - start;

	if (len > 255)
		return EOVERFLOW;
	mb->buf[start + 1] = (uint8_t)len;
	return 0;
}

static int status_grp(struct mbuf *mb, enum bfcp_attrib type, uint16_t v,
		      const struct floorctl_reqinfo *ri)
{
	size_t start;
	int err;

	err = grp_begin(mb, type, v, &start);
	err = err ? err : status_attr(mb, ri->status, ri->qpos);
	err = err ? err : str_attr(mb, BFCP_STATUS_INFO, ri->status_info,
				   FLOORCTL_STR_MAX);
	return err ? err : grp_end(mb, start);
}

/* FLOOR-REQUEST-INFORMATION (s. 5.2.15): OVERALL-REQUEST-STATUS,
 * FLOOR-REQUEST-STATUS, then BENEFICIARY-INFORMATION,
 * REQUESTED-BY-INFORMATION, PRIORITY, PARTICIPANT-PROVIDED-INFO */
static int reqinfo_encode(struct mbuf *mb, const struct floorctl_reqinfo *ri)
{
	size_t start, s2;
	int err;

	err = grp_begin(mb, BFCP_FLOOR_REQ_INFO, ri->reqid, &start);
	err = err ? err : status_grp(mb, BFCP_OVERALL_REQ_STATUS, ri->reqid,
				     ri);
	err = err ? err : status_grp(mb, BFCP_FLOOR_REQ_STATUS, ri->floorid,
				     ri);
	if (!err && ri->beneficiary) {
		err = grp_begin(mb, BFCP_BENEFICIARY_INFO, ri->beneficiary,
				&s2);
		err = err ? err : str_attr(mb, BFCP_USER_DISP_NAME,
					   ri->ben_name, FLOORCTL_STR_MAX);
		err = err ? err : str_attr(mb, BFCP_USER_URI, ri->ben_uri,
					   FLOORCTL_URI_MAX);
		err = err ? err : grp_end(mb, s2);
	}
	if (!err && ri->requested_by) {
		err = grp_begin(mb, BFCP_REQUESTED_BY_INFO, ri->requested_by,
				&s2);
		err = err ? err : grp_end(mb, s2);
	}
	if (!err && ri->has_priority) {
		enum bfcp_priority prio = (enum bfcp_priority)ri->priority;

		err = bfcp_attrs_encode(mb, 1, BFCP_PRIORITY, 0, &prio);
	}
	err = err ? err : str_attr(mb, BFCP_PART_PROV_INFO, ri->part_info,
				   FLOORCTL_URI_MAX);
	return err ? err : grp_end(mb, start);
}

struct body {
	int (*h)(struct mbuf *mb, const struct body *b);
	uint8_t code;
	const uint8_t *details;
	size_t dlen;
	const char *info;
	uint16_t id;
	const char *name, *uri;
	const struct floorctl_reqinfo *riv;
	size_t n;
};

static int body_h(struct mbuf *mb, void *arg)
{
	const struct body *b = arg;

	return b->h ? b->h(mb, b) : 0;
}

static int encode(struct mbuf *mb, const struct floorctl_hdr *h,
		  uint8_t prim, const struct body *b)
{
	struct bfcp_encode enc = {.ench = body_h, .arg = (void *)b};
	size_t start;
	int err;

	if (!mb || !h)
		return EINVAL;
	start = mb->pos;
	err = bfcp_msg_encode(mb, h->ver, h->r, (enum bfcp_prim)prim,
			      h->confid, h->tid, h->userid, 1,
			      BFCP_ENCODE_HANDLER, 0, &enc);
	if (!err && (mb->pos - start - 12) / 4 > 0xffff)
		err = EOVERFLOW;
	if (err)
		mb->pos = start;
	return err;
}

int floorctl_enc_plain(struct mbuf *mb, const struct floorctl_hdr *h,
		       uint8_t prim)
{
	struct body b = {0};

	return encode(mb, h, prim, &b);
}

static int hello_body(struct mbuf *mb, const struct body *b)
{
	static const enum bfcp_prim primv[] = {
		BFCP_FLOOR_REQUEST, BFCP_FLOOR_RELEASE,
		BFCP_FLOOR_REQUEST_QUERY, BFCP_FLOOR_REQUEST_STATUS,
		BFCP_USER_QUERY, BFCP_USER_STATUS, BFCP_FLOOR_QUERY,
		BFCP_FLOOR_STATUS, BFCP_CHAIR_ACTION, BFCP_CHAIR_ACTION_ACK,
		BFCP_HELLO, BFCP_HELLO_ACK, BFCP_ERROR,
		BFCP_FLOOR_REQ_STATUS_ACK, BFCP_FLOOR_STATUS_ACK,
		BFCP_GOODBYE, BFCP_GOODBYE_ACK,
	};
	static const enum bfcp_attrib attrv[] = {
		BFCP_BENEFICIARY_ID, BFCP_FLOOR_ID, BFCP_FLOOR_REQUEST_ID,
		BFCP_PRIORITY, BFCP_REQUEST_STATUS, BFCP_ERROR_CODE,
		BFCP_ERROR_INFO, BFCP_PART_PROV_INFO, BFCP_STATUS_INFO,
		BFCP_SUPPORTED_ATTRS, BFCP_SUPPORTED_PRIMS,
		BFCP_USER_DISP_NAME, BFCP_USER_URI, BFCP_BENEFICIARY_INFO,
		BFCP_FLOOR_REQ_INFO, BFCP_REQUESTED_BY_INFO,
		BFCP_FLOOR_REQ_STATUS, BFCP_OVERALL_REQ_STATUS,
	};
	struct bfcp_supprim sp = {.primv = (enum bfcp_prim *)primv,
		.primc = sizeof(primv) / sizeof(primv[0])};
	struct bfcp_supattr sa = {.attrv = (enum bfcp_attrib *)attrv,
		.attrc = sizeof(attrv) / sizeof(attrv[0])};

	(void)b;
	return bfcp_attrs_encode(mb, 2, BFCP_SUPPORTED_PRIMS, 0, &sp,
				 BFCP_SUPPORTED_ATTRS, 0, &sa);
}

int floorctl_enc_hello_ack(struct mbuf *mb, const struct floorctl_hdr *h)
{
	struct body b = {.h = hello_body};

	return encode(mb, h, BFCP_HELLO_ACK, &b);
}

static int error_body(struct mbuf *mb, const struct body *b)
{
	struct bfcp_errcode ec = {.code = (enum bfcp_err)b->code,
				  .details = (uint8_t *)b->details,
				  .len = b->dlen};
	int err;

	if (b->dlen > 200)
		return EOVERFLOW;
	err = bfcp_attrs_encode(mb, 1, BFCP_ERROR_CODE, 0, &ec);
	return err ? err : str_attr(mb, BFCP_ERROR_INFO, b->info,
				    FLOORCTL_URI_MAX);
}

int floorctl_enc_error(struct mbuf *mb, const struct floorctl_hdr *h,
		       uint8_t code, const uint8_t *details, size_t dlen,
		       const char *info)
{
	struct body b = {.h = error_body, .code = code, .details = details,
			 .dlen = dlen, .info = info};

	return encode(mb, h, BFCP_ERROR, &b);
}

static int reqs_body(struct mbuf *mb, const struct body *b)
{
	int err = 0;

	for (size_t i = 0; i < b->n && !err; i++)
		err = reqinfo_encode(mb, &b->riv[i]);
	return err;
}

int floorctl_enc_frs(struct mbuf *mb, const struct floorctl_hdr *h,
		     const struct floorctl_reqinfo *ri)
{
	struct body b = {.h = reqs_body, .riv = ri, .n = ri ? 1 : 0};

	return encode(mb, h, BFCP_FLOOR_REQUEST_STATUS, &b);
}

static int floor_body(struct mbuf *mb, const struct body *b)
{
	int err = b->id ? u16_attr(mb, BFCP_FLOOR_ID, b->id) : 0;

	return err ? err : reqs_body(mb, b);
}

int floorctl_enc_floor_status(struct mbuf *mb, const struct floorctl_hdr *h,
			      uint16_t floorid,
			      const struct floorctl_reqinfo *riv, size_t n)
{
	struct body b = {.h = floor_body, .id = floorid, .riv = riv, .n = n};

	return encode(mb, h, BFCP_FLOOR_STATUS, &b);
}

static int user_body(struct mbuf *mb, const struct body *b)
{
	size_t start;
	int err = 0;

	if (b->id) {
		err = grp_begin(mb, BFCP_BENEFICIARY_INFO, b->id, &start);
		err = err ? err : str_attr(mb, BFCP_USER_DISP_NAME, b->name,
					   FLOORCTL_STR_MAX);
		err = err ? err : str_attr(mb, BFCP_USER_URI, b->uri,
					   FLOORCTL_URI_MAX);
		err = err ? err : grp_end(mb, start);
	}
	return err ? err : reqs_body(mb, b);
}

int floorctl_enc_user_status(struct mbuf *mb, const struct floorctl_hdr *h,
			     uint16_t ben, const char *name, const char *uri,
			     const struct floorctl_reqinfo *riv, size_t n)
{
	struct body b = {.h = user_body, .id = ben, .name = name, .uri = uri,
			 .riv = riv, .n = n};

	return encode(mb, h, BFCP_USER_STATUS, &b);
}

const char *floorctl_error_name(uint8_t code)
{
	return bfcp_errcode_name((enum bfcp_err)code);
}
