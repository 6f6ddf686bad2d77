/*
 * The cluster module's own (cluster.h): what a node knows of the others
 * and of each conference, shared by its files: cluster.c (membership, the
 * heartbeat, the store's notifications) and cluster_conf.c (a
 * conference's lease, link up and roster shares). Signalling thread.
 */
#ifndef CAUCUS_CLUSTER_INT_H
#define CAUCUS_CLUSTER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <re.h>
#include "cluster/cluster.h"
#include "sip/sip.h"
#include "store/store.h"

#define LINK_MAX_SKEW_S  300     /* a Caucus-Link's age, either way */
#define LINK_RETRY_MS    5000    /* a failed link is dialled again */
#define FLUSH_MS         100     /* a roster change is published */
#define INGEST_MS        50      /* others' roster changes are read */

struct participant;
struct sip_msg;

struct cnode {
	char name[STORE_NODE_MAX + 1];
	char sip[64];
	char api[128];
	uint32_t capacity, participants;
};

/* What this node knows of one conference in the cluster */
struct cconf {
	struct le le;
	char id[72];
	char owner[STORE_NODE_MAX + 1];  /* "" unknown */
	uint64_t renewed_ms;      /* our lease was last taken or renewed */
	uint64_t link_tried_ms;   /* our link up was last dialled */
	bool dirty;               /* our share may have changed */
	bool ingest;              /* others' shares changed */
	char *published;          /* our share as last written (NULL:
				   * none in the store) */
};

struct cluster {
	char node[STORE_NODE_MAX + 1];
	char sip[64];
	char api[128];
	uint32_t capacity;
	struct store *st;
	struct confs *cs;
	struct users *us;
	struct focus *f;
	char secret[65];
	struct cnode *nodes;      /* live, by name (store_node_foreach) */
	size_t nnodes;
	uint64_t store_back_ms;   /* the node list was last read after a
				   * failure (0: no failure since start) */
	bool store_failing;
	struct list cconfs;
	struct tmr beat_tmr, flush_tmr, ingest_tmr;
	struct focus_cluster fc;
	struct cluster_stats stats;
};

struct count {
	unsigned local;           /* callers (not links), present */
	unsigned down;            /* children's links into us */
	struct participant *up;   /* our live link up, if any */
	unsigned ups;
};

/* unix ms of the wall clock (leases and rows compare across nodes) */
uint64_t cluster_now_ms(void);
/* What we know of conference id (made when make and not known) */
struct cconf *cluster_cconf(struct cluster *cl, const char *id, bool make);
/* A live node by name, NULL: none */
const struct cnode *cluster_node_find(const struct cluster *cl,
				      const char *name);
/* The live nodes read again; the ones gone are dead (their participants
 * dropped, their links ended) */
void cluster_nodes_refresh(struct cluster *cl);
/* Neither failed nor on its way out */
bool cluster_present(const struct participant *p);
void cluster_count(const struct conf *c, struct count *n);
/* Our share of c written to the store when it changed (serving false:
 * deleted) */
void cluster_publish(struct cluster *cl, struct cconf *cc,
		     const struct conf *c, bool serving);
/* The other nodes' shares of c read into c */
void cluster_ingest_conf(struct cluster *cl, struct conf *c);
/* Every conference marked for it (timer handler) */
void cluster_ingest_due(void *arg);
/* c's lease, link up and share, acted on now */
void cluster_conf_check(struct cluster *cl, struct conf *c);
bool cluster_check_h(struct conf *c, void *arg);
/* struct focus_cluster's members */
int  cluster_join_h(struct conf *c, void *arg);
int  cluster_link_check(const struct sip_msg *msg, const struct conf *c,
			char *node, size_t nsz, char *focus, size_t fsz,
			void *arg);
int  cluster_link_hdrs(const struct participant *p, char *buf, size_t sz,
		       void *arg);

#endif
