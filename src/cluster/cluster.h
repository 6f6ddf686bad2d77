/*
 * The cluster (RFC 4353 s. 6.5, docs/scale.md): caucusd nodes that share a
 * PostgreSQL store, behind Kamailio. This module is a node's part in it:
 *
 *   - membership: the node's row in the store, renewed every second with
 *     how many participants it serves (Kamailio's caucus_route() reads it
 *     to spread joins), and the list of live nodes;
 *   - ownership: a conference with participants here is leased to one
 *     node, its main focus; a lease is renewed while its node serves the
 *     conference and is taken over by a node that serves it once it
 *     expired (its node died);
 *   - cascading: a node serving a conference another node owns joins the
 *     owner as one participant (a cascade link: a SIP call whose INVITE
 *     carries a Caucus-Link header signed with the cluster's secret),
 *     carrying its local mix up and the owner's N-1 mix down, re-linking
 *     when the owner changes;
 *   - rosters: each node publishes its share of a conference's roster to
 *     the store, and takes the other nodes' shares into the conference
 *     (conf_remote.h), so that every node's RFC 4575 documents and API
 *     list everyone;
 *   - changes: policy and users changed on another node reach this one
 *     through the store's notifications (confs_sync, users_reload).
 *
 * Signalling thread only.
 */
#ifndef CAUCUS_CLUSTER_H
#define CAUCUS_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

struct cluster;
struct confs;
struct conf;
struct focus;
struct store;
struct users;

struct cluster_cfg {
	const char *node;         /* this node's name */
	const char *sip_addr;     /* host:port of its SIP (UDP and TCP) */
	const char *api_url;      /* http://host:port of its API */
	uint32_t capacity;        /* participants before joins go
				   * elsewhere */
};

/* Lease and heartbeat timing (ms) */
#define CLUSTER_BEAT_MS      1000
#define CLUSTER_NODE_TTL_MS  3500
#define CLUSTER_LEASE_TTL_MS 5000

int  cluster_alloc(struct cluster **clp, const struct cluster_cfg *cfg,
		   struct store *st, struct confs *cs, struct users *us,
		   struct focus *f);
const char *cluster_node(const struct cluster *cl);
/* The base URL of a live node's API (NULL: not a live node) */
const char *cluster_node_api(const struct cluster *cl, const char *node);
/* The node that owns c as this node last learnt it ("" unknown) */
const char *cluster_owner(const struct cluster *cl, const struct conf *c);

struct cluster_stats {
	unsigned nodes;           /* live, this one included */
	unsigned owned;           /* conferences this node owns */
	unsigned links_up;        /* cascade links to owners */
	unsigned links_down;      /* children's links into this node */
	unsigned remotes;         /* participants other nodes serve */
	uint64_t roster_writes, roster_reads, store_errors;
	uint64_t links_refused;   /* Caucus-Link headers that did not hold */
};
void cluster_get_stats(const struct cluster *cl, struct cluster_stats *st);

#endif
