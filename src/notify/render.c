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
 * per step, not per subscriber.
 *
 * Sidebars (RFC 4575 s. 4.6, 5.9): sidebars-by-ref goes whole when it
 * changed (its entries have no state of their own); sidebars-by-val
 * entries are keyed by entity like users: new ones whole, changed ones
 * state="partial" (their description whole when it changed, their users
 * as the conference's are), gone ones state="deleted". A list that goes
 * altogether is state="deleted". Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "conf/conf.h"
#include "notify/notify_int.h"
#include "notify/render_int.h"

/* One entry of sidebars-by-val */
struct rnd_sb {
	struct rnd_item e;           /* the whole entry */
	struct rnd_item desc;        /* its conference-description */
	struct rnd_list users;
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
	char *entity;                /* the conference's (sidebar's) URI */
	struct rnd_item sect[NOTIFY_NSECT];
	struct rnd_list users;
	struct rnd_item by_ref;      /* sidebars-by-ref */
	struct rnd_sb *sbs;          /* sidebars-by-val's entries */
	size_t nsbs;
	size_t full_len;             /* without root and users' tags */
	struct list deltas;          /* struct rdelta, newest first */
};

static const char val_open[] = "<sidebars-by-val>";
static const char val_close[] = "</sidebars-by-val>";

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
		rnd_item_free(&r->sect[i]);
	rnd_list_free(&r->users);
	rnd_item_free(&r->by_ref);
	for (size_t i = 0; i < r->nsbs; i++) {
		rnd_item_free(&r->sbs[i].e);
		rnd_item_free(&r->sbs[i].desc);
		rnd_list_free(&r->sbs[i].users);
	}
	mem_deref(r->sbs);
	list_flush(&r->deltas);
}

/* sidebars-by-val's entries (val NULL: none) */
static int sidebars_make(struct notify_render *r,
			 const struct odict_entry *val)
{
	const struct odict_entry *arr = val ?
		odict_lookup(val->u.odict, "entry") : NULL;
	size_t n = arr ? odict_count(arr->u.odict, false) : 0, ulen = 0;
	int err = 0;

	if (!n)
		return 0;
	r->sbs = mem_zalloc(n * sizeof(*r->sbs), NULL);
	if (!r->sbs)
		return ENOMEM;
	r->full_len += sizeof(val_open) + sizeof(val_close) - 2;
	for (struct le *le = arr->u.odict->lst.head; le && !err;
	     le = le->next) {
		const struct odict_entry *e = le->data;
		struct rnd_sb *sb = &r->sbs[r->nsbs++];
		const struct odict_entry *d = odict_lookup(e->u.odict,
						"conference-description");

		err = rnd_item_make(&sb->e, "entry", e, true);
		if (!err && d)
			err = rnd_item_make(&sb->desc, "conference-description", d,
					false);
		if (!err)
			err = rnd_list_make(&sb->users, odict_lookup(e->u.odict,
								 "users"),
					&ulen);
		if (!err)
			r->full_len += sb->e.len;
	}
	return err;
}

