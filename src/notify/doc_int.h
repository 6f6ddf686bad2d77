/* Private to the notify module's document builder (notify_doc_full):
 * doc_tree.c (the tree's helpers), doc.c (the conference, its own
 * participants, its sidebars) and doc_remote.c (the participants other
 * nodes of a cluster serve). Users are shared between the two kinds of
 * participant: an AoR is one <user> however many nodes serve it.
 * Signalling thread. */
#ifndef CAUCUS_DOC_INT_H
#define CAUCUS_DOC_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <re.h>
#include "conf/part.h"
#include "notify/notify.h"

/* Elements of the tree (notify.h's shape). After a failure (*errp set)
 * each does nothing and returns NULL, so a builder checks once at the
 * end; a NULL parent is a parent that could not be made. */
struct odict *doc_child(struct odict *parent, const char *key, bool array,
			int *errp);
/* the next element of an array (keys "0", "1", ...) */
struct odict *doc_item(struct odict *arr, int *errp);
void doc_str(struct odict *o, const char *k, const char *v, int *errp);
void doc_num(struct odict *o, const char *k, int64_t v, int *errp);
void doc_flag(struct odict *o, const char *k, bool v, int *errp);
/* unix seconds as xs:dateTime (UTC) */
void doc_when(struct odict *o, const char *k, int64_t t, int *errp);

/* The <users> of one document being built */
struct doc_build {
	const struct notify_view *view;
	bool members;               /* only the members of sb */
	const struct sidebar *sb;
	struct odict *users;        /* the <users> element's user array */
	struct hash *by_entity;     /* struct doc_user by user entity */
	unsigned user_count;
	bool any_connected;
	int err;
};

/* A <user> of the document */
struct doc_user {
	struct le he;
	char *entity;
	struct odict *endpoints;    /* the user's <endpoint> array */
	bool counted;               /* has an endpoint in the conference */
};

/* The user element for entity, made on first use with its display text
 * (NULL or "": none), role and cascaded focus (NULL or "": none); NULL
 * with b->err set when it could not be made */
struct doc_user *doc_user_get(struct doc_build *b, const char *entity,
			      const char *display, const char *role,
			      const char *focus);
/* entity made unique among u's endpoints: as it is, or with ";ep=" and
 * the participant's id (the API's, "<pid>@<node>" for another node's) */
void doc_ep_entity(char *buf, size_t sz, const struct doc_user *u,
		   const char *entity, const char *id);
/* An endpoint of u in the conference state: user-count counts the people
 * in it (not failed dial-outs, not those waiting for a moderator, not
 * cascade links: the people behind a link are listed themselves);
 * active: anyone's call is up */
void doc_count(struct doc_build *b, struct doc_user *u,
	       enum part_status st, bool waiting, bool link);
/* RFC 4575's status word for an endpoint ("pending" while waiting
 * for a moderator; mute by the focus shows) */
const char *doc_ep_status(enum part_status st, bool muted, bool waiting);
/* The media status as the participant sees it (RFC 4575 s. 5.7.1.7)
 * from our direction: our sendonly is its recvonly; mute and deaf take
 * a direction away */
const char *doc_media_status(const char *dir, bool muted, bool deaf);

/* The users other nodes serve (doc_remote.c), after the local ones */
struct conf;
void doc_remotes_add(struct doc_build *b, const struct conf *c);

#endif
