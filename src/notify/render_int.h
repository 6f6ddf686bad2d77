/* Private to the notify module's renders (render.c, render_list.c):
 * elements kept as XML with their hashes, and lists of users indexed by
 * entity, which partial bodies are made from. Signalling thread. */
#ifndef CAUCUS_RENDER_INT_H
#define CAUCUS_RENDER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <re.h>

/* One element as XML: a section (no entity), a user, a sidebar entry */
struct rnd_item {
	char *entity;
	uint32_t key;                /* hash_joaat_str(entity), once */
	char *xml;                   /* NULL: absent */
	size_t len;
	uint64_t hash;
};

/* Users, indexed by entity */
struct rnd_list {
	struct rnd_item *items;
	size_t n;
	uint32_t *ix;                /* index + 1, 0 free */
	size_t ixmask;               /* slots - 1 (a power of two) */
};

void rnd_item_free(struct rnd_item *it);
void rnd_list_free(struct rnd_list *l);
/* e as the XML element `name`; keyed: with its entity */
int  rnd_item_make(struct rnd_item *it, const char *name,
		   const struct odict_entry *e, bool keyed);
bool rnd_item_differs(const struct rnd_item *a, const struct rnd_item *b);
/* The users of a <users> element (NULL: none); *lenp grows by their XML */
int  rnd_list_make(struct rnd_list *l, const struct odict_entry *users,
		   size_t *lenp);
const struct rnd_item *rnd_list_find(const struct rnd_list *l,
				     const struct rnd_item *like);
/* The size of the users that differ from `from` to l, and how many */
size_t rnd_list_delta_len(const struct rnd_list *l,
			  const struct rnd_list *from, size_t *np);
/* <users state="partial"> with the users that differ */
int  rnd_list_delta_print(struct mbuf *mb, const struct rnd_list *l,
			  const struct rnd_list *from);
int  rnd_list_print(struct mbuf *mb, const struct rnd_list *l);

#endif
