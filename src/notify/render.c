/*
 * Rendered documents, shared by every subscriber of a conference and view:
 * the full state is built and printed once per conference version, each
 * top-level element and each user kept as XML with its hash, and users
 * indexed by entity. A subscriber remembers the render it last got; the
 * body taking it from that render to the current one (partial: the
 * elements and users that differ; full: when that is not shorter) is
 * computed once per pair of renders and shared by every subscriber
 * making the same step. So a NOTIFY costs its SIP transaction and a
 * lookup, whatever the number of users; the diff, O(users), is paid once
 * per step, not per subscriber. Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "conf/conf.h"
#include "notify/notify_int.h"

struct rnd_user {
	char *entity;
	uint32_t key;                /* hash_joaat_str(entity), once */
	char *xml;
	size_t len;
	uint64_t hash;
};

/* A body from one render to this one, shared */
struct rdelta {
	struct le le;
	uint64_t from;               /* serial of the render it starts at;
				      * 0: the full state */
	struct mbuf *body;           /* NULL: nothing differs */
	bool partial;
};

#define DELTAS_MAX 32                /* remembered per render */

struct notify_render {
	uint64_t serial;             /* unique for the process */
	char *entity;                /* the conference URI */
	char *sect[NOTIFY_NSECT];
	size_t sect_len[NOTIFY_NSECT];
	uint64_t sect_hash[NOTIFY_NSECT];
	struct rnd_user *users;
	size_t nusers;
	size_t full_len;             /* sections + users, without root */
	uint32_t *ix;                /* users by entity: index + 1, 0 free */
	size_t ixmask;               /* slots - 1 (a power of two) */
	struct list deltas;          /* struct rdelta, newest first */
};

static uint64_t serials;

static void rdelta_destructor(void *arg)
{
	struct rdelta *d = arg;

	list_unlink(&d->le);
	mem_deref(d->body);
}

static void render_destructor(void *arg)
{
	struct notify_render *r = arg;

	mem_deref(r->entity);
	for (size_t i = 0; i < NOTIFY_NSECT; i++)
		mem_deref(r->sect[i]);
	for (size_t i = 0; i < r->nusers; i++) {
		mem_deref(r->users[i].entity);
		mem_deref(r->users[i].xml);
	}
	mem_deref(r->users);
	mem_deref(r->ix);
	list_flush(&r->deltas);
}

/* Open addressing, at most half full */
static int index_users(struct notify_render *r)
{
	size_t slots = 8;

	while (slots < 2 * r->nusers)
		slots *= 2;
	r->ix = mem_zalloc(slots * sizeof(*r->ix), NULL);
	if (!r->ix)
		return ENOMEM;
	r->ixmask = slots - 1;
	for (size_t i = 0; i < r->nusers; i++) {
		size_t j = r->users[i].key & r->ixmask;

		while (r->ix[j])
			j = (j + 1) & r->ixmask;
		r->ix[j] = (uint32_t)i + 1;
	}
	return 0;
}

static const struct rnd_user *user_find(const struct notify_render *r,
					 const struct rnd_user *like)
{
	for (size_t j = like->key & r->ixmask; r->ix[j];
	     j = (j + 1) & r->ixmask) {
		const struct rnd_user *u = &r->users[r->ix[j] - 1];

		if (u->key == like->key && !strcmp(u->entity, like->entity))
			return u;
	}
	return NULL;
}

static bool same_xml(const struct rnd_user *a, const struct rnd_user *b)
{
	return a->hash == b->hash && a->len == b->len &&
		!memcmp(a->xml, b->xml, a->len);
}

