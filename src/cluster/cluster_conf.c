/*
 * A conference in the cluster (cluster_int.h): who is in it here, its
 * lease, this node's link up to its owner (and the owner's check of a
 * child's link), this node's share of its roster and the others' shares.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#include "cluster/cluster_int.h"
#include "cluster/cluster_wire.h"
#include "conf/conf.h"
#include "conf/conf_remote.h"
#include "util/log.h"

/* --- who is in the conference here --- */

bool cluster_present(const struct participant *p)
{
	enum part_status st = part_status(p);

	return st != PART_FAILED && st != PART_DISCONNECTING;
}

static bool count_h(struct participant *p, void *arg)
{
	struct count *n = arg;

	switch (part_link(p, NULL, NULL)) {
	case PART_LINK_UP:
		if (cluster_present(p)) {
			n->up = p;
			n->ups++;
		}
		break;
	case PART_LINK_DOWN:
		n->down += cluster_present(p);
		break;
	default:
		n->local += cluster_present(p);
		break;
	}
	return false;
}

void cluster_count(const struct conf *c, struct count *n)
{
	memset(n, 0, sizeof(*n));
	(void)conf_apply_parts(c, count_h, n);
}

void cluster_publish(struct cluster *cl, struct cconf *cc,
		     const struct conf *c, bool serving)
{
	char *doc = NULL;
	int err;

	cc->dirty = false;
	if (!serving) {
		if (!cc->published)
			return;
		err = store_roster_set(cl->st, cc->id, cl->node, NULL);
		if (err) {
			cl->stats.store_errors++;
			return;
		}
		cc->published = mem_deref(cc->published);
		cl->stats.roster_writes++;
		return;
	}
	if (re_sdprintf(&doc, "%H", cluster_share_print, c))
		return;
	if (cc->published && !strcmp(cc->published, doc)) {
		mem_deref(doc);
		return;                /* only others' shares changed */
	}
	err = store_roster_set(cl->st, cc->id, cl->node, doc);
	if (err) {
		cl->stats.store_errors++;
		cc->dirty = true;      /* the next beat tries again */
		mem_deref(doc);
		return;
	}
	cl->stats.roster_writes++;
	mem_deref(cc->published);
	cc->published = doc;
}

/* --- others' roster shares --- */

struct ingest {
	struct cluster *cl;
	struct conf *c;
	char seen[16][STORE_NODE_MAX + 1];
	unsigned nseen;
};

static int roster_h(const char *node, const char *doc, void *arg)
{
	struct ingest *in = arg;
	struct conf_remote *v = NULL;
	size_t n = 0;
	int err;

	if (!strcmp(node, in->cl->node) || !cluster_node_find(in->cl, node))
		return 0;          /* ours, or a dead node's leftovers */
	err = cluster_share_parse(node, doc, strlen(doc), &v, &n);
	if (err) {
		log_warn("cluster", "msg=\"roster share unreadable\" conf=%s "
			 "node=%s err=%m", conf_id(in->c), node, err);
		return err == ENOMEM ? err : 0;
	}
	err = conf_set_remotes(in->c, node, v, n);
	mem_deref(v);
	if (in->nseen < 16)
		re_snprintf(in->seen[in->nseen++], STORE_NODE_MAX + 1, "%s",
			    node);
	return err;
}

struct gone {
	struct ingest *in;
	char node[STORE_NODE_MAX + 1];
};

static bool remote_node_h(const struct conf_remote *r, void *arg)
{
	struct gone *g = arg;

	for (unsigned i = 0; i < g->in->nseen; i++)
		if (!strcmp(g->in->seen[i], r->node))
			return false;
	re_snprintf(g->node, sizeof(g->node), "%s", r->node);
	return true;
}

void cluster_ingest_conf(struct cluster *cl, struct conf *c)
{
	struct ingest in = {.cl = cl, .c = c};
	struct gone g = {.in = &in};
	int err;

	err = store_roster_foreach(cl->st, conf_id(c), roster_h, &in);
	cl->stats.roster_reads++;
	if (err) {
		cl->stats.store_errors++;
		return;
	}
	/* the nodes that no longer have a share (or died) */
	while (conf_apply_remotes(c, remote_node_h, &g))
		(void)conf_set_remotes(c, g.node, NULL, 0);
}

