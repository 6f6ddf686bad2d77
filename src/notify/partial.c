/*
 * What a subscriber gets next: the difference between the state it has
 * (a snapshot of the last document sent to it) and the current full
 * document, as an RFC 4575 partial document: changed top-level elements
 * whole, changed or new users whole (state="full"), gone users as
 * state="deleted"; sidebars (RFC 4575 s. 4.6, 5.9) as render.c sends
 * them: sidebars-by-ref whole, sidebars-by-val's entries new (whole),
 * changed (state="partial") or gone (state="deleted"). When the
 * subscriber has nothing yet, the full document goes instead.
 * Comparison is by each element's XML, so anything that changes what the
 * subscriber would see counts, and nothing else. Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "notify/notify_int.h"

/* What one subscriber has seen, as hashes of each element's XML */
struct snap_user {
	struct le he;
	char *entity;
	uint64_t hash;
	bool seen;
};

/* An entry of sidebars-by-val it has */
struct snap_sb {
	struct le le;
	char *entity;
	uint64_t hash;              /* the whole entry */
	uint64_t desc;              /* its conference-description */
	struct hash *users;         /* struct snap_user by entity */
	bool seen;
};

struct notify_snap {
	bool have;                  /* the subscriber got a document */
	uint64_t sect[NOTIFY_NSECT];  /* 0: absent */
	struct hash *users;         /* struct snap_user by entity */
	/* sidebars-by-ref as sent (documents do not change once built:
	 * a reference), for the entries a deleted list still names */
	struct odict *by_ref;
	uint64_t by_ref_hash;
	struct list sbs;            /* struct snap_sb */
};

const char *const notify_sections[NOTIFY_NSECT] = {
	"conference-description", "host-info", "conference-state",
};
#define NSECT NOTIFY_NSECT
#define sections notify_sections

static void snap_user_destructor(void *arg)
{
	struct snap_user *u = arg;

	hash_unlink(&u->he);
	mem_deref(u->entity);
}

static void snap_sb_destructor(void *arg)
{
	struct snap_sb *sb = arg;

	list_unlink(&sb->le);
	mem_deref(sb->entity);
	if (sb->users)
		hash_flush(sb->users);
	mem_deref(sb->users);
}

static void snap_destructor(void *arg)
{
	struct notify_snap *s = arg;

	hash_flush(s->users);
	mem_deref(s->users);
	mem_deref(s->by_ref);
	list_flush(&s->sbs);
}

uint64_t notify_hash(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037ull;       /* FNV-1a */

	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)p[i];
		h *= 1099511628211ull;
	}
	return h ? h : 1;                           /* 0 means absent */
}

int notify_snap_alloc(struct notify_snap **sp)
{
	struct notify_snap *s = mem_zalloc(sizeof(*s), snap_destructor);

	if (!s)
		return ENOMEM;
	/* 512 buckets: a room of hundreds stays at about one entry each
	 * (the lookups run once per user per NOTIFY) */
	if (hash_alloc(&s->users, 512)) {
		mem_deref(s);
		return ENOMEM;
	}
	*sp = s;
	return 0;
}

static int xml_of(char **xmlp, const char *name, const struct odict_entry *e)
{
	struct notify_elem el = {name, e};

	return re_sdprintf(xmlp, "%H", notify_elem_print, &el);
}

/* The hash of e's XML as element `name` */
static int hash_of(uint64_t *hp, const char *name,
		   const struct odict_entry *e)
{
	char *xml = NULL;
	int err = xml_of(&xml, name, e);

	if (!err)
		*hp = notify_hash(xml, strlen(xml));
	mem_deref(xml);
	return err;
}

static bool entity_cmp(struct le *le, void *arg)
{
	return !strcmp(((struct snap_user *)le->data)->entity, arg);
}

static struct snap_user *users_find_h(struct hash *h, const char *entity,
				      uint32_t key)
{
	return list_ledata(hash_lookup(h, key, entity_cmp, (void *)entity));
}

static int users_set(struct hash *h, const char *entity, uint64_t hash)
{
	uint32_t key = hash_joaat_str(entity);
	struct snap_user *su = users_find_h(h, entity, key);

	if (!su) {
		su = mem_zalloc(sizeof(*su), snap_user_destructor);
		if (!su || str_dup(&su->entity, entity)) {
			mem_deref(su);
			return ENOMEM;
		}
		hash_append(h, key, &su->he, su);
	}
	su->hash = hash;
	su->seen = true;
	return 0;
}

