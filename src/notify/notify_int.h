/* Private to the notify module: what the tree diff (partial.c) and the
 * shared renders (render.c) both use. */
#ifndef CAUCUS_NOTIFY_INT_H
#define CAUCUS_NOTIFY_INT_H

#include "notify/notify.h"

/* The top-level elements besides users, in schema order */
#define NOTIFY_NSECT 3
extern const char *const notify_sections[NOTIFY_NSECT];

uint64_t notify_hash(const char *s, size_t n);
int  notify_xml_escape(struct re_printf *pf, const char *s);

/* One element of a tree, printable with %H and notify_elem_print */
struct notify_elem {
	const char *name;
	const struct odict_entry *e;
};
int  notify_elem_print(struct re_printf *pf, void *arg);

#endif
