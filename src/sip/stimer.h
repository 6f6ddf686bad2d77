/* RFC 4028 session timers: what an incoming INVITE asks for and what the
 * focus answers. Pure functions (no SIP stack state). */
#ifndef CAUCUS_STIMER_H
#define CAUCUS_STIMER_H

#include <stdbool.h>
#include <stdint.h>
#include <re.h>

struct stimer_cfg {
	uint32_t expires;        /* what we offer when asked (0: no timers) */
	uint32_t min_se;         /* the shortest interval we accept */
};

struct stimer_neg {
	uint32_t interval;       /* 0: no session timer for this call */
	bool refresher_uas;      /* true: the focus refreshes */
	bool require;            /* the 2xx carries Require: timer */
};

/* From the INVITE's Session-Expires, Min-SE, Supported and Require.
 * 0 and *neg; EBADMSG for a malformed header (400); ERANGE when
 * Session-Expires is below our Min-SE (422 with Min-SE: cfg->min_se). */
int stimer_negotiate(const struct sip_msg *msg, const struct stimer_cfg *cfg,
		     struct stimer_neg *neg);
/* The headers for the 2xx ("" when no timer) */
int stimer_print(char *buf, size_t sz, const struct stimer_neg *neg);
/* When the side that does not refresh gives up on a missing refresh
 * (RFC 4028 s. 10: expiry minus the lesser of 32 s and a third), ms */
uint64_t stimer_deadline_ms(uint32_t interval);

#endif
