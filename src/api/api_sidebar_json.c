/*
 * Sidebars as the API shows them (api_sidebar.c, api_breakout.c use it):
 * a sidebar's JSON with the members the caller may see, and lists of
 * them (all, or the breakout rooms). A leaf of the api module's sidebar
 * files. Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "api/api_int.h"
#include "conf/conf.h"

struct member_ctx {
	const struct api_req *r;
	const struct sidebar *sb;
	struct odict *arr;
	unsigned n;
	int err;
};

static bool member_h(struct participant *p, void *arg)
{
	struct member_ctx *m = arg;
	char key[12];

	if (part_sidebar(p) != m->sb || part_status(p) == PART_FAILED ||
	    !api_part_visible(m->r, p))
		return false;
	re_snprintf(key, sizeof(key), "%u", m->n++);
	m->err = odict_entry_add(m->arr, key, ODICT_STRING, part_id(p));
	return m->err != 0;
}

int api_sidebar_json(struct odict **odp, struct sidebar *sb,
		     const struct api_req *r)
{
	struct member_ctx m = {.r = r, .sb = sb};
	struct odict *od = NULL;
	double db;
	int err = odict_alloc(&od, 16);

	err = err ? err : odict_alloc(&m.arr, 16);
	if (err)
		goto out;
	err |= api_add_str(od, "id", sidebar_id(sb));
	err |= api_add_str(od, "uri", sidebar_uri(sb));
	err |= api_add_str(od, "display_text", sidebar_display_text(sb));
	/* null: its members do not hear the main conference at all */
	err |= sidebar_bg(sb, &db) ? api_add_dbl(od, "background_db", db) :
		odict_entry_add(od, "background_db", ODICT_NULL);
	err |= api_add_bool(od, "by_val", sidebar_by_val(sb));
	(void)conf_apply_parts(sidebar_conf(sb), member_h, &m);
	err |= m.err;
	err |= odict_entry_add(od, "members", ODICT_ARRAY, m.arr);
	err |= api_add_bool(od, "breakout", sidebar_breakout(sb));
	err |= sidebar_ends_at(sb) ?
		api_add_int(od, "ends_at", sidebar_ends_at(sb)) :
		odict_entry_add(od, "ends_at", ODICT_NULL);
out:
	mem_deref(m.arr);
	if (err)
		mem_deref(od);
	else
		*odp = od;
	return err;
}

struct list_ctx {
	const struct api_req *r;
	struct odict *arr;
	unsigned n;
	bool breakouts;          /* only the breakout rooms */
	int err;
};

static bool list_h(struct sidebar *sb, void *arg)
{
	struct list_ctx *l = arg;
	struct odict *so = NULL;
	char key[12];

	if (l->breakouts && !sidebar_breakout(sb))
		return false;
	re_snprintf(key, sizeof(key), "%u", l->n++);
	l->err = api_sidebar_json(&so, sb, l->r);
	l->err = l->err ? l->err : odict_entry_add(l->arr, key,
						   ODICT_OBJECT, so);
	mem_deref(so);
	return l->err != 0;
}

/* {name: [sidebar...]} of c's sidebars (breakouts: the rooms only) */
int api_sidebars_json(struct odict *out, const char *name, struct conf *c,
		      const struct api_req *r, bool breakouts)
{
	struct list_ctx l = {.r = r, .breakouts = breakouts};
	int err = odict_alloc(&l.arr, 16);

	if (err)
		return err;
	(void)conf_apply_sidebars(c, list_h, &l);
	err = l.err ? l.err : odict_entry_add(out, name, ODICT_ARRAY, l.arr);
	mem_deref(l.arr);
	return err;
}