static bool unseen_h(struct le *le, void *arg)
{
	(void)arg;
	((struct snap_user *)le->data)->seen = false;
	return false;
}

static bool drop_h(struct le *le, void *arg)
{
	struct snap_user *su = le->data;

	(void)arg;
	if (!su->seen)
		mem_deref(su);
	return false;
}

/* The users of a <users> element (NULL: none) */
static const struct odict_entry *user_array(const struct odict_entry *ue)
{
	return ue ? odict_lookup(ue->u.odict, "user") : NULL;
}

/* h becomes the users of ue */
static int users_take(struct hash *h, const struct odict_entry *ue)
{
	const struct odict_entry *arr = user_array(ue);
	int err = 0;

	(void)hash_apply(h, unseen_h, NULL);
	for (struct le *le = arr ? arr->u.odict->lst.head : NULL; le && !err;
	     le = le->next) {
		const struct odict_entry *u = le->data;
		const char *entity = odict_string(u->u.odict, "@entity");
		uint64_t hash = 0;

		err = entity ? hash_of(&hash, "user", u) : EINVAL;
		err = err ? err : users_set(h, entity, hash);
	}
	(void)hash_apply(h, drop_h, NULL);
	return err;
}

static int add_ref(struct odict *o, const char *key,
		   const struct odict_entry *e)
{
	return odict_entry_add(o, key, e->type, e->u.odict);
}

/* The next element of an array, a reference to e */
static int append_ref(struct odict *arr, const struct odict_entry *e)
{
	char key[12];

	re_snprintf(key, sizeof(key), "%zu", odict_count(arr, false));
	return add_ref(arr, key, e);
}

/* A new object: in parent under key (parent an array: key NULL), with
 * its state attribute and, unless NULL, its entity */
static struct odict *obj_add(struct odict *parent, const char *key,
			     const char *entity, const char *state, int *errp)
{
	struct odict *o = NULL;
	char k[12];
	int err = *errp;

	if (!key) {
		re_snprintf(k, sizeof(k), "%zu", odict_count(parent, false));
		key = k;
	}
	err = err ? err : odict_alloc(&o, 8);
	if (!err && entity)
		err = odict_entry_add(o, "@entity", ODICT_STRING, entity);
	err = err ? err : odict_entry_add(o, "@state", ODICT_STRING, state);
	err = err ? err : odict_entry_add(parent, key, ODICT_OBJECT, o);
	mem_deref(o);                /* the parent holds it now */
	*errp = err;
	return err ? NULL : o;
}

/* The users that differ from a snapshot's, into parent's
 * <users state="partial">, made on demand */
struct udiff {
	struct hash *snap;
	struct odict *parent;
	struct odict *arr;          /* the partial users' user array */
	unsigned changes;
	int err;
};

static struct odict *partial_users(struct udiff *d)
{
	struct odict *users, *arr = NULL;

	if (d->arr)
		return d->arr;
	users = obj_add(d->parent, "users", NULL, "partial", &d->err);
	d->err = d->err ? d->err : odict_alloc(&arr, 16);
	d->err = d->err ? d->err : odict_entry_add(users, "user",
						   ODICT_ARRAY, arr);
	mem_deref(arr);
	d->arr = d->err ? NULL : arr;
	return d->arr;
}

static void diff_user(struct udiff *d, const struct odict_entry *ue)
{
	const char *entity = odict_string(ue->u.odict, "@entity");
	uint64_t hash = 0;
	struct snap_user *su;

	d->err = entity ? hash_of(&hash, "user", ue) : EINVAL;
	if (d->err)
		return;
	su = users_find_h(d->snap, entity, hash_joaat_str(entity));
	if (su) {
		su->seen = true;
		if (su->hash == hash)
			return;
	}
	if (!partial_users(d))
		return;
	d->err = append_ref(d->arr, ue);
	d->changes++;
}

static bool deleted_h(struct le *le, void *arg)
{
	struct snap_user *su = le->data;
	struct udiff *d = arg;

	if (su->seen || !partial_users(d))
		return d->err != 0;
	(void)obj_add(d->arr, NULL, su->entity, "deleted", &d->err);
	d->changes++;
	return d->err != 0;
}

/* The users of ue (a <users> element) against d->snap */
static int users_diff(struct udiff *d, const struct odict_entry *ue)
{
	const struct odict_entry *arr = user_array(ue);

	(void)hash_apply(d->snap, unseen_h, NULL);
	for (struct le *le = arr ? arr->u.odict->lst.head : NULL;
	     le && !d->err; le = le->next)
		diff_user(d, le->data);
	if (!d->err)
		(void)hash_apply(d->snap, deleted_h, d);
	return d->err;
}

