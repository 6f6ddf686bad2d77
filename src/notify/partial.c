/*
 * What a subscriber gets next: the difference between the state it has
 * (a snapshot of the last document sent to it) and the current full
 * document, as an RFC 4575 partial document: changed top-level elements
 * whole, changed or new users whole (state="full"), gone users as
 * state="deleted". When the partial document is not smaller than the full
 * one, or the subscriber has nothing yet, the full document goes instead.
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

struct notify_snap {
	bool have;                  /* the subscriber got a document */
	uint64_t sect[NOTIFY_NSECT];  /* 0: absent */
	struct hash *users;         /* struct snap_user by entity */
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

static void snap_destructor(void *arg)
{
	struct notify_snap *s = arg;

	hash_flush(s->users);
	mem_deref(s->users);
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

static bool entity_cmp(struct le *le, void *arg)
{
	return !strcmp(((struct snap_user *)le->data)->entity, arg);
}

static struct snap_user *snap_find_h(const struct notify_snap *s,
				     const char *entity, uint32_t key)
{
	return list_ledata(hash_lookup(s->users, key, entity_cmp,
				       (void *)entity));
}

static struct snap_user *snap_find(const struct notify_snap *s,
				   const char *entity)
{
	return snap_find_h(s, entity, hash_joaat_str(entity));
}

static int snap_add_h(struct notify_snap *s, const char *entity,
		      uint32_t key, uint64_t hash)
{
	struct snap_user *su = mem_zalloc(sizeof(*su), snap_user_destructor);

	if (!su || str_dup(&su->entity, entity)) {
		mem_deref(su);
		return ENOMEM;
	}
	hash_append(s->users, key, &su->he, su);
	su->hash = hash;
	su->seen = true;
	return 0;
}

static int snap_set(struct notify_snap *s, const char *entity, uint64_t hash)
{
	uint32_t key = hash_joaat_str(entity);
	struct snap_user *su = snap_find_h(s, entity, key);

	if (!su)
		return snap_add_h(s, entity, key, hash);
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

static void snap_unsee(struct notify_snap *s)
{
	(void)hash_apply(s->users, unseen_h, NULL);
}

static bool drop_h(struct le *le, void *arg)
{
	struct snap_user *su = le->data;

	(void)arg;
	if (!su->seen)
		mem_deref(su);
	return false;
}

static void snap_drop_unseen(struct notify_snap *s)
{
	(void)hash_apply(s->users, drop_h, NULL);
}

static int add_ref(struct odict *o, const char *key,
		   const struct odict_entry *e)
{
	return odict_entry_add(o, key, e->type, e->u.odict);
}

struct diff {
	struct notify_snap *snap;
	struct odict *root;         /* partial conference-info */
	struct odict *users;        /* its user array, made on demand */
	unsigned changes;
	int err;
};

static struct odict *partial_users(struct diff *d)
{
	struct odict *users = NULL, *arr = NULL;

	if (d->users)
		return d->users;
	d->err = odict_alloc(&users, 4);
	d->err = d->err ? d->err : odict_alloc(&arr, 16);
	d->err = d->err ? d->err : odict_entry_add(users, "@state",
						   ODICT_STRING, "partial");
	d->err = d->err ? d->err : odict_entry_add(users, "user",
						   ODICT_ARRAY, arr);
	d->err = d->err ? d->err : odict_entry_add(d->root, "users",
						   ODICT_OBJECT, users);
	mem_deref(users);
	mem_deref(arr);
	d->users = d->err ? NULL : arr;
	return d->users;
}

static void diff_user(struct diff *d, const struct odict_entry *ue)
{
	const char *entity = odict_string(ue->u.odict, "@entity");
	struct snap_user *su;
	char *xml = NULL, key[12];

	if (!entity || xml_of(&xml, "user", ue)) {
		d->err = ENOMEM;
		return;
	}
	su = snap_find(d->snap, entity);
	if (su) {
		su->seen = true;
		if (su->hash == notify_hash(xml, strlen(xml))) {
			mem_deref(xml);
			return;
		}
	}
	if (!partial_users(d)) {
		mem_deref(xml);
		return;
	}
	re_snprintf(key, sizeof(key), "%zu", odict_count(d->users, false));
	d->err = add_ref(d->users, key, ue);
	d->changes++;
	mem_deref(xml);
}

static bool deleted_h(struct le *le, void *arg)
{
	struct snap_user *su = le->data;
	struct diff *d = arg;
	struct odict *gone = NULL;
	char key[12];

	if (su->seen || !partial_users(d))
		return d->err != 0;
	d->err = odict_alloc(&gone, 4);
	d->err = d->err ? d->err : odict_entry_add(gone, "@entity",
						   ODICT_STRING, su->entity);
	d->err = d->err ? d->err : odict_entry_add(gone, "@state",
						   ODICT_STRING, "deleted");
	re_snprintf(key, sizeof(key), "%zu", odict_count(d->users, false));
	d->err = d->err ? d->err : odict_entry_add(d->users, key,
						   ODICT_OBJECT, gone);
	mem_deref(gone);
	d->changes++;
	return d->err != 0;
}


/* Replaces the snapshot with the state of full. */
static int snap_take(struct notify_snap *s, const struct odict *ci)
{
	const struct odict_entry *ue = odict_lookup(ci, "users");
	const struct odict_entry *arr = ue ? odict_lookup(ue->u.odict,
							  "user") : NULL;
	int err = 0;

	for (size_t i = 0; i < NSECT && !err; i++) {
		const struct odict_entry *e = odict_lookup(ci, sections[i]);
		char *xml = NULL;

		s->sect[i] = 0;
		if (!e)
			continue;
		err = xml_of(&xml, sections[i], e);
		if (!err)
			s->sect[i] = notify_hash(xml, strlen(xml));
		mem_deref(xml);
	}
	snap_unsee(s);
	for (struct le *le = arr ? arr->u.odict->lst.head : NULL; le && !err;
	     le = le->next) {
		const struct odict_entry *u = le->data;
		const char *entity = odict_string(u->u.odict, "@entity");
		char *xml = NULL;

		err = entity ? xml_of(&xml, "user", u) : EINVAL;
		if (!err)
			err = snap_set(s, entity, notify_hash(xml, strlen(xml)));
		mem_deref(xml);
	}
	snap_drop_unseen(s);
	s->have = !err;
	return err;
}

static int build_partial(struct odict **docp, struct notify_snap *s,
			 const struct odict *ci, uint32_t version)
{
	struct diff d = {.snap = s};
	struct odict *doc = NULL;
	const struct odict_entry *ue, *arr;
	int err = odict_alloc(&doc, 4);

	err = err ? err : odict_alloc(&d.root, 16);
	err = err ? err : odict_entry_add(d.root, "@entity", ODICT_STRING,
					  odict_string(ci, "@entity"));
	err = err ? err : odict_entry_add(d.root, "@state", ODICT_STRING,
					  "partial");
	err = err ? err : odict_entry_add(d.root, "@version", ODICT_INT,
					  (int64_t)version);
	for (size_t i = 0; !err && i < NSECT; i++) {
		const struct odict_entry *e = odict_lookup(ci, sections[i]);
		char *xml = NULL;

		if (!e)
			continue;
		err = xml_of(&xml, sections[i], e);
		if (!err && s->sect[i] != notify_hash(xml, strlen(xml))) {
			err = add_ref(d.root, sections[i], e);
			d.changes++;
		}
		mem_deref(xml);
	}
	if (!err) {
		snap_unsee(s);
		ue = odict_lookup(ci, "users");
		arr = ue ? odict_lookup(ue->u.odict, "user") : NULL;
		for (struct le *le = arr ? arr->u.odict->lst.head : NULL;
		     le && !d.err; le = le->next)
			diff_user(&d, le->data);
		if (!d.err)
			(void)hash_apply(s->users, deleted_h, &d);
		err = d.err;
	}
	err = err ? err : odict_entry_add(doc, "conference-info",
					  ODICT_OBJECT, d.root);
	mem_deref(d.root);
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
