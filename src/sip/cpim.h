/* message/cpim (RFC 3862) bodies of instant messages: decoding what a
 * client sends, printing what the focus forwards. */
#ifndef CAUCUS_CPIM_H
#define CAUCUS_CPIM_H

#include <re.h>

struct cpim {
	struct pl from;          /* the From header's value, may be unset */
	struct pl ctype;         /* the encapsulated Content-Type */
	struct pl body;          /* the encapsulated content */
};

/* EBADMSG when buf is not a CPIM message: message headers, an empty
 * line, MIME headers with a Content-Type, an empty line, the content.
 * Lines end in CRLF or LF; every header line is "Name: value". */
int cpim_decode(struct cpim *c, const char *buf, size_t len);

#endif
