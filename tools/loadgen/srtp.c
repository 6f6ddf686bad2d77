/*
 * caucus-loadgen --srtp: SDES with AES_CM_128_HMAC_SHA1_80, as a phone
 * with "SRTP mandatory" does. The keys come from the SIP side (main.c,
 * before the media starts); the media thread seals what it sends and
 * opens what it gets, counting what does not authenticate.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include "loadgen.h"

/* our key went in the offer; theirs is in the answer's a=crypto (the
 * suite we offered, tag 1) */
int lg_srtp_keys(struct leg *l)
{
	const char *c = sdp_media_rattr(l->m, "crypto");
	struct pl key;
	uint8_t theirs[64];
	size_t n = sizeof(theirs);
	int err;

	if (!c || re_regex(c, strlen(c), "1 AES_CM_128_HMAC_SHA1_80 "
			   "inline:[^|]+", &key) ||
	    base64_decode(key.p, key.l, theirs, &n) || n != 30)
		return EPROTO;
	err = srtp_alloc(&l->srtp_tx, SRTP_AES_CM_128_HMAC_SHA1_80, l->key,
			 30, 0);
	err = err ? err : srtp_alloc(&l->srtp_rx,
				     SRTP_AES_CM_128_HMAC_SHA1_80, theirs, 30,
				     0);
	return err;
}

/* the header and payload of iov in buf, encrypted, as iov[0] */
bool lg_srtp_seal(struct leg *l, uint8_t *buf, size_t cap,
		  struct iovec *iov)
{
	struct mbuf mb;

	memcpy(buf, iov[0].iov_base, iov[0].iov_len);
	memcpy(buf + iov[0].iov_len, iov[1].iov_base, iov[1].iov_len);
	memset(&mb, 0, sizeof(mb));
	mb.buf = buf;
	mb.size = cap;
	mb.end = iov[0].iov_len + iov[1].iov_len;
	if (srtp_encrypt(l->srtp_tx, &mb))
		return false;
	iov[0].iov_base = buf;
	iov[0].iov_len = mb.end;
	return true;
}

/* decrypted in place; false (counted) when it does not authenticate */
bool lg_srtp_open(struct leg *l, uint8_t *buf, size_t *len, bool rtcp)
{
	struct mbuf mb;

	if (!l->srtp_rx)
		return true;
	memset(&mb, 0, sizeof(mb));
	mb.buf = buf;
	mb.size = *len;
	mb.end = *len;
	if (rtcp ? srtcp_decrypt(l->srtp_rx, &mb) :
	    srtp_decrypt(l->srtp_rx, &mb)) {
		res.unauth++;
		return false;
	}
	*len = mb.end;
	return true;
}

