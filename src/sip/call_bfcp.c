/*
 * BFCP in a call's SDP (RFC 8856; the negotiation is sdpbfcp.c's): what
 * the call tells its SDP (the focus's BFCP port, the conference id, the
 * participant's user id) and what it reports of the stream. The ids are
 * the ones the floor control server knows the participant by:
 * conf_room() of its conference, part_id() of the participant.
 * Signalling thread.
 */
#include <string.h>
#include "sip/call_int.h"

void call_bfcp_update(struct call *call, const struct conf *c)
{
	/* the dial-in lobby's callers move on to another conference (and
	 * become another participant there): no floors in the lobby */
	uint16_t port = conf_lobby_only(c) ? 0 : call->f->bfcp_port;
	const struct sa *sip = &call->f->sip_laddr;
	/* the server listens at the SIP address, the SDP's session address
	 * is the RTP one */
	bool own = !sa_is_any(sip) && !sa_cmp(sip, &call->f->rtp_laddr,
					      SA_ADDR);

	sdpneg_set_bfcp(call->sdp, own ? sip : NULL, port, conf_room(c),
			call->part ? part_id(call->part) : NULL);
}

bool focus_part_bfcp(const struct participant *p, char *transport,
		     size_t sz)
{
	const struct call *call = part_ep(p);
	bool on = call && call->part == p && call->negotiated &&
		call->neg.bfcp;

	if (transport && sz)
		re_snprintf(transport, sz, "%s", !on ? "" :
			    call->neg.bfcp_udp ? "UDP" : "TCP");
	return on;
}