int notify_render_alloc(struct notify_render **rp, const struct conf *c,
			const struct notify_view *view)
{
	struct notify_render *r = mem_zalloc(sizeof(*r), render_destructor);
	struct odict *doc = NULL;
	const struct odict_entry *root, *ue, *arr;
	int err;

	if (!r)
		return ENOMEM;
	r->serial = ++serials;
	err = notify_doc_full(&doc, c, 0, view);
	err = err ? err : str_dup(&r->entity, conf_uri(c));
	if (err)
		goto out;
	root = odict_lookup(doc, "conference-info");
	for (size_t i = 0; i < NOTIFY_NSECT && !err; i++) {
		struct notify_elem el = {notify_sections[i],
				  odict_lookup(root->u.odict,
					       notify_sections[i])};

		if (!el.e)
			continue;
		err = re_sdprintf(&r->sect[i], "%H", notify_elem_print, &el);
		if (!err) {
			r->sect_len[i] = strlen(r->sect[i]);
			r->sect_hash[i] = notify_hash(r->sect[i],
						      r->sect_len[i]);
			r->full_len += r->sect_len[i];
		}
	}
	ue = odict_lookup(root->u.odict, "users");
	arr = ue ? odict_lookup(ue->u.odict, "user") : NULL;
	if (!err && arr) {
		size_t n = odict_count(arr->u.odict, false);

		r->users = mem_zalloc(n ? n * sizeof(*r->users) : 1, NULL);
		err = r->users ? 0 : ENOMEM;
		for (struct le *le = arr->u.odict->lst.head; !err && le;
		     le = le->next) {
			/* counted before it is filled in: the destructor
			 * frees its entity when its XML cannot be made */
			struct rnd_user *u = &r->users[r->nusers++];
			struct notify_elem el = {"user", le->data};

			err = str_dup(&u->entity,
				      odict_string(el.e->u.odict, "@entity"));
			err = err ? err : re_sdprintf(&u->xml, "%H",
						      notify_elem_print, &el);
			if (err)
				break;
			u->key = hash_joaat_str(u->entity);
			u->len = strlen(u->xml);
			u->hash = notify_hash(u->xml, u->len);
			r->full_len += u->len;
		}
	}
	err = err ? err : index_users(r);
out:
	mem_deref(doc);
	if (err)
		mem_deref(r);
	else
		*rp = r;
	return err;
}

int notify_render_head(char *buf, size_t sz, const struct notify_render *r,
		       bool partial, uint32_t version)
{
	return re_snprintf(buf, sz, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
			   "\n<conference-info xmlns=\"urn:ietf:params:xml:ns:"
			   "conference-info\" entity=\"%H\" state=\"%s\" "
			   "version=\"%u\">", notify_xml_escape, r->entity,
			   partial ? "partial" : "full", version) < 0 ?
		ENOMEM : 0;
}

static int print_full(struct mbuf *mb, const struct notify_render *r)
{
	int err = 0;

	for (size_t i = 0; i < NOTIFY_NSECT && !err; i++)
		if (r->sect[i])
			err = mbuf_write_mem(mb, (uint8_t *)r->sect[i],
					     r->sect_len[i]);
	err = err ? err : mbuf_write_str(mb, "<users>");
	for (size_t i = 0; i < r->nusers && !err; i++)
		err = mbuf_write_mem(mb, (uint8_t *)r->users[i].xml,
				     r->users[i].len);
	return err ? err : mbuf_write_str(mb, "</users></conference-info>");
}

static bool sect_differs(const struct notify_render *r,
			 const struct notify_render *from, size_t i)
{
	if (!r->sect[i] || !from->sect[i])
		return r->sect[i] != from->sect[i];
	return r->sect_hash[i] != from->sect_hash[i] ||
		r->sect_len[i] != from->sect_len[i] ||
		memcmp(r->sect[i], from->sect[i], r->sect_len[i]);
}

/* What differs from `from` to r, as a partial body; *emptyp when
 * nothing does. Not written when it would not be shorter than the full
 * state (*mbp stays NULL). */
