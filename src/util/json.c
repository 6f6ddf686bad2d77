/* JSON encoder for odicts, see json.h. */
#include <math.h>
#include <stdio.h>
#include "util/json.h"

int json_print_string(struct re_printf *pf, const char *s)
{
	int err = re_hprintf(pf, "\"");

	for (; !err && *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"':  err = re_hprintf(pf, "\\\""); break;
		case '\\': err = re_hprintf(pf, "\\\\"); break;
		case '\n': err = re_hprintf(pf, "\\n"); break;
		case '\r': err = re_hprintf(pf, "\\r"); break;
		case '\t': err = re_hprintf(pf, "\\t"); break;
		default:
			if (c < 0x20)
				err = re_hprintf(pf, "\\u%04x", c);
			else
				err = pf->vph((const char *)&c, 1, pf->arg);
		}
	}
	return err ? err : re_hprintf(pf, "\"");
}

static int print_value(struct re_printf *pf, const struct odict_entry *e);

static int print_container(struct re_printf *pf, const struct odict *od,
			   bool array)
{
	int err = re_hprintf(pf, array ? "[" : "{");

	for (struct le *le = od->lst.head; !err && le; le = le->next) {
		const struct odict_entry *e = le->data;

		if (le != od->lst.head)
			err = re_hprintf(pf, ",");
		if (!err && !array) {
			err = json_print_string(pf, e->key);
			err = err ? err : re_hprintf(pf, ":");
		}
		err = err ? err : print_value(pf, e);
	}
	return err ? err : re_hprintf(pf, array ? "]" : "}");
}

static int print_value(struct re_printf *pf, const struct odict_entry *e)
{
	char num[32];

	switch (e->type) {
	case ODICT_OBJECT:
		return print_container(pf, e->u.odict, false);
	case ODICT_ARRAY:
		return print_container(pf, e->u.odict, true);
	case ODICT_STRING:
		return json_print_string(pf, e->u.str);
	case ODICT_INT:
		return re_hprintf(pf, "%lld", (long long)e->u.integer);
	case ODICT_DOUBLE:
		if (!isfinite(e->u.dbl))
			return re_hprintf(pf, "null");
		snprintf(num, sizeof(num), "%.10g", e->u.dbl);
		return re_hprintf(pf, "%s", num);
	case ODICT_BOOL:
		return re_hprintf(pf, e->u.boolean ? "true" : "false");
	default:
		return re_hprintf(pf, "null");
	}
}

int json_print(struct re_printf *pf, const struct odict *od)
{
	return print_container(pf, od, false);
}
