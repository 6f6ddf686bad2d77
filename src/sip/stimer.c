/* RFC 4028 session timer negotiation for the focus as UAS. */
#include <errno.h>
#include <string.h>
#include "sip/stimer.h"

static bool has_option(const struct sip_msg *msg, enum sip_hdrid id,
		       const char *opt)
{
	return sip_msg_hdr_has_value(msg, id, opt);
}

static bool digits(const struct pl *pl)
{
	if (!pl->l || pl->l > 9)
		return false;
	for (size_t i = 0; i < pl->l; i++)
		if (pl->p[i] < '0' || pl->p[i] > '9')
			return false;
	return true;
}

/* "delta-seconds *(;param)": the number and the parameters */
static int delta_decode(const struct pl *val, uint32_t *secs,
			struct pl *params)
{
	struct pl num = *val;
	const char *semi = memchr(val->p, ';', val->l);

	*params = (struct pl)PL_INIT;
	if (semi) {
		num.l = (size_t)(semi - val->p);
		params->p = semi;
		params->l = val->l - num.l;
	}
	while (num.l && (num.p[num.l - 1] == ' ' || num.p[num.l - 1] == '\t'))
		num.l--;
	if (!digits(&num))
		return EBADMSG;
	*secs = pl_u32(&num);
	return *secs ? 0 : EBADMSG;
}

int stimer_negotiate(const struct sip_msg *msg, const struct stimer_cfg *cfg,
		     struct stimer_neg *neg)
{
	const struct sip_hdr *se = sip_msg_hdr(msg, SIP_HDR_SESSION_EXPIRES);
	const struct sip_hdr *mse = sip_msg_hdr(msg, SIP_HDR_MIN_SE);
	bool uac_supports = has_option(msg, SIP_HDR_SUPPORTED, "timer") ||
		has_option(msg, SIP_HDR_REQUIRE, "timer");
	uint32_t want = 0, min_se = 0;
	struct pl params, refr = PL_INIT, mparams;
	int err;

	memset(neg, 0, sizeof(*neg));
	if (mse) {
		if (sip_msg_hdr_count(msg, SIP_HDR_MIN_SE) != 1 ||
		    delta_decode(&mse->val, &min_se, &mparams))
			return EBADMSG;
	}
	if (se) {
		if (sip_msg_hdr_count(msg, SIP_HDR_SESSION_EXPIRES) != 1)
			return EBADMSG;
		err = delta_decode(&se->val, &want, &params);
		if (err)
			return err;
		if (!msg_param_decode(&params, "refresher", &refr) &&
		    pl_strcasecmp(&refr, "uac") && pl_strcasecmp(&refr, "uas"))
			return EBADMSG;
		if (want < cfg->min_se)
			return ERANGE;
	}
	else {
		/* not asked: we may still use one when the UAC can */
		if (!uac_supports || !cfg->expires)
			return 0;
		want = cfg->expires;
		refr = (struct pl)PL_INIT;
	}
	if (!cfg->expires)
		return 0;              /* we run no timers: answer without */
	/* shorten to ours, never below either side's minimum */
	neg->interval = want;
	if (neg->interval > cfg->expires)
		neg->interval = cfg->expires;
	if (neg->interval < cfg->min_se)
		neg->interval = cfg->min_se;
	if (neg->interval < min_se)
		neg->interval = min_se;
	if (pl_isset(&refr))
		neg->refresher_uas = !pl_strcasecmp(&refr, "uas");
	else
		neg->refresher_uas = true;   /* we keep the session alive */
	/* a UAC that does not support timers cannot refresh */
	if (!uac_supports)
		neg->refresher_uas = true;
	neg->require = uac_supports;
	return 0;
}

int stimer_print(char *buf, size_t sz, const struct stimer_neg *neg)
{
	if (!neg->interval) {
		if (sz)
			buf[0] = '\0';
		return 0;
	}
	return re_snprintf(buf, sz, "Session-Expires: %u;refresher=%s\r\n%s",
			   neg->interval, neg->refresher_uas ? "uas" : "uac",
			   neg->require ? "Require: timer\r\n" : "") < 0 ?
		ENOMEM : 0;
}

uint64_t stimer_deadline_ms(uint32_t interval)
{
	uint32_t margin = interval / 3 < 32 ? interval / 3 : 32;

	return (uint64_t)(interval - margin) * 1000;
}
