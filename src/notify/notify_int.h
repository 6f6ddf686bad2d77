/* Private to the notify module: the subscriber snapshot (what one
 * subscriber has seen, as hashes of each element's XML) shared by the
 * tree diff (partial.c) and the cached renders (render.c). */
#ifndef CAUCUS_NOTIFY_INT_H
#define CAUCUS_NOTIFY_INT_H

#include "notify/notify.h"

/* The top-level elements besides users, in schema order */
#define NOTIFY_NSECT 3
extern const char *const notify_sections[NOTIFY_NSECT];

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

uint64_t notify_hash(const char *s, size_t n);
struct snap_user *snap_find(const struct notify_snap *s, const char *entity);
/* The same with the entity's hash_joaat_str() computed already */
struct snap_user *snap_find_h(const struct notify_snap *s, const char *entity,
			      uint32_t key);
/* Sets (adding if new) the hash of entity; marks it seen. */
int  snap_set(struct notify_snap *s, const char *entity, uint64_t hash);
int  snap_add_h(struct notify_snap *s, const char *entity, uint32_t key,
		uint64_t hash);
/* Marks every user unseen / drops the unseen ones */
void snap_unsee(struct notify_snap *s);
void snap_drop_unseen(struct notify_snap *s);
int  notify_xml_escape(struct re_printf *pf, const char *s);

/* One element of a tree, printable with %H and notify_elem_print */
struct notify_elem {
	const char *name;
	const struct odict_entry *e;
};
int  notify_elem_print(struct re_printf *pf, void *arg);

#endif
