/*
 * SIP INFO inside a participant's call (RFC 6086 and the older usage
 * before it): keypad digits, as many phones and gateways send them
 * instead of RFC 4733 telephone-events. libre's session takes every INFO
 * and hands those of a dialog of ours here (call.c passes this handler
 * to sipsess_accept and sipsess_connect); an INFO of no dialog gets
 * libre's own 481. The digit goes the same way as an RFC 4733 one
 * (call_watch.c): part_dtmf(), to the conference's keypad handler.
 * Signalling thread.
 */
#include <errno.h>
#include "sip/call_int.h"
#include "util/log.h"

/* What a refused content type is told to send instead */
#define DTMF_ACCEPT "Accept: application/dtmf-relay, application/dtmf\r\n"

/* A digit for the keypad, within the call's limit. One over it is
 * dropped and the INFO still answered 200: the request was good, and a
 * peer told 503 would send the digit again later, when it means
 * nothing any more. Nobody presses 20 keys a second; a peer that sends
 * that many is broken or hostile, and hearing about it once per call is
 * enough (the total is logged when the call ends, call.c). */
static void digit_deliver(struct call *call, char digit)
{
	struct participant *p = call->part;

	if (!dtmfinfo_rate_take(&call->dtmf_rate, tmr_jiffies())) {
		if (!call->dtmf_dropped++)
			log_dbg("sip", "msg=\"dtmf over the limit, dropped\" "
				"conf=%s pid=%s limit=%u/s",
				conf_id(part_conf(p)), part_id(p),
				DTMFINFO_RATE);
		return;
	}
	log_dbg("sip", "msg=\"dtmf\" conf=%s pid=%s digit=%c how=info",
		conf_id(part_conf(p)), part_id(p), digit);
	part_dtmf(p, digit);
}

void call_info_h(struct sip *sip, const struct sip_msg *msg, void *arg)
{
	struct call *call = arg;
	size_t len = mbuf_get_left(msg->mb);
	char ctype[128], digit = 0;
	int err;

	(void)sip;
	if (!call->part) {
		focus_reply(call->f, msg, 481, "Call/Transaction Does Not "
			    "Exist", NULL);
		return;
	}
	/* no body: a UA probing whether the dialog is still there (a
	 * keep-alive, as RFC 6086 allows); it is */
	if (!len) {
		focus_reply(call->f, msg, 200, "OK", NULL);
		return;
	}
	re_snprintf(ctype, sizeof(ctype), "%r/%r", &msg->ctyp.type,
		    &msg->ctyp.subtype);
	/* RFC 5168: a video phone asks for a keyframe */
	if (call_video_info(call, ctype, mbuf_buf(msg->mb), len)) {
		focus_reply(call->f, msg, 200, "OK", NULL);
		return;
	}
	err = dtmfinfo_parse(ctype, mbuf_buf(msg->mb), len, &digit);
	switch (err) {
	case 0:
		digit_deliver(call, digit);
		focus_reply(call->f, msg, 200, "OK", NULL);
		break;
	case ENOTSUP:
		/* e.g. a picture fast update (application/media_control+xml)
		 * in a call without video */
		focus_reply(call->f, msg, 415, "Unsupported Media Type (INFO "
			    "carries DTMF, and picture fast updates in a call "
			    "with video)", DTMF_ACCEPT);
		break;
	default:
		focus_reply(call->f, msg, 400, "Bad DTMF Body (one Signal of "
			    "0-9, *, #, A-D)", NULL);
		break;
	}
}