/* Sidebars (RFC 4575 s. 5.9) ------------------------------------- */

static struct snap_sb *sb_find(const struct notify_snap *s,
			       const char *entity)
{
	for (struct le *le = s->sbs.head; le; le = le->next) {
		struct snap_sb *sb = le->data;

		if (!strcmp(sb->entity, entity))
			return sb;
	}
	return NULL;
}

/* An entry that changed: state partial, what changed in it */
static int entry_partial(struct odict *arr, struct snap_sb *o,
			 const struct odict_entry *e, unsigned *changes)
{
	const struct odict_entry *d = odict_lookup(e->u.odict,
						   "conference-description");
	struct udiff ud = {.snap = o->users};
	uint64_t h = 0;
	int err = d ? hash_of(&h, "conference-description", d) : 0;

	ud.parent = obj_add(arr, NULL, o->entity, "partial", &err);
	if (!err && d && h != o->desc)
		err = add_ref(ud.parent, "conference-description", d);
	err = err ? err : users_diff(&ud, odict_lookup(e->u.odict, "users"));
	(*changes)++;
	return err;
}

/* sidebars-by-val: whole when the subscriber has none, deleted when it
 * is gone, else its entries new (whole), changed (partial) or gone */
static int val_diff(struct odict *root, struct notify_snap *s,
		    const struct odict_entry *v, unsigned *changes)
{
	const struct odict_entry *arr = v ?
		odict_lookup(v->u.odict, "entry") : NULL;
	struct odict *part = NULL, *entries = NULL;
	int err = 0;

	if (!v || !s->sbs.head) {
		if (v)
			err = add_ref(root, "sidebars-by-val", v);
		else if (s->sbs.head)
			(void)obj_add(root, "sidebars-by-val", NULL, "deleted",
				      &err);
		*changes += v || s->sbs.head;
		return err;
	}
	for (struct le *le = s->sbs.head; le; le = le->next)
		((struct snap_sb *)le->data)->seen = false;
	part = obj_add(root, "sidebars-by-val", NULL, "partial", &err);
	err = err ? err : odict_alloc(&entries, 8);
	err = err ? err : odict_entry_add(part, "entry", ODICT_ARRAY, entries);
	mem_deref(entries);             /* part holds it now */
	for (struct le *le = arr ? arr->u.odict->lst.head : NULL; le && !err;
	     le = le->next) {
		const struct odict_entry *e = le->data;
		const char *entity = odict_string(e->u.odict, "@entity");
		struct snap_sb *o = entity ? sb_find(s, entity) : NULL;
		uint64_t h = 0;

		if (!o) {
			err = append_ref(entries, e);
			(*changes)++;
			continue;
		}
		o->seen = true;
		err = hash_of(&h, "entry", e);
		if (!err && h != o->hash)
			err = entry_partial(entries, o, e, changes);
	}
	for (struct le *le = s->sbs.head; le && !err; le = le->next) {
		struct snap_sb *o = le->data;

		if (o->seen)
			continue;
		(void)obj_add(entries, NULL, o->entity, "deleted", &err);
		(*changes)++;
	}
	/* nothing changed in it: not in the document */
	if (!err && !odict_count(entries, false))
		odict_entry_del(root, "sidebars-by-val");
	return err;
}

/* sidebars-by-ref whole when it changed; deleted (with the entries it
 * had, as the schema wants one) when it is gone */
static int sidebars_diff(struct odict *root, struct notify_snap *s,
			 const struct odict *ci, unsigned *changes)
{
	const struct odict_entry *ref = odict_lookup(ci, "sidebars-by-ref");
	uint64_t h = 0;
	int err = ref ? hash_of(&h, "sidebars-by-ref", ref) : 0;

	if (err)
		return err;
	if (ref && h != s->by_ref_hash) {
		err = add_ref(root, "sidebars-by-ref", ref);
		(*changes)++;
	}
	else if (!ref && s->by_ref) {
		struct odict *gone = obj_add(root, "sidebars-by-ref", NULL,
					     "deleted", &err);
		const struct odict_entry *had = odict_lookup(s->by_ref,
							     "entry");

		if (!err && had)
			err = add_ref(gone, "entry", had);
		(*changes)++;
	}
	return err ? err : val_diff(root, s, odict_lookup(ci,
							   "sidebars-by-val"),
				    changes);
}

