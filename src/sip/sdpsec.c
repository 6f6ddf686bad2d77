/*
 * SRTP in the SDP of a call (sdpneg.h): which media security the offer
 * asks for, against the conference's `srtp` policy (optional, required,
 * off), and the attributes of our answer.
 *  - RTP/SAVP with a=crypto (SDES, RFC 4568), or RTP/AVP with a=crypto
 *    ("best effort" SRTP) unless SRTP is off: the first crypto line, in
 *    the offerer's order, with a suite we have (AES_CM_128_HMAC_SHA1_80,
 *    AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM of RFC 7714) and no MKI;
 *    we answer its tag and suite with a key of our own. Their key
 *    decrypts what they send, ours encrypts what we send.
 *  - UDP/TLS/RTP/SAVP (DTLS-SRTP, RFC 5763/5764): their fingerprint
 *    (sha-256) and setup role go in the result; we answer with our DTLS
 *    certificate's fingerprint and the other role (passive to actpass);
 *    the keys come from the handshake (dtls.c), checked against the
 *    fingerprint.
 *  - Our own offers (a dial-out, a call whose INVITE had no SDP) are SDES
 *    where SRTP is required, plain otherwise; a re-offer in a call keeps
 *    what was negotiated (libre re-encodes the same profile and lines).
 * Keys are never logged. Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "conf/policy.h"
#include "sip/sdpneg.h"
#include "sip/sip_int.h"

static const struct suite {
	const char *name;
	enum srtp_suite suite;
	size_t key_len;                 /* master key and salt, bytes */
} suites[] = {
	{"AES_CM_128_HMAC_SHA1_80", SRTP_AES_CM_128_HMAC_SHA1_80, 30},
	{"AES_CM_128_HMAC_SHA1_32", SRTP_AES_CM_128_HMAC_SHA1_32, 30},
	{"AEAD_AES_128_GCM", SRTP_AES_128_GCM, 28},
};
#define NSUITES (sizeof(suites) / sizeof(suites[0]))

const struct sdpsec_cfg *focus_sec_cfg(const struct focus *f,
				       const struct conf *c,
				       struct sdpsec_cfg *sec)
{
	static const enum sdpsec_mode modes[] = {
		[POLICY_SRTP_OPTIONAL] = SDPSEC_OPTIONAL,
		[POLICY_SRTP_REQUIRED] = SDPSEC_REQUIRED,
		[POLICY_SRTP_OFF] = SDPSEC_OFF,
	};

	memset(sec, 0, sizeof(*sec));
	sec->mode = modes[conf_policy(c)->srtp];
	sec->have_dtls = f->dtls_tls != NULL;
	memcpy(sec->fingerprint, f->dtls_fp, sizeof(sec->fingerprint));
	return sec;
}

static const struct suite *suite_find(const struct pl *name)
{
	for (size_t i = 0; i < NSUITES; i++)
		if (!pl_strcmp(name, suites[i].name))
			return &suites[i];
	return NULL;
}

enum sdpsec_kind sdpsec_kind_of(const char *proto)
{
	if (!proto)
		return SDPSEC_PLAIN;
	if (!strncmp(proto, "UDP/TLS/", 8))
		return SDPSEC_DTLS;
	if (!strncmp(proto, "RTP/SAVP", 8))
		return SDPSEC_SDES;
	return SDPSEC_PLAIN;
}

/* One a=crypto line: "tag suite inline:key[|lifetime][|mki:len] [params]"
 * into tag, suite and key; false for a line we cannot take */
struct crypto_pick {
	unsigned tag;
	const struct suite *s;
	uint8_t key[SDPSEC_KEY_MAX];
	bool found;
};

static bool crypto_h(const char *name, const char *value, void *arg)
{
	struct crypto_pick *cp = arg;
	struct pl tag, sname, key, rest, params = PL_INIT;
	uint8_t buf[64];
	size_t n = sizeof(buf);
	const struct suite *s;

	(void)name;
	if (re_regex(value, strlen(value), "[0-9]+[ \t]+[^ \t]+[ \t]+"
		     "inline:[^|; \t]+[^ \t]*[ \t]*[^]*", &tag, NULL, &sname,
		     NULL, &key, &rest, NULL, &params) || tag.l > 9)
		return false;
	s = suite_find(&sname);
	/* an MKI (|n:len) or several keys: not taken (RFC 4568 s. 6.1) */
	if (!s || pl_strchr(&rest, ':') || pl_strchr(&rest, ';') ||
	    pl_isset(&params) ||
	    base64_decode(key.p, key.l, buf, &n) || n != s->key_len)
		return false;
	cp->tag = pl_u32(&tag);
	cp->s = s;
	memcpy(cp->key, buf, n);
	cp->found = true;
	return true;
}

/* "sha-256 AB:CD:..." into md; EPROTO for another hash or a malformed
 * one */
