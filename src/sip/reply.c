/*
 * Leaves of the sip module that every file of it may call: a reply to a
 * request (counted as a rejection when it is one, and as an offence of
 * its sender when it tells a scanner something; a refusal is logged at
 * debug level), and the AoR of a URI as the roster and the policy name
 * people. They call nothing else of the module. Signalling thread.
 */
#include "sip/sip_int.h"
#include "util/log.h"
#include "util/srclimit.h"

void focus_reply(struct focus *f, const struct sip_msg *msg, uint16_t scode,
		 const char *reason, const char *hdrs)
{
	struct sa srcbuf;

	if (scode >= 400) {
		f->stats.rejected++;
		/* why a caller got nowhere, for whoever debugs it (quiet by
		 * default: a flood's refusals would fill the log) */
		log_dbg("sip", "msg=\"refused\" method=%r code=%u "
			"reason=\"%s\" src=%J", &msg->met, scode, reason,
			&msg->src);
	}
	/* what tells a scanner something: no such conference, refused
	 * credentials (a first 401 is every caller's challenge) */
	if (scode == 404 || scode == 403)
		srclimit_offence(f->limit, srclimit_sip_src(f->limit, msg,
							    &srcbuf), reason);
	(void)sip_treplyf(NULL, NULL, f->sip, msg, false, scode, reason,
			  "%sContent-Length: 0\r\n\r\n", hdrs ? hdrs : "");
}

int focus_aor_print(char **aorp, const struct uri *u)
{
	bool v6 = u->af == AF_INET6;
	char port[8] = "";

	if (u->port)
		re_snprintf(port, sizeof(port), ":%u", u->port);
	return re_sdprintf(aorp, "%r:%r%s%s%r%s%s", &u->scheme, &u->user,
			   pl_isset(&u->user) ? "@" : "", v6 ? "[" : "",
			   &u->host, v6 ? "]" : "", port);
}
