/*
 * The pieces of a shared render (render.c): one element as XML with its
 * hash, and a conference's (or a sidebar's) users indexed by entity, with
 * the partial <users> between two renders. Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "notify/notify_int.h"
#include "notify/render_int.h"

void rnd_item_free(struct rnd_item *it)
{
	it->entity = mem_deref(it->entity);
	it->xml = mem_deref(it->xml);
}

void rnd_list_free(struct rnd_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		rnd_item_free(&l->items[i]);
	l->items = mem_deref(l->items);
	l->ix = mem_deref(l->ix);
}

/* e as the XML element `name`; keyed: with its entity */
int rnd_item_make(struct rnd_item *it, const char *name,
		  const struct odict_entry *e, bool keyed)
{
	struct notify_elem el = {name, e};
	int err = 0;

	if (keyed) {
		err = str_dup(&it->entity, odict_string(e->u.odict,
							"@entity"));
		if (err)
			return err;
		it->key = hash_joaat_str(it->entity);
	}
	err = re_sdprintf(&it->xml, "%H", notify_elem_print, &el);
	if (err)
		return err;
	it->len = strlen(it->xml);
	it->hash = notify_hash(it->xml, it->len);
	return 0;
}

bool rnd_item_differs(const struct rnd_item *a, const struct rnd_item *b)
{
	if (!a->xml || !b->xml)
		return a->xml != b->xml;
	return a->hash != b->hash || a->len != b->len ||
		memcmp(a->xml, b->xml, a->len);
}

/* Open addressing, at most half full */
static int rnd_list_index(struct rnd_list *l)
{
	size_t slots = 8;

	while (slots < 2 * l->n)
		slots *= 2;
	l->ix = mem_zalloc(slots * sizeof(*l->ix), NULL);
	if (!l->ix)
		return ENOMEM;
	l->ixmask = slots - 1;
	for (size_t i = 0; i < l->n; i++) {
		size_t j = l->items[i].key & l->ixmask;

		while (l->ix[j])
			j = (j + 1) & l->ixmask;
		l->ix[j] = (uint32_t)i + 1;
	}
	return 0;
}

/* The users of a <users> element (NULL: none) */
int rnd_list_make(struct rnd_list *l, const struct odict_entry *users,
		  size_t *lenp)
{
	const struct odict_entry *arr = users ?
		odict_lookup(users->u.odict, "user") : NULL;
	size_t n = arr ? odict_count(arr->u.odict, false) : 0;
	int err = 0;

	l->items = mem_zalloc(n ? n * sizeof(*l->items) : 1, NULL);
	if (!l->items)
		return ENOMEM;
	for (struct le *le = arr ? arr->u.odict->lst.head : NULL; le && !err;
	     le = le->next) {
		/* counted before it is filled in: the destructor frees
		 * what it has when its XML cannot be made */
		struct rnd_item *u = &l->items[l->n++];

		err = rnd_item_make(u, "user", le->data, true);
		*lenp += u->len;
	}
	return err ? err : rnd_list_index(l);
}

const struct rnd_item *rnd_list_find(const struct rnd_list *l,
				     const struct rnd_item *like)
{
	for (size_t j = like->key & l->ixmask; l->ix[j];
	     j = (j + 1) & l->ixmask) {
		const struct rnd_item *u = &l->items[l->ix[j] - 1];

		if (u->key == like->key && !strcmp(u->entity, like->entity))
			return u;
	}
	return NULL;
}

/* a deleted user's element, but for its entity (clang: an array used
 * only in sizeof would not be needed) */
#define USER_DEL_LEN sizeof("<user entity=\"\" state=\"deleted\"></user>")

/* The size of the users that differ from `from` to l, and how many */
size_t rnd_list_delta_len(const struct rnd_list *l,
			  const struct rnd_list *from, size_t *np)
{
	size_t len = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct rnd_item *o = rnd_list_find(from, &l->items[i]);

		if (!o || rnd_item_differs(o, &l->items[i])) {
			len += l->items[i].len;
			(*np)++;
		}
	}
	for (size_t i = 0; i < from->n; i++) {
		if (!rnd_list_find(l, &from->items[i])) {
			len += strlen(from->items[i].entity) +
				USER_DEL_LEN;
			(*np)++;
		}
	}
	return len;
}

/* <users state="partial"> with the users that differ */
int rnd_list_delta_print(struct mbuf *mb, const struct rnd_list *l,
			 const struct rnd_list *from)
{
	int err = mbuf_write_str(mb, "<users state=\"partial\">");

	for (size_t i = 0; i < l->n && !err; i++) {
		const struct rnd_item *o = rnd_list_find(from, &l->items[i]);

		if (!o || rnd_item_differs(o, &l->items[i]))
			err = mbuf_write_mem(mb, (uint8_t *)l->items[i].xml,
					     l->items[i].len);
	}
	for (size_t i = 0; i < from->n && !err; i++)
		if (!rnd_list_find(l, &from->items[i]))
			err = mbuf_printf(mb, "<user entity=\"%H\" "
					  "state=\"deleted\"></user>",
					  notify_xml_escape,
					  from->items[i].entity);
	return err ? err : mbuf_write_str(mb, "</users>");
}

int rnd_list_print(struct mbuf *mb, const struct rnd_list *l)
{
	int err = mbuf_write_str(mb, "<users>");

	for (size_t i = 0; i < l->n && !err; i++)
		err = mbuf_write_mem(mb, (uint8_t *)l->items[i].xml,
				     l->items[i].len);
	return err ? err : mbuf_write_str(mb, "</users>");
}

