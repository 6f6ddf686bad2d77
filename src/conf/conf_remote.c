/*
 * Cascaded conferences (conf_remote.h): the other nodes' shares of a
 * conference's roster, and the marks on participants that are cascade
 * links. The cluster module sets both through the setters here, which
 * compare and bump the conference's version (conf_changed) only for a
 * real change, like part.c's; notify and the API read them.
 *
 * A node's share is one object: its node name and its entries in one
 * array, in the order given. A new share is built aside and swapped in
 * (STYLE.md: never edit live state in place), so an allocation failure
 * leaves the old one whole. Shares are kept sorted by node name, so every
 * node lists them in the same order whatever order they arrived in.
 * Signalling thread only.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#include "conf/conf_int.h"

struct remote_share {
	struct le le;
	char node[CONF_NODE_MAX + 1];
	size_t n;
	struct conf_remote v[];
};

static void share_destructor(void *arg)
{
	struct remote_share *s = arg;

	list_unlink(&s->le);
}

const char *confs_node(const struct confs *cs)
{
	return cs->node ? cs->node : "";
}

const char *conf_node(const struct conf *c)
{
	return confs_node(c->cs);
}

/* Another node's name: conf_id_valid's characters (it goes into URL
 * paths and the API's ids, "<pid>@<node>"), not this node's own (its
 * participants are the local ones) */
static bool node_valid(const struct confs *cs, const char *node)
{
	return node && strlen(node) <= CONF_NODE_MAX && conf_id_valid(node) &&
		strcmp(node, confs_node(cs));
}

/* A string member, terminated within its array */
#define TERMINATED(r, m) (memchr((r)->m, '\0', sizeof((r)->m)) != NULL)

/* An id part that needs no escaping in a URL path nor in the anonymous
 * URIs the documents make of it, and has no '@' (the id's separator) */
static bool pid_valid(const char *pid)
{
	if (!pid[0])
		return false;
	for (; *pid; pid++)
		if (!((*pid >= '0' && *pid <= '9') ||
		      (*pid >= 'a' && *pid <= 'z') ||
		      (*pid >= 'A' && *pid <= 'Z') || *pid == '-' ||
		      *pid == '_'))
			return false;
	return true;
}

static bool entry_valid(const struct conf_remote *r, const char *node)
{
	if (!TERMINATED(r, node) || !TERMINATED(r, pid) ||
	    !TERMINATED(r, uri) || !TERMINATED(r, display) ||
	    !TERMINATED(r, contact) || !TERMINATED(r, role) ||
	    !TERMINATED(r, codec) || !TERMINATED(r, focus))
		return false;
	/* a document needs a user entity: its AoR, or for a link the
	 * child focus's URI */
	return !strcmp(r->node, node) && pid_valid(r->pid) &&
		(r->uri[0] || r->focus[0]) &&
		(unsigned)r->status <= PART_FAILED;
}

/* Field by field: bytes past a string's end may differ */
static bool entry_same(const struct conf_remote *a,
		       const struct conf_remote *b)
{
	return !strcmp(a->pid, b->pid) && !strcmp(a->uri, b->uri) &&
		!strcmp(a->display, b->display) &&
		!strcmp(a->contact, b->contact) && !strcmp(a->role, b->role) &&
		a->status == b->status && a->muted == b->muted &&
		a->deaf == b->deaf && a->anonymous == b->anonymous &&
		a->hidden == b->hidden && a->pending == b->pending &&
		a->hand == b->hand && !strcmp(a->codec, b->codec) &&
		!strcmp(a->focus, b->focus) && a->joined_at == b->joined_at;
}

static bool share_same(const struct remote_share *s,
		       const struct conf_remote *v, size_t n)
{
	if (s->n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!entry_same(&s->v[i], &v[i]))
			return false;
	return true;
}

/* node's share (NULL: none); *afterp: the first share whose node sorts
 * after node (NULL: none), where a new one goes */
