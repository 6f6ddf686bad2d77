/*
 * Fuzz target: SDP offer/answer (src/sip/sdpneg.c, its SRTP in sdpsec.c)
 * on any body: as the offer of a new call, as a re-offer in a call (after
 * a good first offer), and as the answer to our own offer, under the srtp
 * policy the body's length picks (optional, required, off), with video
 * and camera control on (their ports from a stand-in for the call).
 * Whatever it is, the result is an error or a negotiation whose answer
 * libre can decode again.
 */
#include <stdint.h>
#include <string.h>
#include <re.h>
#include "sip/sdpneg.h"

static const char good[] =
	"v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
	"t=0 0\r\nm=audio 4000 RTP/AVP 0 8 9 111 101\r\n"
	"a=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return libre_init();
}

static int port_h(bool fecc, uint16_t *port, void *arg)
{
	(void)arg;
	*port = fecc ? 30004 : 30002;
	return 0;
}

static struct mbuf *buf(const void *p, size_t n)
{
	struct mbuf *mb = mbuf_alloc(n + 1);

	if (mb) {
		(void)mbuf_write_mem(mb, p, n);
		mb->pos = 0;
	}
	return mb;
}

/* one negotiation on a fresh state; step 0: offer, 1: re-offer after a
 * good offer, 2: the answer to our offer */
static void once(const uint8_t *data, size_t size, int step)
{
	struct sdpneg *sn = NULL;
	struct sdpneg_result res;
	struct mbuf *in = buf(data, size), *out = NULL, *first = NULL;
	struct sa laddr;
	const char *reason = NULL;

	/* DTLS-SRTP with a made-up fingerprint; the policy by the length,
	 * so each body meets all three over the corpus */
	struct sdpsec_cfg sec = {.mode = (enum sdpsec_mode)(size % 3),
				 .have_dtls = true, .fingerprint = {1, 2, 3}};

	(void)sa_set_str(&laddr, "127.0.0.1", 0);
	if (!in || sdpneg_alloc(&sn, &laddr, 30000, &sec))
		goto out;
	sdpneg_set_video(sn, "sendrecv", true, port_h, NULL);
	if (step == 2)
		sdpneg_offer_video(sn);
	if (step == 1) {
		struct mbuf *g = buf(good, sizeof(good) - 1);

		if (g && !sdpneg_answer(sn, g, &first, &res, &reason))
			(void)sdpneg_reanswer(sn, in, &out, &res, &reason);
		mem_deref(g);
	}
	else if (step == 2) {
		if (!sdpneg_offer(sn, &first))
			(void)sdpneg_handle_answer(sn, in, &res, &reason,
						   size & 1);
	}
	else if (!sdpneg_answer(sn, in, &out, &res, &reason)) {
		struct sdp_session *check = NULL;

		/* what we answered must itself be SDP libre can read */
		if (!sdp_session_alloc(&check, &laddr)) {
			out->pos = 0;
			(void)sdp_decode(check, out, true);
		}
		mem_deref(check);
	}
out:
	mem_deref(out);
	mem_deref(first);
	mem_deref(in);
	mem_deref(sn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 16384)
		return 0;
	for (int step = 0; step < 3; step++)
		once(data, size, step);
	return 0;
}
