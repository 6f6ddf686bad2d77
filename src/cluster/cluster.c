/*
 * A node's part in the cluster (cluster.h). Everything here runs on the
 * signalling thread from three kinds of event: the heartbeat (once a
 * second: the node's row, the list of live nodes, every conference's lease
 * and link checked), the store's notifications (a conference, the users, a
 * roster share or a lease changed somewhere), and the conferences' changes
 * (this node's roster share is published 100 ms after a change, once for
 * any number of changes in between).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "cluster/cluster_int.h"
#include "conf/conf.h"
#include "conf/conf_remote.h"
#include "sip/sip.h"
#include "store/store.h"
#include "users/users.h"
#include "util/log.h"


uint64_t cluster_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void cconf_destructor(void *arg)
{
	struct cconf *cc = arg;

	list_unlink(&cc->le);
	mem_deref(cc->published);
}

struct cconf *cluster_cconf(struct cluster *cl, const char *id, bool make)
{
	struct cconf *cc;

	for (struct le *le = cl->cconfs.head; le; le = le->next) {
		cc = le->data;
		if (!strcmp(cc->id, id))
			return cc;
	}
	if (!make)
		return NULL;
	cc = mem_zalloc(sizeof(*cc), cconf_destructor);
	if (!cc)
		return NULL;
	re_snprintf(cc->id, sizeof(cc->id), "%s", id);
	list_append(&cl->cconfs, &cc->le, cc);
	return cc;
}

const struct cnode *cluster_node_find(const struct cluster *cl,
				      const char *name)
{
	for (size_t i = 0; i < cl->nnodes; i++)
		if (!strcmp(cl->nodes[i].name, name))
			return &cl->nodes[i];
	return NULL;
}

/* --- membership --- */

struct nodes_acc {
	struct cnode *v;
	size_t n, cap;
};

static int name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cnode *)a)->name,
		      ((const struct cnode *)b)->name);
}

static int node_h(const struct store_node *sn, void *arg)
{
	struct nodes_acc *acc = arg;
	struct cnode *cn;

	if (acc->n == acc->cap) {
		size_t cap = acc->cap ? acc->cap * 2 : 8;
		/* libre's mem_realloc takes no NULL */
		struct cnode *v = acc->v ? mem_realloc(acc->v,
						       cap * sizeof(*v)) :
			mem_zalloc(cap * sizeof(*v), NULL);

		if (!v)
			return ENOMEM;
		acc->v = v;
		acc->cap = cap;
	}
	cn = &acc->v[acc->n++];
	memset(cn, 0, sizeof(*cn));
	re_snprintf(cn->name, sizeof(cn->name), "%s", sn->node);
	re_snprintf(cn->sip, sizeof(cn->sip), "%s", sn->sip_addr);
	re_snprintf(cn->api, sizeof(cn->api), "%s", sn->api_url);
	cn->capacity = sn->capacity;
	cn->participants = sn->participants;
	return 0;
}

struct dead {
	struct cluster *cl;
	const char *node;
};

static bool dead_part_h(struct participant *p, void *arg)
{
	const char *lnode = "";

	if (part_link(p, &lnode, NULL) == PART_LINK_DOWN &&
	    !strcmp(lnode, arg) && cluster_present(p))
		part_remove(p);
	return false;
}

static bool dead_conf_h(struct conf *c, void *arg)
{
	struct dead *d = arg;

	(void)conf_set_remotes(c, d->node, NULL, 0);
	(void)conf_apply_parts(c, dead_part_h, (void *)d->node);
	return false;
}

/* A node left the list of live ones: its participants are no longer
 * listed, its links into us are ended, its shares deleted */
static void node_dead(struct cluster *cl, const char *node)
{
	struct dead d = {.cl = cl, .node = node};

	log_warn("cluster", "msg=\"node dead\" node=%s", node);
	(void)confs_apply(cl->cs, dead_conf_h, &d);
	if (store_roster_clear(cl->st, node))
		cl->stats.store_errors++;
}