void cluster_ingest_due(void *arg)
{
	struct cluster *cl = arg;

	for (struct le *le = cl->cconfs.head; le; le = le->next) {
		struct cconf *cc = le->data;
		struct conf *c;

		if (!cc->ingest)
			continue;
		cc->ingest = false;
		c = confs_lookup(cl->cs, cc->id);
		if (c)
			cluster_ingest_conf(cl, c);
	}
}

/* --- cascade links --- */

int cluster_link_hdrs(const struct participant *p, char *buf, size_t sz,
		      void *arg)
{
	struct cluster *cl = arg;
	struct cluster_link l = {.ts = (long long)(cluster_now_ms() / 1000)};
	const char *focus = "";

	(void)part_link(p, NULL, &focus);
	re_snprintf(l.node, sizeof(l.node), "%s", cl->node);
	re_snprintf(l.conf, sizeof(l.conf), "%s", conf_id(part_conf(p)));
	re_snprintf(l.focus, sizeof(l.focus), "%s", focus);
	return cluster_link_print(buf, sz, cl->secret, &l);
}

int cluster_link_check(const struct sip_msg *msg, const struct conf *c,
		       char *node, size_t nsz, char *focus, size_t fsz,
		       void *arg)
{
	struct cluster *cl = arg;
	const struct sip_hdr *h = sip_msg_xhdr(msg, "Caucus-Link");
	struct cluster_link l;
	const struct cnode *cn;
	struct sa a;
	long long now = (long long)(cluster_now_ms() / 1000);
	const char *why = NULL;

	if (!h)
		return 0;
	if (cluster_link_decode(&l, &h->val)) {
		why = "malformed";
		goto refused;
	}
	if (strcmp(l.conf, conf_id(c))) {
		why = "another conference";
		goto refused;
	}
	if (l.ts < now - LINK_MAX_SKEW_S || l.ts > now + LINK_MAX_SKEW_S) {
		why = "stale";
		goto refused;
	}
	cn = cluster_node_find(cl, l.node);
	if (!cn) {                /* a node younger than our list */
		cluster_nodes_refresh(cl);
		cn = cluster_node_find(cl, l.node);
	}
	if (!cn || !strcmp(l.node, cl->node)) {
		why = "not a live node";
		goto refused;
	}
	/* sent from that node's SIP address (the port may be another's
	 * over TCP) */
	if (sa_decode(&a, cn->sip, strlen(cn->sip)) ||
	    !sa_cmp(&a, &msg->src, SA_ADDR)) {
		why = "not from the node's address";
		goto refused;
	}
	if (!cluster_link_valid(cl->secret, &l)) {
		why = "bad signature";
		goto refused;
	}
	re_snprintf(node, nsz, "%s", l.node);
	re_snprintf(focus, fsz, "%s", l.focus);
	return 1;
refused:
	cl->stats.links_refused++;
	log_warn("cluster", "msg=\"cascade link refused\" conf=%s src=%J "
		 "why=\"%s\"", conf_id(c), &msg->src, why);
	return -1;
}

/* Our link up to the owner: dialled by the reconciler */
static void link_add(struct cluster *cl, struct conf *c, struct cconf *cc,
		     const struct cnode *owner)
{
	struct participant *p = NULL;
	char uri[160], focus[160];
	struct part_new pn = {.uri = uri, .dial_out = true,
			      .role = "participant"};
	int err;

	cc->link_tried_ms = cluster_now_ms();
	re_snprintf(uri, sizeof(uri), "sip:%s@%s", conf_id(c), owner->sip);
	re_snprintf(focus, sizeof(focus), "sip:%s@%s", conf_id(c), cl->sip);
	pn.display = cl->node;
	err = part_add(c, &pn, &p);
	if (err) {
		log_warn("cluster", "msg=\"cannot link to the owner\" conf=%s "
			 "owner=%s err=%m", conf_id(c), owner->name, err);
		return;
	}
	part_set_link(p, PART_LINK_UP, owner->name, focus);
	log_info("cluster", "msg=\"linking to the owner\" conf=%s owner=%s "
		 "uri=%s pid=%s", conf_id(c), owner->name, uri, part_id(p));
	conf_reconcile(c);
}

/* --- leases --- */

