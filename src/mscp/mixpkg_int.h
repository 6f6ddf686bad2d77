/*
 * The mixer package parser's pieces shared by its two files: the XML
 * walking and attribute tables (mixpkg.c) and the elements
 * (mixpkg_elem.c). Only those include this.
 */
#ifndef CAUCUS_MSCP_MIXPKG_INT_H
#define CAUCUS_MSCP_MIXPKG_INT_H

#include <stddef.h>
#include <libxml/tree.h>
#include "mscp/mixpkg.h"

enum atype { A_ID, A_UINT, A_U16, A_BOOL, A_STATUS, A_TEXT, A_DIR, A_MEDIA,
	     A_LABEL, A_IGNORE, A_VERSION, A_MIXTYPE };

struct aspec {
	const char *name;
	bool required;
	enum atype type;
	size_t off;                 /* in the struct given to attrs() */
};

#define END {NULL, false, A_IGNORE, 0}
#define M(f) offsetof(struct mixpkg_msg, f)
#define C(f) (offsetof(struct mixpkg_msg, conf) + \
	      offsetof(struct mixpkg_conf, f))

struct px {
	struct mixpkg_msg *m;
	uint16_t code;
};

/* The first failure is kept (code and "why: what" as the reason);
 * returns false so callers can return it */
bool mpx_fail(struct px *x, uint16_t code, const char *why,
	      const char *what);
bool mpx_ours(const xmlNode *n);
bool mpx_is(const xmlNode *n, const char *name);
/* n's element children (at most max), blanks and comments skipped */
bool mpx_kids(struct px *x, const xmlNode *n, const xmlNode **out,
	      unsigned max, unsigned *cnt);
bool mpx_attrs(struct px *x, const xmlNode *n, const struct aspec *spec,
	       void *base);
/* 435 for what the schema has and caucus does not do, else 400 */
bool mpx_unsupported(struct px *x, const xmlNode *k);
bool mpx_no_kids(struct px *x, const xmlNode *n);
bool mpx_uint_value(const char *v, uint32_t *out);
bool mpx_one_of(const char *v, const char *const *words, int *out);
/* mixpkg_elem.c: the child of <mscmixer> */
bool mpx_request(struct px *x, const xmlNode *n);

#endif
