/*
 * XML output of an RFC 4575 document tree (see notify.h): keys that start
 * with '@' become attributes of the enclosing element, "#text" its text
 * (an element with attributes and a value: RFC 6501's floor), arrays
 * become repeated elements, everything else a child element. The root gets the
 * conference-info namespace. Signalling thread; pure.
 */
#include <string.h>
#include "notify/notify_int.h"

#define NS "urn:ietf:params:xml:ns:conference-info"

int notify_xml_escape(struct re_printf *pf, const char *s)
{
	int err = 0;

	for (; !err && *s; s++) {
		switch (*s) {
		case '&':  err = re_hprintf(pf, "&amp;"); break;
		case '<':  err = re_hprintf(pf, "&lt;"); break;
		case '>':  err = re_hprintf(pf, "&gt;"); break;
		case '"':  err = re_hprintf(pf, "&quot;"); break;
		case '\'': err = re_hprintf(pf, "&apos;"); break;
		default:
			/* control characters are not allowed in XML 1.0 */
			if ((unsigned char)*s < 0x20 && *s != '\t' &&
			    *s != '\n' && *s != '\r')
				continue;
			err = pf->vph(s, 1, pf->arg);
		}
	}
	return err;
}

static int scalar_print(struct re_printf *pf, const struct odict_entry *e)
{
	switch (e->type) {
	case ODICT_STRING: return notify_xml_escape(pf, e->u.str);
	case ODICT_INT:    return re_hprintf(pf, "%lld",
					     (long long)e->u.integer);
	case ODICT_BOOL:   return re_hprintf(pf, e->u.boolean ? "true" :
					     "false");
	default:           return 0;
	}
}

static int element_print(struct re_printf *pf, const char *name,
			 const struct odict_entry *e, bool root);

static int children_print(struct re_printf *pf, const struct odict *o)
{
	int err = 0;

	for (struct le *le = o->lst.head; !err && le; le = le->next) {
		const struct odict_entry *c = le->data;

		if (c->key[0] == '@' || c->key[0] == '#')
			continue;
		if (c->type == ODICT_ARRAY) {
			for (struct le *ae = c->u.odict->lst.head; !err && ae;
			     ae = ae->next)
				err = element_print(pf, c->key, ae->data,
						    false);
		}
		else {
			err = element_print(pf, c->key, c, false);
		}
	}
	return err;
}

static int element_print(struct re_printf *pf, const char *name,
			 const struct odict_entry *e, bool root)
{
	int err = re_hprintf(pf, "<%s", name);

	if (root)
		err |= re_hprintf(pf, " xmlns=\"%s\"", NS);
	if (e->type != ODICT_OBJECT) {
		err |= re_hprintf(pf, ">");
		err |= scalar_print(pf, e);
		return err | re_hprintf(pf, "</%s>", name);
	}
	for (struct le *le = e->u.odict->lst.head; !err && le; le = le->next) {
		const struct odict_entry *a = le->data;

		if (a->key[0] != '@')
			continue;
		err |= re_hprintf(pf, " %s=\"", a->key + 1);
		err |= scalar_print(pf, a);
		err |= re_hprintf(pf, "\"");
	}
	err |= re_hprintf(pf, ">");
	if (odict_lookup(e->u.odict, "#text"))
		err |= scalar_print(pf, odict_lookup(e->u.odict, "#text"));
	err |= children_print(pf, e->u.odict);
	return err | re_hprintf(pf, "</%s>", name);
}

int notify_xml_element(struct re_printf *pf, const char *name,
		       const struct odict_entry *e)
{
	return element_print(pf, name, e, false);
}

int notify_elem_print(struct re_printf *pf, void *arg)
{
	const struct notify_elem *el = arg;

	return notify_xml_element(pf, el->name, el->e);
}

int notify_xml_print(struct re_printf *pf, const struct odict *doc)
{
	const struct odict_entry *root = odict_lookup(doc,
						      "conference-info");

	if (!root)
		return EINVAL;
	return re_hprintf(pf, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") |
		element_print(pf, "conference-info", root, true);
}
