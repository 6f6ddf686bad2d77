/* The Replaces header (RFC 3891) as the focus reads it: its value, the
 * one a Refer-To URI carries escaped among its headers (RFC 3261 s.
 * 19.1.1), and whether it names one of the focus's dialogs. Pure
 * functions (no SIP stack state), so the unit test and the fuzz target
 * drive them alone; replaces.c also holds the focus's side of an INVITE
 * with Replaces (sip_int.h). Signalling thread. */
#ifndef CAUCUS_REPLACES_H
#define CAUCUS_REPLACES_H

#include <stdbool.h>
#include <stddef.h>
#include <re.h>
#include "conf/part.h"

/* The longest Replaces value taken from a Refer-To (a Call-ID of 255,
 * two tags and the names around them fit with room to spare) */
#define REPLACES_VALUE_MAX 512

/* A parsed value: pointers into the text it was parsed from */
struct replaces {
	struct pl call_id;
	struct pl to_tag;            /* the tag of the UA that receives it */
	struct pl from_tag;          /* the tag of its peer in the dialog */
	bool early_only;
};

/* RFC 3891 s. 6.1: callid *(SEMI replaces-param), where a param is
 * to-tag=token, from-tag=token, early-only, or any other token[=value]
 * (ignored); to-tag and from-tag exactly once each, early-only at most
 * once, names case-insensitive, blanks around ';' and '=' and at either
 * end allowed. 0, or EBADMSG (also for any control character but a
 * blank: a value we may copy into a request of our own must not carry a
 * line break). */
int  replaces_parse(struct replaces *r, const struct pl *val);

/* The Replaces among the headers of a URI (hdrs: from its '?', which
 * may be left out, as libre's uri_decode keeps it: hname=hvalue pairs
 * joined by '&', %XX escapes), unescaped into buf
 * ("" when there is none); the other headers are ignored. 0; EBADMSG for
 * a malformed pair or escape, a second Replaces, or a value that does
 * not parse; ENOSPC when it does not fit in sz bytes. */
int  replaces_uri_header(char *buf, size_t sz, const struct pl *hdrs);

/* Whether r names d, the focus's dialog with a participant (tags in the
 * order of its initial request), as RFC 3891 s. 3 matches: the Call-ID,
 * to-tag against our own tag, from-tag against the participant's. Ours
 * is From's when we sent the INVITE (dial_out), To's for a call in. A
 * dialog not yet recorded (no Call-ID: not confirmed) matches nothing. */
bool replaces_match(const struct replaces *r, const struct part_dialog *d,
		    bool dial_out);

#endif
