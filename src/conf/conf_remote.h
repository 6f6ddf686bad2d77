/*
 * Cascaded conferences (RFC 4353 s. 4.5 and 6.5, RFC 4575 cascading): one
 * conference served by several nodes of a cluster. The node holding the
 * conference's lease is the main focus; every other node with local
 * participants joins it as one participant (a cascade link: a SIP call
 * carrying that node's local mix up and the main focus's N-1 mix down).
 *
 * Two kinds of state live here, both set only by the cluster module
 * (src/cluster) through the setters below, which bump the conference's
 * version like every other setter (part.h):
 *   - links: a participant that is a cascade link, marked on both ends:
 *     PART_LINK_DOWN on the main focus (a child node's call into it),
 *     PART_LINK_UP on the child (its call up to the main focus);
 *   - remotes: the participants other nodes serve (each node's share of
 *     the roster, exchanged through the store), so that the RFC 4575
 *     documents and the API of every node list everyone.
 *
 * How they are shown, the same on every node:
 *   - a local participant: as always;
 *   - a PART_LINK_DOWN participant, and a remote entry with focus[0]
 *     set (another node's PART_LINK_DOWN): a <user> whose entity is the
 *     child focus's conference URI, with <cascaded-focus> giving that URI
 *     (RFC 4575's user-type) and one <endpoint> for the link's call;
 *   - a PART_LINK_UP participant: not in the RFC 4575 documents (the
 *     main focus lists the link); the API lists it with "link": "up";
 *   - a remote entry: a <user> like a local one, under the same privacy
 *     views as a local one (anonymous, hidden, pending), after the local
 *     ones, by node then in the order given; an AoR already listed gets
 *     one more <endpoint>, as two local calls of one AoR do;
 *   - every endpoint, in a cluster, names the node serving it (caucus's
 *     extension element, node="..."); user-count counts people, not
 *     links.
 * Shares are kept sorted by node name, so every node lists them in the
 * same order whatever order they arrived in (src/notify/doc_remote.c,
 * src/api/api_part_remote.c).
 * Signalling thread only.
 */
#ifndef CAUCUS_CONF_REMOTE_H
#define CAUCUS_CONF_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "conf/part.h"

struct conf;
struct participant;

#define CONF_NODE_MAX 32

/* One participant another node serves, as that node published it */
struct conf_remote {
	char node[CONF_NODE_MAX + 1];  /* the node serving it */
	char pid[12];             /* its id there (A-Z a-z 0-9 - _, unique
				   * in its node's share); the API's id
				   * for it is "<pid>@<node>" */
	char uri[128];            /* its AoR, raw (the views apply
				   * privacy) */
	char display[64];         /* "": none; a link (focus set): the
				   * child node's name, which the main
				   * focus shows as the link's
				   * display-text and the API as its
				   * link_node */
	char contact[160];        /* its endpoint (Contact URI); "": none */
	char role[16];            /* administrator, moderator, participant,
				   * listener */
	enum part_status status;
	bool muted, deaf;
	bool anonymous, hidden, pending;
	bool hand;
	char codec[16];           /* its audio codec; "": no audio */
	char focus[128];          /* a cascade link into that node (it is
				   * the main focus): the child focus's
				   * conference URI; "": an ordinary
				   * participant */
	int64_t joined_at;        /* unix seconds */
};

/* Replaces node's share of c's roster with the n entries of v (copied;
 * each entry's node must be node). n 0: node serves nobody here any
 * more. Bumps the version when anything differs. ENOMEM (the old share
 * stays); EINVAL, nothing changed, for a bad node name (not 1 to
 * CONF_NODE_MAX of conf_id_valid's characters, or this node's own:
 * confs_node) or a bad entry (another node's, a pid as above, a string
 * not terminated within its field, neither uri nor focus). */
int  conf_set_remotes(struct conf *c, const char *node,
		      const struct conf_remote *v, size_t n);
/* Forgets every node's share (no longer cascaded) */
void conf_clear_remotes(struct conf *c);
typedef bool (conf_remote_h)(const struct conf_remote *r, void *arg);
/* By node, then in the order they were given; stops at the first h that
 * returns true and returns that entry */
const struct conf_remote *conf_apply_remotes(const struct conf *c,
					     conf_remote_h *h, void *arg);
unsigned conf_remote_count(const struct conf *c);
/* id: "<pid>@<node>" */
const struct conf_remote *conf_find_remote(const struct conf *c,
					   const char *id);

enum part_link {
	PART_LINK_NONE,
	PART_LINK_DOWN,           /* a child node's link into this node */
	PART_LINK_UP,             /* this node's link up to the main focus */
};
/* Marks p a cascade link: node is the other end's node name, focus_uri
 * the child focus's conference URI (for PART_LINK_UP: this node's own);
 * each cut to its field (CONF_NODE_MAX, 127). PART_LINK_NONE forgets
 * both. A change bumps the version. */
void part_set_link(struct participant *p, enum part_link l, const char *node,
		   const char *focus_uri);
/* p's link kind; *nodep and *focusp (may be NULL) get the other end's
 * node and the child focus's URI ("" when PART_LINK_NONE) */
enum part_link part_link(const struct participant *p, const char **nodep,
			 const char **focusp);

#endif
