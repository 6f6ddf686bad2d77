/*
 * ChairAction (RFC 8855 s. 13.4): a chair (a moderator or administrator
 * of the conference; fc_srv.c checked) accepts, grants, denies or
 * revokes a request. The new status comes in FLOOR-REQUEST-INFORMATION:
 * the REQUEST-STATUS of its FLOOR-REQUEST-STATUS for the floor, else of
 * its OVERALL-REQUEST-STATUS. Answers: ChairActionAck; Error 10 when the
 * status is missing, 7 for an unknown request, 6 for another floor, 14
 * for a status a chair cannot set or a transition the request cannot
 * make (granting one granted, revoking one not granted, granting past
 * the floor's holders). The requester hears of the change (fc_req.c).
 * Signalling thread only.
 */
#include <re.h>
#include "conf/conf.h"
#include "conf/floor.h"
#include "conf/part.h"
#include "floorctl/fc_int.h"

struct decision {
	const struct bfcp_attr *status;
	const char *info;
	unsigned floors, bad_floor;
};

static bool sub_h(const struct bfcp_attr *a, void *arg)
{
	struct decision *d = arg;
	const struct bfcp_attr *rs, *si;

	if (a->type != BFCP_FLOOR_REQ_STATUS)
		return false;
	d->floors++;
	if (a->v.floorid != FLOOR_AUDIO)
		d->bad_floor++;
	rs = bfcp_attr_subattr(a, BFCP_REQUEST_STATUS);
	si = bfcp_attr_subattr(a, BFCP_STATUS_INFO);
	if (rs)
		d->status = rs;
	if (si)
		d->info = si->v.statusinfo;
	return false;
}

static int ack_enc(struct mbuf *mb, const struct floorctl_hdr *h, void *arg)
{
	return floorctl_enc_plain(mb, h, BFCP_CHAIR_ACTION_ACK);
}

static void decide(const struct fc_ctx *x, struct floor_request *r,
		   const struct decision *d)
{
	enum floor_status st = (enum floor_status)
		d->status->v.reqstatus.status;
	int err;

	switch (st) {
	case FLOOR_ACCEPTED:
	case FLOOR_GRANTED:
	case FLOOR_DENIED:
	case FLOOR_REVOKED:
		break;
	default:
		fc_error(x->cl, x->msg, BFCP_GENERIC_ERROR,
			 "a chair accepts, grants, denies or revokes");
		return;
	}
	err = floor_request_decide(r, st, d->info);
	if (err == ENOSPC)
		fc_error(x->cl, x->msg, BFCP_GENERIC_ERROR,
			 "the floor has all its holders");
	else if (err)
		fc_error(x->cl, x->msg, BFCP_GENERIC_ERROR,
			 "not a transition of that request");
	else
		fc_reply(x->cl, x->msg, ack_enc, NULL);
}

void fc_chair_action(const struct fc_ctx *x)
{
	const struct bfcp_attr *fri = bfcp_msg_attr(x->msg,
						    BFCP_FLOOR_REQ_INFO);
	const struct bfcp_attr *ors;
	struct decision d = {0};
	struct floor_request *r;

	if (!fri) {
		fc_error(x->cl, x->msg, BFCP_PARSE_ERROR,
			 "no FLOOR-REQUEST-INFORMATION");
		return;
	}
	(void)bfcp_attr_subattr_apply(fri, sub_h, &d);
	ors = bfcp_attr_subattr(fri, BFCP_OVERALL_REQ_STATUS);
	if (!d.status && ors) {
		d.status = bfcp_attr_subattr(ors, BFCP_REQUEST_STATUS);
		if (!d.info && bfcp_attr_subattr(ors, BFCP_STATUS_INFO))
			d.info = bfcp_attr_subattr(ors, BFCP_STATUS_INFO)
				->v.statusinfo;
	}
	if (!d.floors || !d.status) {
		fc_error(x->cl, x->msg, BFCP_PARSE_ERROR,
			 "no FLOOR-REQUEST-STATUS with REQUEST-STATUS");
		return;
	}
	if (d.bad_floor) {
		fc_error(x->cl, x->msg, BFCP_INVALID_FLOOR_ID, NULL);
		return;
	}
	r = conf_floor_request_find(x->c, fri->v.floorreqid);
	if (!r) {
		fc_error(x->cl, x->msg, BFCP_FLOOR_REQ_ID_NOT_EXIST, NULL);
		return;
	}
	decide(x, r, &d);
}
