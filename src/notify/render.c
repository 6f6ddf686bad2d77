/*
 * Rendered documents, shared by every subscriber of a conference and view:
 * the full state is built and printed once per conference version, each
 * top-level element and each user kept as XML with its hash. A
 * subscriber's NOTIFY is then put together from these pieces: the
 * elements and users whose hash differs from its snapshot (partial), or
 * all of them (full) when that is not longer. Nothing per subscriber is
 * built as a tree or printed twice; the cost per NOTIFY is one hash
 * lookup per user and the bytes it sends. Signalling thread.
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

struct notify_render {
	char *entity;                /* the conference URI */
	char *sect[NOTIFY_NSECT];
	size_t sect_len[NOTIFY_NSECT];
	uint64_t sect_hash[NOTIFY_NSECT];
	struct rnd_user *users;
	size_t nusers;
	size_t full_len;             /* sections + users, without root */
};

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
			struct rnd_user *u = &r->users[r->nusers];
			struct notify_elem el = {"user", le->data};

			err = str_dup(&u->entity,
				      odict_string(el.e->u.odict, "@entity"));
			err = err ? err : re_sdprintf(&u->xml, "%H",
						      notify_elem_print, &el);
			if (err)
				break;
			r->nusers++;
			u->key = hash_joaat_str(u->entity);
			u->len = strlen(u->xml);
			u->hash = notify_hash(u->xml, u->len);
			r->full_len += u->len;
		}
	}
out:
	mem_deref(doc);
	if (err)
		mem_deref(r);
	else
		*rp = r;
	return err;
}

static int root_open(struct mbuf *mb, const struct notify_render *r,
		     const char *state, uint32_t version)
{
	return mbuf_printf(mb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			   "<conference-info xmlns=\"urn:ietf:params:xml:ns:"
			   "conference-info\" entity=\"%H\" state=\"%s\" "
			   "version=\"%u\">", notify_xml_escape, r->entity,
			   state, version);
}

static int print_full(struct mbuf *mb, const struct notify_render *r,
		      uint32_t version)
{
	int err = root_open(mb, r, "full", version);

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

struct gone_ctx {
	struct mbuf *mb;
	size_t bytes;                /* only count when mb is NULL */
	unsigned n;
	int err;
};

static bool gone_h(struct le *le, void *arg)
{
	const struct snap_user *su = le->data;
	struct gone_ctx *g = arg;

	if (su->seen)
		return false;
	g->n++;
	if (!g->mb)
		g->bytes += strlen(su->entity) + 40;
	else
		g->err = mbuf_printf(g->mb, "<user entity=\"%H\" "
				     "state=\"deleted\"></user>",
				     notify_xml_escape, su->entity);
	return g->err != 0;
}

/* The snapshot afterwards: exactly what the render shows. found[i] is
 * the snapshot entry of user i from the diff (NULL: new), or found is
 * NULL when there was no diff. */
static int snap_update(struct notify_snap *s, const struct notify_render *r,
		       struct snap_user **found)
{
	int err = 0;

	for (size_t i = 0; i < NOTIFY_NSECT; i++)
		s->sect[i] = r->sect[i] ? r->sect_hash[i] : 0;
	if (!found)
		snap_unsee(s);
	for (size_t i = 0; i < r->nusers && !err; i++) {
		const struct rnd_user *u = &r->users[i];
		struct snap_user *su = found ? found[i] :
			snap_find_h(s, u->entity, u->key);

		if (su) {
			su->hash = u->hash;
			su->seen = true;
		}
		else {
			err = snap_add_h(s, u->entity, u->key, u->hash);
		}
	}
	snap_drop_unseen(s);
	s->have = !err;
	return err;
}

int notify_render_doc(struct mbuf **mbp, struct notify_snap *s,
		      const struct notify_render *r, uint32_t version,
		      bool force_full, bool *partialp)
{
	struct gone_ctx g = {0};
	size_t plen = 0, nchanged = 0, nusers_changed = 0;
	struct snap_user **found = NULL;
	bool *changed = NULL, partial = false;
	struct mbuf *mb;
	int err = 0;

	if (s->have && !force_full) {
		changed = mem_zalloc(r->nusers ? r->nusers : 1, NULL);
		found = mem_zalloc((r->nusers ? r->nusers : 1) *
				   sizeof(*found), NULL);
		if (!changed || !found) {
			mem_deref(changed);
			mem_deref(found);
			return ENOMEM;
		}
		snap_unsee(s);
		for (size_t i = 0; i < r->nusers; i++) {
			struct snap_user *su = snap_find_h(s, r->users[i].entity,
							   r->users[i].key);

			found[i] = su;
			if (su)
				su->seen = true;
			if (!su || su->hash != r->users[i].hash) {
				changed[i] = true;
				plen += r->users[i].len;
				nchanged++;
				nusers_changed++;
			}
		}
		(void)hash_apply(s->users, gone_h, &g);
		plen += g.bytes;
		for (size_t i = 0; i < NOTIFY_NSECT; i++) {
			if (s->sect[i] != (r->sect[i] ? r->sect_hash[i] : 0)) {
				plen += r->sect_len[i];
				nchanged++;
			}
		}
		if (!nchanged && !g.n) {
			mem_deref(changed);
			mem_deref(found);
			return ENODATA;
		}
		/* the full state when the change is not smaller */
		partial = plen < r->full_len;
	}
	mb = mbuf_alloc(partial ? plen + 256 : r->full_len + 256);
	if (!mb) {
		err = ENOMEM;
		goto out;
	}
	if (!partial) {
		err = print_full(mb, r, version);
		goto done;
	}
	err = root_open(mb, r, "partial", version);
	for (size_t i = 0; i < NOTIFY_NSECT && !err; i++)
		if (r->sect[i] && s->sect[i] != r->sect_hash[i])
			err = mbuf_write_mem(mb, (uint8_t *)r->sect[i],
					     r->sect_len[i]);
	if (!err && (g.n || nusers_changed)) {
		err = mbuf_write_str(mb, "<users state=\"partial\">");
		for (size_t i = 0; i < r->nusers && !err; i++)
			if (changed[i])
				err = mbuf_write_mem(mb,
						     (uint8_t *)r->users[i].xml,
						     r->users[i].len);
		g.mb = mb;
		if (!err)
			(void)hash_apply(s->users, gone_h, &g);
		err = err ? err : g.err;
		err = err ? err : mbuf_write_str(mb, "</users>");
	}
	err = err ? err : mbuf_write_str(mb, "</conference-info>");
done:
	err = err ? err : snap_update(s, r, found);
	if (err) {
		mem_deref(mb);
	}
	else {
		mb->pos = 0;
		*mbp = mb;
		*partialp = partial;
	}
out:
	mem_deref(changed);
	mem_deref(found);
	return err;
}