/* Takes or renews c's lease: 0 ours, EBUSY another's (cc->owner), EIO */
static int lease_take(struct cluster *cl, struct cconf *cc)
{
	char owner[STORE_NODE_MAX + 1] = "";
	uint64_t now = cluster_now_ms();
	int err;

	if (!strcmp(cc->owner, cl->node) &&
	    now - cc->renewed_ms < CLUSTER_LEASE_TTL_MS / 3)
		return 0;             /* renewed a moment ago */
	/* a live owner keeps its conference even when its lease lapsed
	 * (the store was away longer than a lease: it renews it at its
	 * next beat); only a dead owner's is taken over */
	if (cc->owner[0] && strcmp(cc->owner, cl->node) &&
	    cluster_node_find(cl, cc->owner))
		return EBUSY;
	err = store_lease_take(cl->st, cc->id, cl->node, (int64_t)now,
			       CLUSTER_LEASE_TTL_MS, owner);
	if (err == EBUSY) {
		if (strcmp(cc->owner, owner))
			log_info("cluster", "msg=\"owner\" conf=%s owner=%s",
				 cc->id, owner);
		re_snprintf(cc->owner, sizeof(cc->owner), "%s", owner);
		return EBUSY;
	}
	if (err) {
		cl->stats.store_errors++;
		return err;
	}
	if (strcmp(cc->owner, cl->node))
		log_info("cluster", "msg=\"owner\" conf=%s owner=%s (this "
			 "node)", cc->id, cl->node);
	re_snprintf(cc->owner, sizeof(cc->owner), "%s", cl->node);
	cc->renewed_ms = now;
	return 0;
}

/* Where c stands here, acted on: its lease, our link up, our share */
void cluster_conf_check(struct cluster *cl, struct conf *c)
{
	struct cconf *cc;
	struct count n;
	const struct cnode *owner;
	bool serving;
	int err;

	if (conf_adhoc(c) || conf_destroyed(c))
		return;
	cc = cluster_cconf(cl, conf_id(c), true);
	if (!cc)
		return;
	cluster_count(c, &n);
	serving = n.local + n.down > 0;
	if (!serving) {
		if (!strcmp(cc->owner, cl->node)) {
			(void)store_lease_release(cl->st, cc->id, cl->node);
			cc->owner[0] = '\0';
		}
		if (n.up)
			part_remove(n.up);
		cluster_publish(cl, cc, c, false);
		return;
	}
	err = lease_take(cl, cc);
	if (err && err != EBUSY)
		goto share;           /* the store is away: as we were */
	if (!err) {
		if (n.up) {
			log_info("cluster", "msg=\"main focus now: link up "
				 "ended\" conf=%s", cc->id);
			part_remove(n.up);
		}
		goto share;
	}
	owner = cluster_node_find(cl, cc->owner);
	if (n.up) {
		const char *lnode = "";

		(void)part_link(n.up, &lnode, NULL);
		if (!owner || strcmp(lnode, owner->name)) {
			log_info("cluster", "msg=\"owner changed: link up "
				 "ended\" conf=%s was=%s", cc->id, lnode);
			part_remove(n.up);
			n.up = NULL;
		}
	}
	if (!n.up && owner && n.local &&
	    cluster_now_ms() - cc->link_tried_ms >= LINK_RETRY_MS)
		link_add(cl, c, cc, owner);
share:
	if (cc->dirty || !cc->published)
		cluster_publish(cl, cc, c, true);
}

bool cluster_check_h(struct conf *c, void *arg)
{
	cluster_conf_check(arg, c);
	return false;
}

int cluster_join_h(struct conf *c, void *arg)
{
	struct cluster *cl = arg;
	struct cconf *cc;
	struct count n;
	const struct cnode *owner;
	int err;

	if (conf_adhoc(c))
		return 0;
	cc = cluster_cconf(cl, conf_id(c), true);
	if (!cc)
		return ENOMEM;
	err = lease_take(cl, cc);
	if (err == EBUSY) {
		/* a child of the owner: linked now, so that the caller
		 * hears the room from its first moment */
		cluster_count(c, &n);
		owner = cluster_node_find(cl, cc->owner);
		if (!owner) {
			cluster_nodes_refresh(cl);
			owner = cluster_node_find(cl, cc->owner);
		}
		if (!n.up && owner &&
		    cluster_now_ms() - cc->link_tried_ms >= LINK_RETRY_MS)
			link_add(cl, c, cc, owner);
		return 0;
	}
	if (err)                  /* the store is away: served here alone */
		log_warn("cluster", "msg=\"lease not taken: the store is "
			 "away; serving here\" conf=%s", cc->id);
	return 0;
}