void cluster_nodes_refresh(struct cluster *cl)
{
	struct nodes_acc acc = {0};
	struct cnode *old = cl->nodes;
	size_t nold = cl->nnodes;

	uint64_t now = cluster_now_ms();
	bool grace;
	int err;

	err = store_node_foreach(cl->st, (int64_t)now, node_h, &acc);
	if (err) {
		cl->stats.store_errors++;
		cl->store_failing = true;
		mem_deref(acc.v);
		return;
	}
	if (cl->store_failing) {
		cl->store_failing = false;
		cl->store_back_ms = now;
	}
	/* after the store was away, the others' rows expired meanwhile:
	 * they are not dead before they had time to beat again */
	grace = cl->store_back_ms &&
		now - cl->store_back_ms < CLUSTER_NODE_TTL_MS + CLUSTER_BEAT_MS;
	for (size_t i = 0; grace && i < nold; i++) {
		bool there = false;

		for (size_t j = 0; j < acc.n && !there; j++)
			there = !strcmp(acc.v[j].name, old[i].name);
		if (!there && node_h(&(struct store_node){
				.node = old[i].name, .sip_addr = old[i].sip,
				.api_url = old[i].api,
				.capacity = old[i].capacity}, &acc))
			break;
	}
	if (grace && acc.n)       /* by name, as the store gives them */
		qsort(acc.v, acc.n, sizeof(*acc.v), name_cmp);
	cl->nodes = acc.v;
	cl->nnodes = acc.n;
	for (size_t i = 0; i < nold; i++)
		if (!cluster_node_find(cl, old[i].name))
			node_dead(cl, old[i].name);
	for (size_t i = 0; i < cl->nnodes; i++) {
		bool known = false;

		for (size_t j = 0; j < nold && !known; j++)
			known = !strcmp(old[j].name, cl->nodes[i].name);
		if (!known && strcmp(cl->nodes[i].name, cl->node))
			log_info("cluster", "msg=\"node live\" node=%s sip=%s "
				 "api=%s", cl->nodes[i].name,
				 cl->nodes[i].sip, cl->nodes[i].api);
	}
	mem_deref(old);
}

struct load {
	unsigned local;
};

static bool load_conf_h(struct conf *c, void *arg)
{
	struct load *l = arg;
	struct count n;

	cluster_count(c, &n);
	l->local += n.local;
	return false;
}

static void beat(void *arg)
{
	struct cluster *cl = arg;
	struct load l = {0};
	struct store_node sn = {.node = cl->node, .sip_addr = cl->sip,
				.api_url = cl->api,
				.capacity = cl->capacity};

	tmr_start(&cl->beat_tmr, CLUSTER_BEAT_MS, beat, cl);
	(void)confs_apply(cl->cs, load_conf_h, &l);
	sn.participants = l.local;
	sn.expires_at = (int64_t)cluster_now_ms() + CLUSTER_NODE_TTL_MS;
	if (store_node_beat(cl->st, &sn)) {
		cl->stats.store_errors++;
		log_warn("cluster", "msg=\"heartbeat not stored\" why=\"%s\"",
			 store_errmsg(cl->st));
	}
	cluster_nodes_refresh(cl);
	(void)confs_apply(cl->cs, cluster_check_h, cl);
	/* the conferences gone here */
	for (struct le *le = cl->cconfs.head; le;) {
		struct cconf *cc = le->data;

		le = le->next;
		if (!confs_lookup(cl->cs, cc->id))
			mem_deref(cc);
	}
}

/* --- events --- */

static void flush_timeout(void *arg)
{
	struct cluster *cl = arg;

	for (struct le *le = cl->cconfs.head; le; le = le->next) {
		struct cconf *cc = le->data;
		struct conf *c;
		struct count n;

		if (!cc->dirty)
			continue;
		c = confs_lookup(cl->cs, cc->id);
		if (!c) {
			cc->dirty = false;
			continue;
		}
		cluster_count(c, &n);
		cluster_publish(cl, cc, c, n.local + n.down > 0);
	}
}

