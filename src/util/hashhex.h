/*
 * Message digests as lowercase hex (MD5 and SHA-256 through OpenSSL), for
 * SIP digest authentication and stored token digests. Any thread.
 */
#ifndef CAUCUS_HASHHEX_H
#define CAUCUS_HASHHEX_H

#include <stddef.h>

enum hashhex_alg { HASHHEX_MD5, HASHHEX_SHA256 };

#define HASHHEX_MAX 65            /* 64 hex digits and the NUL */

/* out gets 32 (MD5) or 64 (SHA-256) hex digits; EINVAL on a bad alg */
int hashhex(enum hashhex_alg alg, char out[HASHHEX_MAX], const void *d,
	    size_t n);
/* The hash of a printf-style string (re_printf formats) */
int hashhex_printf(enum hashhex_alg alg, char out[HASHHEX_MAX],
		   const char *fmt, ...);
/* Equal strings, in time that does not depend on where they differ */
int hashhex_equal(const char *a, const char *b);

#endif
