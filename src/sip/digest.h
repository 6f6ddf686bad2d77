/*
 * SIP digest authentication, server side (RFC 3261 s. 22, RFC 8760 for
 * SHA-256, qop=auth as RFC 7616 describes it). libre's httpauth is MD5
 * only, tracks no nonce counts and checks no uri (LIBRE-NOTES.md); this
 * does all three. Nonces carry their birth time and a keyed hash, so a
 * forged or expired one is told apart without a lookup; the nonces issued
 * in the last ttl are kept with the highest nonce count seen, so a replay
 * is refused. Signalling thread only.
 */
#ifndef CAUCUS_DIGEST_H
#define CAUCUS_DIGEST_H

#include <stdbool.h>
#include <stdint.h>
#include <re.h>
#include "sip/sip.h"
#include "util/hashhex.h"

struct digest;
struct users;
struct user;

/* The parameters of one Authorization header */
struct digest_cred {
	struct pl username, realm, nonce, uri, response, algorithm, cnonce,
		nc, qop, opaque;
};

enum digest_result {
	DIGEST_OK,
	DIGEST_NONE,       /* no credentials for our realm: challenge */
	DIGEST_STALE,      /* good format, nonce unknown or expired:
			    * challenge with stale=true */
	DIGEST_BAD,        /* malformed or mismatched uri: 400 */
	DIGEST_WRONG,      /* unknown user or wrong response: 403 */
	DIGEST_REPLAY,     /* nonce count not above the last one: 403 */
};

/* Parses `Digest k=v, k="v", ...`: EBADMSG on anything else */
int  digest_parse(struct digest_cred *c, const struct pl *hval);
/* The expected response for qop=auth (lowercase hex) */
int  digest_response(enum hashhex_alg alg, const char *ha1,
		     const struct pl *nonce, const struct pl *nc,
		     const struct pl *cnonce, const struct pl *method,
		     const struct pl *uri, char out[HASHHEX_MAX]);

/* algs: the algorithms offered, most preferred first: "SHA-256,MD5"
 * (RFC 8760's order), "MD5,SHA-256" (for clients that only read the first
 * challenge and know only MD5), "SHA-256" or "MD5"; EINVAL otherwise */
int  digest_alloc(struct digest **dp, const char *realm, uint32_t ttl_s,
		  const char *algs);
/* Checks the credentials of msg. On DIGEST_OK *up is the user; why says
 * what went wrong otherwise (for the reason phrase and the log). */
enum digest_result digest_check(struct digest *d, const struct users *us,
				const struct sip_msg *msg,
				const struct user **up, const char **why);
/* WWW-Authenticate headers (SHA-256 first, then MD5) with a new nonce,
 * each ending in CRLF */
int  digest_challenge(struct digest *d, bool stale, char *buf, size_t sz);
unsigned digest_nonce_count(const struct digest *d);

#endif
