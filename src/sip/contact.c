/*
 * The focus's Contact header, with the `isfocus` feature parameter that
 * tells conference-aware clients they reached a focus (RFC 4579 s. 3).
 * Signalling thread.
 *
 * Why this is odd: libre 1.1.0 has no way to add Contact header parameters.
 * It prints the Contact of sessions as "Contact: <%s>\r\n" around the cuser
 * string when cuser contains a ':'. So the cuser we hand it closes the
 * angle bracket itself, adds ";isfocus", ends the header line, and opens a
 * second header whose value libre's closing '>' completes:
 *
 *   Contact: <sip:demo@127.0.0.1:5060>;isfocus
 *   Call-Info: <http://127.0.0.1:8080/v1/conferences/demo>
 *
 * Call-Info pointing at the conference's policy URI is a harmless, even
 * useful, header. If libre ever escapes cuser (newer releases do), the
 * integration test that checks ";isfocus" fails and this is the one place
 * to change. Keep every other part of the code away from this trick.
 */
#include "sip/sip_int.h"

int focus_contact(char **cuserp, const struct focus *f, const char *conf_id,
		  const char *policy_uri, enum sip_transp tp)
{
	return re_sdprintf(cuserp, "sip:%s@%J%s>;isfocus\r\n"
			   "Call-Info: <%s", conf_id, &f->sip_laddr,
			   sip_transp_param(tp), policy_uri);
}
