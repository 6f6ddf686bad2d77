/*
 * What nodes of a cluster say to each other (cluster.h): a node's share of
 * a conference's roster (a JSON document in the store) and the Caucus-Link
 * header that proves a cascade link's INVITE comes from a node of the
 * cluster. Both are read from outside the process (the store, the
 * network), so the readers take any bytes (tests/fuzz/fuzz_cluster.c).
 * Any thread; no state.
 */
#ifndef CAUCUS_CLUSTER_WIRE_H
#define CAUCUS_CLUSTER_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <re.h>
#include "conf/conf_remote.h"

struct conf;

/* Participants in a share at most (a node serves up to its capacity of
 * one conference; more is refused, not truncated) */
#define CLUSTER_SHARE_MAX 20000

/* A node's share of c: every participant but its links up, as
 * {"v":1,"participants":[{...}]} */
int  cluster_share_print(struct re_printf *pf, const struct conf *c);
/* A share (len bytes, need not be NUL-terminated) into *vp (*np entries,
 * each with node set; mem_deref it), skipping entries without id or uri.
 * EBADMSG: not a share; E2BIG: over CLUSTER_SHARE_MAX; ENOMEM */
int  cluster_share_parse(const char *node, const char *doc, size_t len,
			 struct conf_remote **vp, size_t *np);

/* Caucus-Link: node=N;conf=C;focus=URI;ts=UNIX;sig=HEX (HMAC-SHA-256 of
 * "N|C|URI|UNIX" keyed with the cluster's secret) */
struct cluster_link {
	char node[CONF_NODE_MAX + 1];
	char conf[72];
	char focus[128];
	long long ts;
	char sig[65];
};
/* EBADMSG when a field is missing, empty, too long, or malformed (node
 * not a node name, focus not a sip: URI without ; , < > or spaces, ts not
 * digits, sig not 64 hex digits) */
int  cluster_link_decode(struct cluster_link *l, const struct pl *val);
/* The signature of l's fields (l->sig is not read) into hex */
int  cluster_link_sign(const char *secret, const struct cluster_link *l,
		       char hex[65]);
/* The header line (with CRLF) for l, signed */
int  cluster_link_print(char *buf, size_t sz, const char *secret,
			const struct cluster_link *l);
/* l->sig holds for secret (compared in constant time) */
bool cluster_link_valid(const char *secret, const struct cluster_link *l);

#endif