static int fingerprint_parse(const char *fp, uint8_t *md)
{
	struct pl hash, hex;
	size_t n = 0;

	if (re_regex(fp, strlen(fp), "[^ ]+ [0-9A-Fa-f:]+", &hash, &hex) ||
	    pl_strcasecmp(&hash, "sha-256"))
		return EPROTO;
	for (size_t i = 0; i < hex.l; i += 3) {
		if (n >= SDPSEC_FP_LEN || i + 1 >= hex.l ||
		    hex.p[i] == ':' || hex.p[i + 1] == ':' ||
		    (i + 2 < hex.l && hex.p[i + 2] != ':'))
			return EPROTO;
		md[n++] = (uint8_t)(ch_hex(hex.p[i]) << 4 |
				    ch_hex(hex.p[i + 1]));
	}
	return n == SDPSEC_FP_LEN ? 0 : EPROTO;
}

static bool sha256_attr(const char *name, const char *value, void *arg)
{
	(void)name;
	return value && !fingerprint_parse(value, arg);
}

/* The peer's sha-256 fingerprint, whichever of its a=fingerprint lines
 * gives it (RFC 8122 allows several, of several hashes): media level, else
 * session level */
static int fingerprint_get(const struct sdp_session *sess,
			   const struct sdp_media *m, uint8_t *md)
{
	if (sdp_media_rattr(m, "fingerprint"))
		return sdp_media_rattr_apply(m, "fingerprint", sha256_attr,
					     md) ? 0 : EPROTO;
	return sdp_session_rattr_apply(sess, "fingerprint", sha256_attr,
				       md) ? 0 : EPROTO;
}

static int dtls_attrs(struct sdp_media *m, const struct sdpsec_cfg *cfg,
		      bool active)
{
	int err;

	sdp_media_del_lattr(m, "setup");
	sdp_media_del_lattr(m, "fingerprint");
	sdp_media_del_lattr(m, "crypto");
	err = sdp_media_set_lattr(m, true, "setup", active ? "active" :
				  "passive");
	err = err ? err : sdp_media_set_lattr(m, true, "fingerprint",
					      "sha-256 %H", sdpsec_fp_print,
					      (void *)cfg->fingerprint);
	return err;
}

int sdpsec_fp_print(struct re_printf *pf, void *arg)
{
	const uint8_t *md = arg;
	int err = 0;

	for (size_t i = 0; i < SDPSEC_FP_LEN; i++)
		err |= re_hprintf(pf, "%s%02X", i ? ":" : "", md[i]);
	return err;
}

/* a=crypto: TAG SUITE inline:KEY */
static int crypto_attr(struct sdp_media *m, unsigned tag,
		       const struct suite *s, const uint8_t *key)
{
	char b64[64];
	size_t n = sizeof(b64) - 1;
	int err = base64_encode(key, s->key_len, b64, &n);

	if (err)
		return err;
	b64[n] = '\0';
	return sdp_media_set_lattr(m, false, "crypto", "%u %s inline:%s",
				   tag, s->name, b64);
}

/* Our key for suite s (made once a call, kept across re-offers) */
static uint8_t *own_key(struct sdpsec_state *st, const struct suite *s);

/* SDES agreed on cp: both keys in res, the agreement kept, and from now
 * on our SDP says only our line for it (an answer, our re-offers) */
static int sdes_agree(struct sdpsec_state *st, struct sdp_media *m,
		      const struct crypto_pick *cp, struct sdpneg_result *res)
{
	res->sec = SDPSEC_SDES;
	res->suite = cp->s->suite;
	res->key_len = cp->s->key_len;
	memcpy(res->rx_key, cp->key, cp->s->key_len);
	memcpy(res->tx_key, own_key(st, cp->s), cp->s->key_len);
	st->negotiated = true;
	st->kind = SDPSEC_SDES;
	st->tag = cp->tag;
	st->suite = (int)(cp->s - suites);
	sdp_media_del_lattr(m, "crypto");
	return crypto_attr(m, cp->tag, cp->s, res->tx_key);
}


static uint8_t *own_key(struct sdpsec_state *st, const struct suite *s)
{
	size_t i = (size_t)(s - suites);

	if (!st->own_made[i]) {
		rand_bytes(st->own[i], s->key_len);
		st->own_made[i] = true;
	}
	return st->own[i];
}

int sdpsec_answer(struct sdpsec_state *st, const struct sdp_session *sess,
		  struct sdp_media *m, const struct sdpsec_cfg *cfg,
		  struct sdpneg_result *res, const char **reason)
{
	enum sdpsec_kind k = sdpsec_kind_of(sdp_media_proto(m));
	struct crypto_pick cp = {0};

