/*
 * The SIP methods the focus knows, in one table (as the API's routes and
 * the settings are): it drives the dispatch of requests that no call and
 * no subscription took (focus.c's catch-all), the Allow header of every
 * answer, the per-method counters of /metrics, and the table of methods
 * in docs/sip.md (tests/unit/test_sip_methods checks that they agree).
 * Also the option tags of Supported and Require. Signalling thread.
 */
#include <string.h>
#include <strings.h>
#include "sip/sip_int.h"

static void options_h(struct focus *f, struct conf *c,
		      const struct sip_msg *msg)
{
	(void)c;
	(void)sip_treplyf(NULL, NULL, f->sip, msg, false, 200, "OK",
			  "Allow: %s\r\n"
			  "Allow-Events: " FOCUS_EVENTS "\r\n"
			  "Accept: application/sdp\r\n"
			  "Accept-Language: en\r\n"
			  "Supported: %s\r\n"
			  "Content-Length: 0\r\n\r\n", f->allow, f->supported);
}

static void ack_h(struct focus *f, struct conf *c, const struct sip_msg *msg)
{
	/* a stray ACK (its call is gone): nothing to answer */
	(void)f;
	(void)c;
	(void)msg;
}

/* BYE, CANCEL and INFO that no call took name no call of ours (RFC 3261
 * s. 15.1.2 and 9.2; RFC 6086 for INFO). libre's session answers an INFO
 * of no dialog 481 itself, before this table is asked. */
static void no_call_h(struct focus *f, struct conf *c,
		      const struct sip_msg *msg)
{
	(void)c;
	focus_reply(f, msg, 481, "Call/Transaction Does Not Exist", NULL);
}

static void message_h(struct focus *f, struct conf *c,
		      const struct sip_msg *msg)
{
	struct gate_id id;

	if (!focus_gate(f, c, msg, &id))
		im_handle(f, c, msg);
}

static void refer_h(struct focus *f, struct conf *c, const struct sip_msg *msg)
{
	struct gate_id id;

	if (pl_isset(&msg->to.tag))      /* no call of ours has it */
		focus_reply(f, msg, 481, "Call/Transaction Does Not Exist",
			    NULL);
	else if (!focus_gate(f, c, msg, &id))
		refer_handle(f, c, NULL, NULL, msg);
}

/* What the focus does with each method. INVITE and SUBSCRIBE have no
 * outside handler: libre's session and event listeners take every one of
 * them before the catch-all. Not allowed: 405 with Allow; not listed:
 * 501. */
const struct focus_method focus_methods[] = {
	{"INVITE", true, NULL, false,
	 "to a conference URI: joins it; to the factory URI: makes a "
	 "conference; with Join: joins that dialog's conference; with "
	 "Replaces: takes that dialog's participant's place; in a call: "
	 "offer/answer (hold, media changes, session refresh)"},
	{"ACK", true, ack_h, false, "completes an INVITE; a stray one is "
	 "ignored"},
	{"BYE", true, no_call_h, false, "in a call: leaves the conference; "
	 "outside one: 481"},
	{"CANCEL", true, no_call_h, false, "stops a pending INVITE; outside "
	 "one: 481"},
	{"OPTIONS", true, options_h, false, "200 with Allow, Allow-Events, "
	 "Accept and Supported"},
	{"SUBSCRIBE", true, NULL, false, "Event: conference (RFC 4575): the "
	 "conference's state, then its changes; other events: 489"},
	{"NOTIFY", false, NULL, false, "405 (the focus sends NOTIFY, it "
	 "subscribes to nothing)"},
	{"REFER", true, refer_h, true, "to a conference URI or in a call "
	 "(RFC 4579): dial someone in (with Replaces in Refer-To: move "
	 "their call with the referrer into the conference), or with "
	 "method=BYE remove someone"},
	{"MESSAGE", true, message_h, true, "to a conference URI or in a "
	 "call: an instant message to everyone else (text, CPIM)"},
	{"INFO", true, no_call_h, false, "in a call: a keypad digit "
	 "(`application/dtmf-relay` or `application/dtmf`), as RFC 4733 "
	 "telephone-events are; outside one: 481"},
	{"UPDATE", false, NULL, false, "405"},
	{"PRACK", false, NULL, false, "405 (no reliable provisional "
	 "responses)"},
	{"PUBLISH", false, NULL, false, "405"},
	{"REGISTER", false, NULL, false, "405 (the focus is not a "
	 "registrar)"},
};

_Static_assert(sizeof(focus_methods) / sizeof(focus_methods[0]) ==
	       FOCUS_NMETHODS - 1, "FOCUS_NMETHODS is the table and 'other'");

/* Option tags we support (Supported, and what Require may name): Join
 * (RFC 3911), session timers (RFC 4028), Replaces (RFC 3891: an INVITE
 * taking a participant's dialog over, call_in.c and replaces.c) */
static const char *const option_tags[] = {"join", "timer", "replaces"};

int focus_method_index(const char *p, size_t len)
{
	for (int i = 0; i < FOCUS_NMETHODS - 1; i++) {
		size_t n = strlen(focus_methods[i].name);

		if (len == n && !memcmp(p, focus_methods[i].name, n))
			return i;
	}
	return FOCUS_NMETHODS - 1;
}

const char *focus_method_name(int i)
{
	return i >= 0 && i < FOCUS_NMETHODS - 1 ? focus_methods[i].name :
		"other";
}

/* ", "-separated into buf */
static void join_list(char *buf, size_t sz, const char *const *names,
		      size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len < sz; i++)
		len += (size_t)re_snprintf(buf + len, sz - len, "%s%s",
					   len ? ", " : "", names[i]);
}

void focus_methods_init(struct focus *f)
{
	const char *allow[FOCUS_NMETHODS];
	size_t n = 0;

	for (size_t i = 0; i < FOCUS_NMETHODS - 1; i++)
		if (focus_methods[i].allow)
			allow[n++] = focus_methods[i].name;
	join_list(f->allow, sizeof(f->allow), allow, n);
	join_list(f->supported, sizeof(f->supported), option_tags,
		  sizeof(option_tags) / sizeof(option_tags[0]));
	re_snprintf(f->answer_hdrs, sizeof(f->answer_hdrs),
		    "Allow: %s\r\nSupported: %s\r\n"
		    "Allow-Events: " FOCUS_EVENTS "\r\n"
		    "Accept: application/sdp\r\n", f->allow, f->supported);
}

static bool unsupported_h(const struct sip_hdr *hdr,
			  const struct sip_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	for (size_t i = 0; i < sizeof(option_tags) / sizeof(option_tags[0]);
	     i++)
		if (!pl_strcasecmp(&hdr->val, option_tags[i]))
			return false;
	return true;
}

const struct sip_hdr *focus_unsupported(const struct sip_msg *msg)
{
	return sip_msg_hdr_apply(msg, true, SIP_HDR_REQUIRE, unsupported_h,
				 NULL);
}
