/*
 * JSON output of a libre odict, as people expect to read it: '/' is not
 * escaped, numbers are printed in their shortest form (0, -6.5, not
 * 0.000000), and non-ASCII UTF-8 passes through. Any thread.
 */
#ifndef CAUCUS_JSON_H
#define CAUCUS_JSON_H

#include <re.h>

/* For re_printf's %H: re_hprintf(pf, "%H", json_print, odict) */
int json_print(struct re_printf *pf, const struct odict *od);
/* A JSON string literal, quoted and escaped (%H) */
int json_print_string(struct re_printf *pf, const char *s);

#endif