int notify_render_alloc(struct notify_render **rp, const struct conf *c,
			const struct notify_view *view)
{
	struct notify_render *r = mem_zalloc(sizeof(*r), render_destructor);
	struct odict *doc = NULL;
	const struct odict_entry *root, *e;
	int err;

	if (!r)
		return ENOMEM;
	r->serial = ++serials;
	err = notify_doc_full(&doc, c, 0, view);
	if (err)
		goto out;
	root = odict_lookup(doc, "conference-info");
	err = str_dup(&r->entity, odict_string(root->u.odict, "@entity"));
	for (size_t i = 0; i < NOTIFY_NSECT && !err; i++) {
		e = odict_lookup(root->u.odict, notify_sections[i]);
		if (!e)
			continue;
		err = rnd_item_make(&r->sect[i], notify_sections[i], e, false);
		r->full_len += r->sect[i].len;
	}
	err = err ? err : rnd_list_make(&r->users,
				    odict_lookup(root->u.odict, "users"),
				    &r->full_len);
	e = odict_lookup(root->u.odict, "sidebars-by-ref");
	if (!err && e) {
		err = rnd_item_make(&r->by_ref, "sidebars-by-ref", e, false);
		r->full_len += r->by_ref.len;
	}
	err = err ? err : sidebars_make(r, odict_lookup(root->u.odict,
							"sidebars-by-val"));
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

static int item_write(struct mbuf *mb, const struct rnd_item *it)
{
	return it->xml ? mbuf_write_mem(mb, (uint8_t *)it->xml, it->len) : 0;
}

/* sidebars-by-val whole (nothing without entries) */
static int val_print(struct mbuf *mb, const struct notify_render *r)
{
	int err;

	if (!r->nsbs)
		return 0;
	err = mbuf_write_str(mb, val_open);
	for (size_t i = 0; i < r->nsbs && !err; i++)
		err = item_write(mb, &r->sbs[i].e);
	return err ? err : mbuf_write_str(mb, val_close);
}

static int print_full(struct mbuf *mb, const struct notify_render *r)
{
	int err = 0;

	for (size_t i = 0; i < NOTIFY_NSECT && !err; i++)
		err = item_write(mb, &r->sect[i]);
	err = err ? err : rnd_list_print(mb, &r->users);
	err = err ? err : item_write(mb, &r->by_ref);
	err = err ? err : val_print(mb, r);
	return err ? err : mbuf_write_str(mb, "</conference-info>");
}

static const struct rnd_sb *sb_find(const struct notify_render *r,
				    const struct rnd_sb *like)
{
	for (size_t i = 0; i < r->nsbs; i++)
		if (r->sbs[i].e.key == like->e.key &&
		    !strcmp(r->sbs[i].e.entity, like->e.entity))
			return &r->sbs[i];
	return NULL;
}

static bool val_differs(const struct notify_render *r,
			const struct notify_render *from)
{
	if (r->nsbs != from->nsbs)
		return true;
	for (size_t i = 0; i < r->nsbs; i++) {
		const struct rnd_sb *o = sb_find(from, &r->sbs[i]);

		if (!o || rnd_item_differs(&o->e, &r->sbs[i].e))
			return true;
	}
	return false;
}

/* An entry that changed: what changed in it */
static int entry_partial(struct mbuf *mb, const struct rnd_sb *sb,
			 const struct rnd_sb *o)
{
	size_t n = 0;
	int err = mbuf_printf(mb, "<entry entity=\"%H\" state=\"partial\">",
			      notify_xml_escape, sb->e.entity);

	if (!err && rnd_item_differs(&sb->desc, &o->desc))
		err = item_write(mb, &sb->desc);
	(void)rnd_list_delta_len(&sb->users, &o->users, &n);
	if (!err && n)
		err = rnd_list_delta_print(mb, &sb->users, &o->users);
	return err ? err : mbuf_write_str(mb, "</entry>");
}

static int val_partial(struct mbuf *mb, const struct notify_render *r,
		       const struct notify_render *from)
{
	int err;

	if (!r->nsbs)
		return mbuf_write_str(mb, "<sidebars-by-val state=\"deleted\">"
				      "</sidebars-by-val>");
	if (!from->nsbs)                  /* the first: the list whole */
		return val_print(mb, r);
	err = mbuf_write_str(mb, "<sidebars-by-val state=\"partial\">");
	for (size_t i = 0; i < r->nsbs && !err; i++) {
		const struct rnd_sb *sb = &r->sbs[i];
		const struct rnd_sb *o = sb_find(from, sb);

		if (!o)
			err = item_write(mb, &sb->e);
		else if (rnd_item_differs(&o->e, &sb->e))
			err = entry_partial(mb, sb, o);
	}
	for (size_t i = 0; i < from->nsbs && !err; i++)
		if (!sb_find(r, &from->sbs[i]))
			err = mbuf_printf(mb, "<entry entity=\"%H\" "
					  "state=\"deleted\"></entry>",
					  notify_xml_escape,
					  from->sbs[i].e.entity);
	return err ? err : mbuf_write_str(mb, val_close);
}

/* What changed in the sidebars from `from` to r (*mbp NULL: nothing) */
static int sidebars_partial(struct mbuf **mbp, const struct notify_render *r,
			    const struct notify_render *from)
{
	bool ref = rnd_item_differs(&r->by_ref, &from->by_ref);
	bool val = val_differs(r, from);
	struct mbuf *mb;
	int err = 0;

	if (!ref && !val)
		return 0;
	mb = mbuf_alloc(512);
	if (!mb)
		return ENOMEM;
	if (ref && r->by_ref.xml) {
		err = item_write(mb, &r->by_ref);
	}
	else if (ref) {
		/* the last sidebar went: the list goes (deleted); the schema
		 * wants an entry in it, so it keeps those it had */
		const char *rest = strchr(from->by_ref.xml, '>');

		err = mbuf_printf(mb, "<sidebars-by-ref state=\"deleted\">%s",
				  rest ? rest + 1 : "");
	}
	if (val && !err)
		err = val_partial(mb, r, from);
	if (err)
		mem_deref(mb);
	else
		*mbp = mb;
	return err;
}

/* What differs from `from` to r, as a partial body; *emptyp when
 * nothing does. Not written when it would not be shorter than the full
 * state (*mbp stays NULL). */
static int print_partial(struct mbuf **mbp, bool *emptyp,
			 const struct notify_render *r,
			 const struct notify_render *from)
{
	size_t plen = 0, nusers = 0, nsect = 0;
	struct mbuf *mb = NULL, *sbm = NULL;
	int err;

	for (size_t i = 0; i < NOTIFY_NSECT; i++) {
		if (rnd_item_differs(&r->sect[i], &from->sect[i])) {
			plen += r->sect[i].len;
			nsect++;
		}
	}
	plen += rnd_list_delta_len(&r->users, &from->users, &nusers);
	/* a few sidebars at most: made, then measured */
	err = sidebars_partial(&sbm, r, from);
	if (err)
		return err;
	plen += sbm ? sbm->end : 0;
	*emptyp = !nsect && !nusers && !sbm;
	if (*emptyp || plen >= r->full_len)
		goto out;
	mb = mbuf_alloc(plen + 64);
	if (!mb) {
		err = ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < NOTIFY_NSECT && !err; i++)
		if (rnd_item_differs(&r->sect[i], &from->sect[i]))
			err = item_write(mb, &r->sect[i]);
	if (nusers && !err)
		err = rnd_list_delta_print(mb, &r->users, &from->users);
	if (sbm && !err)
		err = mbuf_write_mem(mb, sbm->buf, sbm->end);
	err = err ? err : mbuf_write_str(mb, "</conference-info>");
	if (err)
		mb = mem_deref(mb);
	*mbp = mb;
out:
	mem_deref(sbm);
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