static int print_partial(struct mbuf **mbp, bool *emptyp,
			 const struct notify_render *r,
			 const struct notify_render *from)
{
	static const char del[] = "<user entity=\"\" state=\"deleted\">"
		"</user>";
	size_t plen = 0, nusers = 0, nsect = 0;
	struct mbuf *mb;
	int err = 0;

	for (size_t i = 0; i < NOTIFY_NSECT; i++) {
		if (sect_differs(r, from, i)) {
			plen += r->sect_len[i];
			nsect++;
		}
	}
	for (size_t i = 0; i < r->nusers; i++) {
		const struct rnd_user *o = user_find(from, &r->users[i]);

		if (!o || !same_xml(o, &r->users[i])) {
			plen += r->users[i].len;
			nusers++;
		}
	}
	for (size_t i = 0; i < from->nusers; i++) {
		if (!user_find(r, &from->users[i])) {
			plen += strlen(from->users[i].entity) +
				sizeof(del);
			nusers++;
		}
	}
	*emptyp = !nsect && !nusers;
	if (*emptyp || plen >= r->full_len)
		return 0;
	mb = mbuf_alloc(plen + 64);
	if (!mb)
		return ENOMEM;
	for (size_t i = 0; i < NOTIFY_NSECT && !err; i++)
		if (r->sect[i] && sect_differs(r, from, i))
			err = mbuf_write_mem(mb, (uint8_t *)r->sect[i],
					     r->sect_len[i]);
	if (nusers && !err) {
		err = mbuf_write_str(mb, "<users state=\"partial\">");
		for (size_t i = 0; i < r->nusers && !err; i++) {
			const struct rnd_user *o = user_find(from,
							     &r->users[i]);

			if (!o || !same_xml(o, &r->users[i]))
				err = mbuf_write_mem(mb,
						     (uint8_t *)r->users[i].xml,
						     r->users[i].len);
		}
		for (size_t i = 0; i < from->nusers && !err; i++)
			if (!user_find(r, &from->users[i]))
				err = mbuf_printf(mb, "<user entity=\"%H\" "
						  "state=\"deleted\"></user>",
						  notify_xml_escape,
						  from->users[i].entity);
		err = err ? err : mbuf_write_str(mb, "</users>");
	}
	err = err ? err : mbuf_write_str(mb, "</conference-info>");
	if (err)
		mem_deref(mb);
	else
		*mbp = mb;
	return err;
}

static struct rdelta *delta_find(const struct notify_render *r,
				 uint64_t from)
{
	for (struct le *le = r->deltas.head; le; le = le->next) {
		struct rdelta *d = le->data;

		if (d->from == from)
			return d;
	}
	return NULL;
}

static struct rdelta *delta_add(struct notify_render *r, uint64_t from,
			       struct mbuf *body, bool partial)
{
	struct rdelta *d = mem_zalloc(sizeof(*d), rdelta_destructor);

	if (!d) {
		mem_deref(body);
		return NULL;
	}
	d->from = from;
	d->body = body;
	d->partial = partial;
	list_prepend(&r->deltas, &d->le, d);
	if (list_count(&r->deltas) > DELTAS_MAX)
		mem_deref(r->deltas.tail->data);
	return d;
}

/* The full body, printed once per render */
static int full_body(struct mbuf **mbp, struct notify_render *r)
{
	struct rdelta *d = delta_find(r, 0);
	struct mbuf *mb;
	int err;

	if (!d) {
		mb = mbuf_alloc(r->full_len + 64);
		err = mb ? print_full(mb, r) : ENOMEM;
		if (err) {
			mem_deref(mb);
			return err;
		}
		mb->pos = 0;
		d = delta_add(r, 0, mb, false);
		if (!d)
			return ENOMEM;
	}
	*mbp = mem_ref(d->body);
	return 0;
}

int notify_render_delta(struct mbuf **bodyp, bool *partialp,
			struct notify_render *r,
			const struct notify_render *from, bool force_full)
{
	uint64_t key = force_full || !from ? 0 : from->serial;
	struct rdelta *d = delta_find(r, key);
	struct mbuf *mb = NULL;
	bool empty = false, partial;
	int err;

	if (!key) {
		*partialp = false;
		return full_body(bodyp, r);
	}
	if (!d) {
		err = print_partial(&mb, &empty, r, from);
		partial = mb != NULL;
		if (partial)
			mb->pos = 0;
		/* not shorter than the full state: that, shared */
		if (!err && !mb && !empty)
			err = full_body(&mb, r);
		if (err)
			return err;
		d = delta_add(r, key, mb, partial);
		if (!d)
			return ENOMEM;
	}
	else {
		list_unlink(&d->le);          /* most used first */
		list_prepend(&r->deltas, &d->le, d);
	}
	if (!d->body)
		return ENODATA;
	*bodyp = mem_ref(d->body);
	*partialp = d->partial;
	return 0;
}
