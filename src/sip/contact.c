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
#include <errno.h>
#include "sip/sip_int.h"

int focus_contact_uri(char *buf, size_t sz, const struct focus *f,
		      const char *user, enum sip_transp tp, bool sips)
{
	int n;

	/* RFC 3261 s. 8.1.1.8: a sips request's Contact is sips; over TLS
	 * at the TLS port, else at the SIP port with its transport */
	if (sips)
		n = re_snprintf(buf, sz, "sips:%s@%J", user, &f->tls_laddr);
	else if (tp == SIP_TRANSP_TLS)
		n = re_snprintf(buf, sz, "sip:%s@%J;transport=tls", user,
				&f->tls_laddr);
	else
		n = re_snprintf(buf, sz, "sip:%s@%J%s", user, &f->sip_laddr,
				sip_transp_param(tp));
	return n < 0 || (size_t)n >= sz ? ENOSPC : 0;
}

int focus_contact(char **cuserp, const struct focus *f, const char *conf_id,
		  const char *policy_uri, enum sip_transp tp, bool sips)
{
	char uri[256];
	int err = focus_contact_uri(uri, sizeof(uri), f, conf_id, tp, sips);

	return err ? err : re_sdprintf(cuserp, "%s>;isfocus\r\n"
				       "Call-Info: <%s", uri, policy_uri);
}

/*
 * Requests in a call that came over TCP or TLS (BYE, re-INVITE, REFER
 * NOTIFYs) go back over the connection it came in on, not to a new one at
 * the port its Contact names: most phones over TLS (baresip among them)
 * take no connections, and a NAT lets none in. libre sends to its
 * dialog's remote target and finds a connection by the target's address,
 * so the target becomes the connection's far end (what Asterisk's
 * rewrite_contact and Kamailio's contact aliases do). libre has no setter
 * for the target; sip_dialog_update() takes it from a message's Contact,
 * so it gets a message with only that. libre puts the Contact back when
 * the peer refreshes the target (a re-INVITE): call again then.
 */
int focus_dialog_follow_conn(struct sip_dialog *dlg, const struct sip_msg *msg)
{
	const struct sip_hdr *ch = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	struct sip_addr addr;
	struct sip_msg *only;
	struct mbuf *mb;
	int err;

	if (!dlg || (msg->tp != SIP_TRANSP_TCP && msg->tp != SIP_TRANSP_TLS))
		return 0;
	if (!ch || sip_addr_decode(&addr, &ch->val))
		return EBADMSG;
	mb = mbuf_alloc(256);
	if (!mb)
		return ENOMEM;
	err = mbuf_printf(mb, "SIP/2.0 200 OK\r\nContact: <sip:%r%s%J;"
			  "transport=%s>\r\nContent-Length: 0\r\n\r\n",
			  &addr.uri.user, pl_isset(&addr.uri.user) ? "@" : "",
			  &msg->src, msg->tp == SIP_TRANSP_TLS ? "tls" : "tcp");
	mb->pos = 0;
	err = err ? err : sip_msg_decode(&only, mb);
	if (!err) {
		err = sip_dialog_update(dlg, only);
		mem_deref(only);
	}
	mem_deref(mb);
	return err;
}
