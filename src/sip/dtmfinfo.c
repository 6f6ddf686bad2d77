/*
 * Keypad digits in SIP INFO bodies: application/dtmf-relay (the common
 * form, "Signal=5" and "Duration=160" lines) and application/dtmf (the
 * digit alone), and the per-call limit on how many count. call_info.c
 * calls them for INFO in a call; the unit test and the fuzz target call
 * them directly. Pure functions, no allocation, any thread.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include "sip/dtmfinfo.h"

/* [*p, *end) without the characters of set at either end */
static void trim(const char **p, const char **end, const char *set)
{
	while (*p < *end && strchr(set, **p))
		(*p)++;
	while (*end > *p && strchr(set, (*end)[-1]))
		(*end)--;
}

/* ctype, without blanks and parameters, is name (case-insensitive) */
static bool ctype_is(const char *ctype, const char *name)
{
	size_t n = strlen(name);

	ctype += strspn(ctype, " \t");
	if (strncasecmp(ctype, name, n))
		return false;
	ctype += n;
	ctype += strspn(ctype, " \t");
	return *ctype == '\0' || *ctype == ';';
}

/* One signal, [p, end): a keypad key, or 10 and 11 for * and # (the
 * RFC 4733 event numbers, which some phones send instead) */
static int signal_decode(const char *p, const char *end, char *digit)
{
	size_t l = (size_t)(end - p);

	if (l == 1 && ((*p >= '0' && *p <= '9') || *p == '*' || *p == '#' ||
		       (*p >= 'A' && *p <= 'D'))) {
		*digit = *p;
		return 0;
	}
	if (l == 1 && *p >= 'a' && *p <= 'd') {
		*digit = (char)(*p - 'a' + 'A');
		return 0;
	}
	if (l == 2 && p[0] == '1' && (p[1] == '0' || p[1] == '1')) {
		*digit = p[1] == '0' ? '*' : '#';
		return 0;
	}
	return EBADMSG;
}

/* application/dtmf-relay: exactly one Signal line, whatever else. A
 * second Signal is refused rather than one of them picked: which key
 * was meant cannot be known. */
static int relay_parse(const char *p, const char *end, char *digit)
{
	bool found = false;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *eq = memchr(p, '=', (size_t)(eol - p));
		const char *k = p, *kend = eq, *v, *vend = eol;

		p = nl ? nl + 1 : end;
		if (!eq)
			continue;            /* not a "Key=value" line */
		v = eq + 1;
		trim(&k, &kend, " \t");
		if (kend - k != 6 || strncasecmp(k, "signal", 6))
			continue;
		if (found)
			return EBADMSG;
		found = true;
		trim(&v, &vend, " \t\r");
		if (signal_decode(v, vend, digit))
			return EBADMSG;
	}
	return found ? 0 : EBADMSG;
}

int dtmfinfo_parse(const char *ctype, const uint8_t *body, size_t len,
		   char *digit)
{
	const char *p = (const char *)body, *end;
	bool relay;
	char d = 0;
	int err;

	if (!ctype || !digit || (!body && len))
		return EINVAL;
	relay = ctype_is(ctype, "application/dtmf-relay");
	if (!relay && !ctype_is(ctype, "application/dtmf"))
		return ENOTSUP;
	/* a NUL would end the string functions' view of the body early */
	if (!len || len > DTMFINFO_BODY_MAX || memchr(body, '\0', len))
		return EBADMSG;
	end = p + len;
	if (relay) {
		err = relay_parse(p, end, &d);
	}
	else {
		trim(&p, &end, " \t\r\n");
		err = signal_decode(p, end, &d);
	}
	if (err)
		return EBADMSG;
	*digit = d;
	return 0;
}

bool dtmfinfo_rate_take(struct dtmfinfo_rate *r, uint64_t now_ms)
{
	/* once the ring is full, next is the oldest of the last
	 * DTMFINFO_RATE: within the window, this one would be one more */
	if (r->count == DTMFINFO_RATE &&
	    now_ms - r->taken_ms[r->next] < DTMFINFO_WINDOW_MS)
		return false;
	r->taken_ms[r->next] = now_ms;
	r->next = (r->next + 1) % DTMFINFO_RATE;
	if (r->count < DTMFINFO_RATE)
		r->count++;
	return true;
}
