/* Keypad digits sent by SIP INFO inside a call (the way many phones and
 * gateways send them instead of RFC 4733 telephone-events): the bodies,
 * and the per-call limit on how many digits count. Pure functions (no
 * SIP stack state), so the unit test and the fuzz target drive them
 * alone. */
#ifndef CAUCUS_DTMFINFO_H
#define CAUCUS_DTMFINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest body taken; a key press needs a few dozen bytes */
#define DTMFINFO_BODY_MAX 1024

/* The digit of an INFO body of Content-Type ctype ("type/subtype",
 * parameters after ';' ignored, case-insensitive) into *digit, one of
 * 0-9, *, #, A-D:
 *  - application/dtmf-relay: lines of "Key=value" ending in CRLF or LF,
 *    keys case-insensitive, blanks around keys and values allowed;
 *    exactly one Signal line, other lines (Duration) ignored;
 *  - application/dtmf: the body is the digit, blanks around it allowed.
 * A signal is one of 0-9, *, #, A-D or a-d, or 10 for * and 11 for #
 * (as some phones send them). 0; EBADMSG for a malformed body (no
 * Signal line, two of them, an invalid signal, more than
 * DTMFINFO_BODY_MAX bytes, a NUL byte); ENOTSUP for another content
 * type; EINVAL for missing arguments. */
int dtmfinfo_parse(const char *ctype, const uint8_t *body, size_t len,
		   char *digit);

/* At most DTMFINFO_RATE digits in any DTMFINFO_WINDOW_MS of one call:
 * the times of the last ones taken, in a ring */
#define DTMFINFO_RATE 20
#define DTMFINFO_WINDOW_MS 1000
struct dtmfinfo_rate {
	uint64_t taken_ms[DTMFINFO_RATE];
	unsigned next;               /* the oldest, overwritten next */
	unsigned count;              /* taken so far, up to DTMFINFO_RATE */
};

/* true: a digit at now_ms is within the limit (and is counted); false:
 * it is over and must be dropped. r zeroed is a fresh limit. */
bool dtmfinfo_rate_take(struct dtmfinfo_rate *r, uint64_t now_ms);

#endif