static void on_conf_change(struct conf *c, bool destroyed, void *arg)
{
	struct cluster *cl = arg;
	struct cconf *cc;

	if (conf_adhoc(c))
		return;
	cc = cluster_cconf(cl, conf_id(c), !destroyed);
	if (!cc)
		return;
	if (destroyed) {
		if (cc->published)
			(void)store_roster_set(cl->st, cc->id, cl->node, NULL);
		if (!strcmp(cc->owner, cl->node))
			(void)store_lease_release(cl->st, cc->id, cl->node);
		mem_deref(cc);
		return;
	}
	cc->dirty = true;
	if (!tmr_isrunning(&cl->flush_tmr))
		tmr_start(&cl->flush_tmr, FLUSH_MS, flush_timeout, cl);
}

static bool ingest_all_h(struct conf *c, void *arg)
{
	struct cluster *cl = arg;
	struct cconf *cc = conf_adhoc(c) ? NULL :
		cluster_cconf(cl, conf_id(c), true);

	if (cc)
		cc->ingest = true;
	return false;
}

/* The owner as the store has it now ("" none) */
static void lease_read(struct cluster *cl, struct cconf *cc)
{
	char owner[STORE_NODE_MAX + 1] = "";
	int err = store_lease_get(cl->st, cc->id,
				  (int64_t)cluster_now_ms(), owner);

	if (err && err != ENOENT) {
		cl->stats.store_errors++;
		return;
	}
	re_snprintf(cc->owner, sizeof(cc->owner), "%s", err ? "" : owner);
}

/* confs_set_end_gate: one node ends a conference left empty on every
 * node: its owner, or when none holds it, the first live node by name
 * (every node has the same list) */
static bool end_gate(const struct conf *c, void *arg)
{
	const struct cluster *cl = arg;
	const char *owner = cluster_owner(cl, c);

	if (conf_adhoc(c))
		return true;          /* this node's alone */
	if (owner[0])
		return !strcmp(owner, cl->node);
	return !cl->nnodes || !strcmp(cl->nodes[0].name, cl->node);
}

static void on_store_change(enum store_chg what, const char *key,
			    const char *node, void *arg)
{
	struct cluster *cl = arg;
	struct cconf *cc;
	struct conf *c;

	switch (what) {
	case STORE_CHG_CONF:
		if (confs_sync(cl->cs, key))
			cl->stats.store_errors++;
		break;
	case STORE_CHG_USER:
		if (users_reload(cl->us))
			cl->stats.store_errors++;
		break;
	case STORE_CHG_ROSTER:
		if (!strcmp(node, cl->node))
			break;
		cc = cluster_cconf(cl, key, true);
		if (!cc)
			break;
		cc->ingest = true;
		if (!tmr_isrunning(&cl->ingest_tmr))
			tmr_start(&cl->ingest_tmr, INGEST_MS,
				  cluster_ingest_due, cl);
		break;
	case STORE_CHG_LEASE:
		/* the owner changed: looked at now, not at the next beat */
		c = confs_lookup(cl->cs, key);
		cc = c ? cluster_cconf(cl, key, true) : NULL;
		if (!cc)
			break;
		cc->renewed_ms = 0;
		cc->link_tried_ms = 0;
		lease_read(cl, cc);
		cluster_conf_check(cl, c);
		/* who may end it when empty may have changed */
		conf_empty_check(c);
		break;
	case STORE_CHG_RESYNC:
		log_info("cluster", "msg=\"store notifications back: "
			 "reading everything again\"");
		(void)confs_sync_all(cl->cs);
		(void)users_reload(cl->us);
		(void)confs_apply(cl->cs, ingest_all_h, cl);
		tmr_start(&cl->ingest_tmr, 0, cluster_ingest_due, cl);
		break;
	}
}

static void cluster_destructor(void *arg)
{
	struct cluster *cl = arg;

	tmr_cancel(&cl->beat_tmr);
	tmr_cancel(&cl->flush_tmr);
	tmr_cancel(&cl->ingest_tmr);
	confs_remove_change_handler(cl->cs, on_conf_change, cl);
	confs_set_end_gate(cl->cs, NULL, NULL);
	focus_set_cluster(cl->f, NULL, NULL);
	/* a clean stop hands our conferences on at once */
	for (struct le *le = cl->cconfs.head; le; le = le->next) {
		struct cconf *cc = le->data;

		if (cc->published)
			(void)store_roster_set(cl->st, cc->id, cl->node, NULL);
		if (!strcmp(cc->owner, cl->node))
			(void)store_lease_release(cl->st, cc->id, cl->node);
	}
	(void)store_node_delete(cl->st, cl->node);
	list_flush(&cl->cconfs);
	mem_deref(cl->nodes);
	mem_deref(cl->st);
}