static struct remote_share *share_find(const struct conf *c, const char *node,
				       struct le **afterp)
{
	for (struct le *le = c->remotes.head; le; le = le->next) {
		struct remote_share *s = le->data;
		int cmp = strcmp(s->node, node);

		if (!cmp)
			return s;
		if (cmp > 0) {
			*afterp = le;
			return NULL;
		}
	}
	*afterp = NULL;
	return NULL;
}

int conf_set_remotes(struct conf *c, const char *node,
		     const struct conf_remote *v, size_t n)
{
	struct remote_share *old, *s;
	struct le *after = NULL;

	if (!node_valid(c->cs, node) || (n && !v))
		return EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!entry_valid(&v[i], node))
			return EINVAL;
	old = share_find(c, node, &after);
	if (old ? share_same(old, v, n) : !n)
		return 0;                     /* nothing differs */
	if (n) {
		s = mem_zalloc(sizeof(*s) + n * sizeof(*v), share_destructor);
		if (!s)
			return ENOMEM;        /* the old share stays */
		re_snprintf(s->node, sizeof(s->node), "%s", node);
		s->n = n;
		memcpy(s->v, v, n * sizeof(*v));
		if (old)
			list_insert_before(&c->remotes, &old->le, &s->le, s);
		else if (after)
			list_insert_before(&c->remotes, after, &s->le, s);
		else
			list_append(&c->remotes, &s->le, s);
	}
	mem_deref(old);
	conf_changed(c);
	conf_empty_check(c);      /* the last one anywhere may have left */
	return 0;
}

void conf_clear_remotes(struct conf *c)
{
	if (list_isempty(&c->remotes))
		return;
	list_flush(&c->remotes);
	conf_changed(c);
	conf_empty_check(c);
}

const struct conf_remote *conf_apply_remotes(const struct conf *c,
					     conf_remote_h *h, void *arg)
{
	for (struct le *le = c->remotes.head; le; le = le->next) {
		const struct remote_share *s = le->data;

		for (size_t i = 0; i < s->n; i++)
			if (h(&s->v[i], arg))
				return &s->v[i];
	}
	return NULL;
}

unsigned conf_remote_count(const struct conf *c)
{
	unsigned n = 0;

	for (struct le *le = c->remotes.head; le; le = le->next)
		n += (unsigned)((const struct remote_share *)le->data)->n;
	return n;
}

const struct conf_remote *conf_find_remote(const struct conf *c,
					   const char *id)
{
	const char *at = id ? strrchr(id, '@') : NULL;
	const struct remote_share *s;
	struct le *after;
	size_t len;

	if (!at)
		return NULL;
	s = share_find(c, at + 1, &after);
	len = (size_t)(at - id);
	for (size_t i = 0; s && i < s->n; i++)
		if (strlen(s->v[i].pid) == len &&
		    !memcmp(s->v[i].pid, id, len))
			return &s->v[i];
	return NULL;
}

void part_set_link(struct participant *p, enum part_link l, const char *node,
		   const char *focus_uri)
{
	char n[sizeof(p->link_node)], f[sizeof(p->link_focus)];

	/* compared as they would be stored: a value too long for its field
	 * is cut (str_ncpy; re_snprintf would leave it empty), and must not
	 * look like a change every time */
	(void)str_ncpy(n, l != PART_LINK_NONE && node ? node : "", sizeof(n));
	(void)str_ncpy(f, l != PART_LINK_NONE && focus_uri ? focus_uri : "",
		       sizeof(f));
	if (p->link == l && !strcmp(p->link_node, n) &&
	    !strcmp(p->link_focus, f))
		return;
	p->link = l;
	memcpy(p->link_node, n, sizeof(n));
	memcpy(p->link_focus, f, sizeof(f));
	conf_changed(p->conf);
}

enum part_link part_link(const struct participant *p, const char **nodep,
			 const char **focusp)
{
	if (nodep)
		*nodep = p->link_node;
	if (focusp)
		*focusp = p->link_focus;
	return p->link;
}