	/* RTP/AVP with a=crypto: "best effort" SRTP (baresip's srtp, many
	 * phones' "SRTP optional"): taken as SDES when SRTP is allowed */
	if (k == SDPSEC_PLAIN && cfg->mode != SDPSEC_OFF) {
		(void)sdp_media_rattr_apply(m, "crypto", crypto_h, &cp);
		if (cp.found)
			k = SDPSEC_SDES;
	}
	res->sec = k;
	if (k == SDPSEC_PLAIN && cfg->mode == SDPSEC_REQUIRED) {
		*reason = "Not Acceptable Here (this conference requires SRTP)";
		return ENOTSUP;
	}
	if (k != SDPSEC_PLAIN && cfg->mode == SDPSEC_OFF) {
		*reason = "Not Acceptable Here (SRTP is off in this "
			"conference)";
		return ENOTSUP;
	}
	if (k == SDPSEC_PLAIN) {
		sdp_media_del_lattr(m, "crypto");
		st->negotiated = true;
		st->kind = k;
		return 0;
	}
	if (k == SDPSEC_DTLS) {
		const char *setup = sdp_media_session_rattr(m, sess, "setup");

		if (!cfg->have_dtls) {
			*reason = "Not Acceptable Here (no DTLS-SRTP here)";
			return ENOTSUP;
		}
		if (fingerprint_get(sess, m, res->peer_fp)) {
			*reason = "Not Acceptable Here (DTLS-SRTP without a "
				"sha-256 fingerprint)";
			return ENOTSUP;
		}
		/* the peer actpass or active: we wait for its ClientHello */
		res->dtls_active = setup && !strcmp(setup, "passive");
		st->negotiated = true;
		st->kind = k;
		return dtls_attrs(m, cfg, res->dtls_active);
	}
	if (!cp.found)
		(void)sdp_media_rattr_apply(m, "crypto", crypto_h, &cp);
	if (!cp.found) {
		*reason = "Not Acceptable Here (no a=crypto with a suite we "
			"have: AES_CM_128_HMAC_SHA1_80 or _32, "
			"AEAD_AES_128_GCM, without MKI)";
		return ENOTSUP;
	}
	return sdes_agree(st, m, &cp, res);
}

int sdpsec_offer(struct sdpsec_state *st, struct sdp_media *m,
		 const struct sdpsec_cfg *cfg)
{
	int err = 0;

	/* a call that has negotiated keeps its profile and lines; one that
	 * need not encrypt offers plain RTP (sdpneg_alloc chose the
	 * profile by the mode) */
	if (st->negotiated || cfg->mode != SDPSEC_REQUIRED)
		return 0;
	/* SDES, every suite, in our order */
	sdp_media_del_lattr(m, "crypto");
	for (size_t i = 0; !err && i < NSUITES; i++)
		err = crypto_attr(m, (unsigned)(i + 1), &suites[i],
				  own_key(st, &suites[i]));
	return err;
}

int sdpsec_take_answer(struct sdpsec_state *st,
		       const struct sdp_session *sess, struct sdp_media *m,
		       const struct sdpsec_cfg *cfg,
		       struct sdpneg_result *res, const char **reason)
{
	enum sdpsec_kind k = sdpsec_kind_of(sdp_media_proto(m));
	struct crypto_pick cp = {0};

	/* best effort SDES (RTP/AVP) re-offered: its answer too */
	if (k == SDPSEC_PLAIN && st->kind == SDPSEC_SDES) {
		(void)sdp_media_rattr_apply(m, "crypto", crypto_h, &cp);
		if (cp.found)
			k = SDPSEC_SDES;
	}
	res->sec = k;
	if (k == SDPSEC_PLAIN) {
		if (cfg->mode == SDPSEC_REQUIRED) {
			*reason = "answer without SRTP where it is required";
			return ENOTSUP;
		}
		st->kind = k;
		return 0;
	}
	if (k == SDPSEC_DTLS) {
		const char *setup = sdp_media_session_rattr(m, sess, "setup");

		/* we offer DTLS-SRTP only again in a call that has it */
		if (st->kind != SDPSEC_DTLS) {
			*reason = "a DTLS-SRTP answer to an offer without it";
			return ENOTSUP;
		}
		if (fingerprint_get(sess, m, res->peer_fp)) {
			*reason = "a DTLS-SRTP answer without a sha-256 "
				"fingerprint";
			return ENOTSUP;
		}
		res->dtls_active = setup && !strcmp(setup, "passive");
		return 0;
	}
	if (!cp.found)
		(void)sdp_media_rattr_apply(m, "crypto", crypto_h, &cp);
	/* a first offer of ours has every suite under tags 1 to 3; a
	 * re-offer the one agreed, under its tag */
	if (!cp.found ||
	    (st->kind == SDPSEC_SDES ? cp.tag != st->tag ||
	     cp.s != &suites[st->suite] :
	     cp.tag < 1 || cp.tag > NSUITES || &suites[cp.tag - 1] != cp.s)) {
		*reason = "an answer whose a=crypto is none of those offered";
		return ENOTSUP;
	}
	return sdes_agree(st, m, &cp, res);
}