/* The snapshot's sidebars become those of ci */
static int sidebars_take(struct notify_snap *s, const struct odict *ci)
{
	const struct odict_entry *ref = odict_lookup(ci, "sidebars-by-ref");
	const struct odict_entry *v = odict_lookup(ci, "sidebars-by-val");
	const struct odict_entry *arr = v ?
		odict_lookup(v->u.odict, "entry") : NULL;
	int err = 0;

	s->by_ref = mem_deref(s->by_ref);
	s->by_ref_hash = 0;
	if (ref) {
		s->by_ref = mem_ref(ref->u.odict);
		err = hash_of(&s->by_ref_hash, "sidebars-by-ref", ref);
	}
	/* a few entries at most: made again */
	list_flush(&s->sbs);
	for (struct le *le = arr ? arr->u.odict->lst.head : NULL; le && !err;
	     le = le->next) {
		const struct odict_entry *e = le->data;
		const struct odict_entry *d = odict_lookup(e->u.odict,
						"conference-description");
		struct snap_sb *sb = mem_zalloc(sizeof(*sb),
						snap_sb_destructor);

		if (!sb)
			return ENOMEM;
		list_append(&s->sbs, &sb->le, sb);
		err = str_dup(&sb->entity, odict_string(e->u.odict,
							"@entity"));
		err = err ? err : hash_alloc(&sb->users, 16);
		err = err ? err : hash_of(&sb->hash, "entry", e);
		if (!err && d)
			err = hash_of(&sb->desc, "conference-description", d);
		err = err ? err : users_take(sb->users,
					     odict_lookup(e->u.odict,
							  "users"));
	}
	return err;
}

/* Replaces the snapshot with the state of full. */
static int snap_take(struct notify_snap *s, const struct odict *ci)
{
	int err = 0;

	for (size_t i = 0; i < NSECT && !err; i++) {
		const struct odict_entry *e = odict_lookup(ci, sections[i]);

		s->sect[i] = 0;
		if (e)
			err = hash_of(&s->sect[i], sections[i], e);
	}
	err = err ? err : users_take(s->users, odict_lookup(ci, "users"));
	err = err ? err : sidebars_take(s, ci);
	s->have = !err;
	return err;
}

static int build_partial(struct odict **docp, struct notify_snap *s,
			 const struct odict *ci, uint32_t version)
{
	struct udiff d = {.snap = s->users};
	struct odict *doc = NULL;
	int err = odict_alloc(&doc, 4);

	err = err ? err : odict_alloc(&d.parent, 16);
	err = err ? err : odict_entry_add(d.parent, "@entity", ODICT_STRING,
					  odict_string(ci, "@entity"));
	err = err ? err : odict_entry_add(d.parent, "@state", ODICT_STRING,
					  "partial");
	err = err ? err : odict_entry_add(d.parent, "@version", ODICT_INT,
					  (int64_t)version);
	for (size_t i = 0; !err && i < NSECT; i++) {
		const struct odict_entry *e = odict_lookup(ci, sections[i]);
		uint64_t h = 0;

		if (!e)
			continue;
		err = hash_of(&h, sections[i], e);
		if (!err && s->sect[i] != h) {
			err = add_ref(d.parent, sections[i], e);
			d.changes++;
		}
	}
	err = err ? err : users_diff(&d, odict_lookup(ci, "users"));
	err = err ? err : sidebars_diff(d.parent, s, ci, &d.changes);
	err = err ? err : odict_entry_add(doc, "conference-info",
					  ODICT_OBJECT, d.parent);
	mem_deref(d.parent);
	if (!err && !d.changes)
		err = ENODATA;
	if (err)
		mem_deref(doc);
	else
		*docp = doc;
	return err;
}

int notify_doc_diff(struct odict **docp, struct notify_snap *s,
		    const struct odict *full, bool *partialp)
{
	const struct odict_entry *root = odict_lookup(full,
						      "conference-info");
	const struct odict *ci = root ? root->u.odict : NULL;
	uint64_t version = 0;
	int err;

	if (!ci || !odict_get_number(ci, &version, "@version"))
		return EINVAL;
	*partialp = s->have;
	if (s->have) {
		err = build_partial(docp, s, ci, (uint32_t)version);
		if (err)
			return err;          /* ENODATA: nothing changed */
	}
	else {
		*docp = mem_ref((struct odict *)full);
	}
	err = snap_take(s, ci);
	if (err)
		*docp = mem_deref(*docp);
	return err;
}
