/*
 * caucus-bfcpclient's output: one line per message received, in a
 * stable form scripts can grep:
 *   HelloAck prims=17 attrs=18
 *   FloorRequestStatus req=3 status=granted qpos=0 [user=N] [info="..."]
 *   FloorStatus floor=1 n=2 req=3/granted/0/u2 req=4/pending/1/u3
 *   UserStatus user=2 n=1 req=3/pending/1/u2
 *   ChairActionAck | GoodbyeAck
 *   Error code=5 name="Unauthorized Operation" [info="..."]
 */
#include <stdio.h>
#include <ctype.h>
#include <string.h>
#include <re.h>
#include "bfcpclient.h"

static const char *status_name(unsigned st)
{
	static const char *names[] = {"?", "pending", "accepted", "granted",
				      "denied", "cancelled", "released",
				      "revoked"};

	return st < 8 ? names[st] : "?";
}

static void print_str(const char *key, const char *s)
{
	if (!s || !*s)
		return;
	printf(" %s=\"", key);
	for (; *s; s++)
		putchar(isprint((unsigned char)*s) && *s != '"' ? *s : '?');
	putchar('"');
}

struct req {
	uint16_t id, user;
	uint8_t status, qpos;
	const char *sinfo, *info;
};

static bool sub_h(const struct bfcp_attr *a, void *arg)
{
	struct req *r = arg;
	const struct bfcp_attr *rs = bfcp_attr_subattr(a,
						       BFCP_REQUEST_STATUS);
	const struct bfcp_attr *si = bfcp_attr_subattr(a, BFCP_STATUS_INFO);

	switch (a->type) {
	case BFCP_OVERALL_REQ_STATUS:
	case BFCP_FLOOR_REQ_STATUS:
		if (rs) {
			r->status = (uint8_t)rs->v.reqstatus.status;
			r->qpos = rs->v.reqstatus.qpos;
		}
		if (si)
			r->sinfo = si->v.statusinfo;
		break;
	case BFCP_BENEFICIARY_INFO:
		r->user = a->v.beneficiaryid;
		break;
	case BFCP_PART_PROV_INFO:
		r->info = a->v.partprovinfo;
		break;
	default:
		break;
	}
	return false;
}

static void req_read(const struct bfcp_attr *fri, struct req *r)
{
	memset(r, 0, sizeof(*r));
	r->id = fri->v.floorreqid;
	(void)bfcp_attr_subattr_apply(fri, sub_h, r);
}

static bool list_h(const struct bfcp_attr *a, void *arg)
{
	struct req r;

	if (a->type != BFCP_FLOOR_REQ_INFO)
		return false;
	req_read(a, &r);
	printf(" req=%u/%s/%u/u%u", r.id, status_name(r.status), r.qpos,
	       r.user);
	return false;
}

static bool count_h(const struct bfcp_attr *a, void *arg)
{
	*(unsigned *)arg += a->type == BFCP_FLOOR_REQ_INFO;
	return false;
}

static void print_frs(const struct bfcp_msg *msg)
{
	const struct bfcp_attr *fri = bfcp_msg_attr(msg, BFCP_FLOOR_REQ_INFO);
	struct req r;

	if (!fri) {
		printf("FloorRequestStatus\n");
		return;
	}
	req_read(fri, &r);
	printf("FloorRequestStatus req=%u status=%s qpos=%u", r.id,
	       status_name(r.status), r.qpos);
	if (r.user)
		printf(" user=%u", r.user);
	print_str("status_info", r.sinfo);
	print_str("info", r.info);
	printf("\n");
}

static void print_list(const struct bfcp_msg *msg, const char *what,
		       const char *key, uint16_t id)
{
	unsigned n = 0;

	(void)bfcp_msg_attr_apply(msg, count_h, &n);
	printf("%s %s=%u n=%u", what, key, id, n);
	(void)bfcp_msg_attr_apply(msg, list_h, NULL);
	printf("\n");
}

bool client_print(const struct bfcp_msg *msg)
{
	const struct bfcp_attr *a;

	switch (msg->prim) {
	case BFCP_HELLO_ACK: {
		const struct bfcp_attr *p = bfcp_msg_attr(msg,
						BFCP_SUPPORTED_PRIMS);

		a = bfcp_msg_attr(msg, BFCP_SUPPORTED_ATTRS);
		printf("HelloAck prims=%zu attrs=%zu\n",
		       p ? p->v.supprim.primc : 0,
		       a ? a->v.supattr.attrc : 0);
		return false;
	}
	case BFCP_FLOOR_REQUEST_STATUS:
		print_frs(msg);
		return false;
	case BFCP_FLOOR_STATUS:
		a = bfcp_msg_attr(msg, BFCP_FLOOR_ID);
		print_list(msg, "FloorStatus", "floor", a ? a->v.floorid : 0);
		return false;
	case BFCP_USER_STATUS:
		a = bfcp_msg_attr(msg, BFCP_BENEFICIARY_INFO);
		print_list(msg, "UserStatus", "user",
			   a ? a->v.beneficiaryid : 0);
		return false;
	case BFCP_ERROR:
		a = bfcp_msg_attr(msg, BFCP_ERROR_CODE);
		printf("Error code=%u name=\"%s\"", a ? a->v.errcode.code : 0,
		       a ? bfcp_errcode_name(a->v.errcode.code) : "?");
		a = bfcp_msg_attr(msg, BFCP_ERROR_INFO);
		print_str("info", a ? a->v.errinfo : NULL);
		printf("\n");
		return true;
	default:
		printf("%s\n", bfcp_prim_name(msg->prim));
		return false;
	}
}