int cluster_alloc(struct cluster **clp, const struct cluster_cfg *cfg,
		  struct store *st, struct confs *cs, struct users *us,
		  struct focus *f)
{
	struct cluster *cl;
	int err;

	if (!clp || !cfg || !cfg->node || !st || !cs || !us || !f)
		return EINVAL;
	cl = mem_zalloc(sizeof(*cl), cluster_destructor);
	if (!cl)
		return ENOMEM;
	re_snprintf(cl->node, sizeof(cl->node), "%s", cfg->node);
	re_snprintf(cl->sip, sizeof(cl->sip), "%s", cfg->sip_addr);
	re_snprintf(cl->api, sizeof(cl->api), "%s", cfg->api_url);
	cl->capacity = cfg->capacity;
	cl->st = mem_ref(st);
	cl->cs = cs;
	cl->us = us;
	cl->f = f;
	tmr_init(&cl->beat_tmr);
	tmr_init(&cl->flush_tmr);
	tmr_init(&cl->ingest_tmr);
	err = store_secret(st, cl->secret, sizeof(cl->secret));
	if (err) {
		log_err("cluster", "msg=\"no cluster secret\" why=\"%s\"",
			store_errmsg(st));
		goto out;
	}
	confs_set_end_gate(cs, end_gate, cl);
	err = confs_add_change_handler(cs, on_conf_change, cl);
	err = err ? err : store_listen(st, on_store_change, cl);
	if (err)
		goto out;
	cl->fc.join = cluster_join_h;
	cl->fc.link_check = cluster_link_check;
	cl->fc.link_hdrs = cluster_link_hdrs;
	focus_set_cluster(f, &cl->fc, cl);
	/* the first heartbeat now: the node is listed before it answers */
	beat(cl);
	/* what other nodes serve already */
	(void)confs_apply(cs, ingest_all_h, cl);
	cluster_ingest_due(cl);
	log_info("cluster", "msg=\"joined\" node=%s sip=%s api=%s "
		 "capacity=%u nodes=%zu", cl->node, cl->sip, cl->api,
		 cl->capacity, cl->nnodes);
out:
	if (err)
		mem_deref(cl);
	else
		*clp = cl;
	return err;
}

const char *cluster_node(const struct cluster *cl)
{
	return cl ? cl->node : "";
}

const char *cluster_node_api(const struct cluster *cl, const char *node)
{
	const struct cnode *cn = cl && node ?
		cluster_node_find(cl, node) : NULL;

	return cn ? cn->api : NULL;
}

const char *cluster_owner(const struct cluster *cl, const struct conf *c)
{
	if (!cl || !c)
		return "";
	for (const struct le *le = cl->cconfs.head; le; le = le->next) {
		const struct cconf *cc = le->data;

		if (!strcmp(cc->id, conf_id(c)))
			return cc->owner;
	}
	return "";
}

struct stat_acc {
	const struct cluster *cl;
	struct cluster_stats *st;
};

static bool stats_conf_h(struct conf *c, void *arg)
{
	struct stat_acc *a = arg;
	struct count n;

	cluster_count(c, &n);
	a->st->links_up += n.ups;
	a->st->links_down += n.down;
	a->st->remotes += conf_remote_count(c);
	return false;
}

void cluster_get_stats(const struct cluster *cl, struct cluster_stats *st)
{
	struct stat_acc a = {.cl = cl, .st = st};

	memset(st, 0, sizeof(*st));
	if (!cl)
		return;
	*st = cl->stats;
	st->nodes = (unsigned)cl->nnodes;
	st->owned = st->links_up = st->links_down = st->remotes = 0;
	for (struct le *le = cl->cconfs.head; le; le = le->next) {
		const struct cconf *cc = le->data;

		st->owned += !strcmp(cc->owner, cl->node);
	}
	(void)confs_apply(cl->cs, stats_conf_h, &a);
}
