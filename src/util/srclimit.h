/*
 * Per-source limits, in the manner of Kamailio's pike: a token bucket per
 * IP address for requests, and a block for a source that earns too many
 * refusals that would tell a scanner something (404, 403; 401 after
 * credentials). Used by the focus for SIP and by the API for HTTP; each
 * has its own table. Signalling thread only.
 */
#ifndef CAUCUS_SRCLIMIT_H
#define CAUCUS_SRCLIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <re.h>

struct srclimit;

struct srclimit_cfg {
	const char *what;          /* "sip", "api": in the log line */
	unsigned rate_per_s;       /* requests a second, sustained (0: no
				    * limit) */
	unsigned burst;            /* and at once */
	unsigned offences;         /* refusals within window_s that block
				    * (0: never block) */
	unsigned window_s;
	unsigned block_s;          /* for how long */
	const char *exempt;        /* "10.0.0.0/8,127.0.0.1/32", or NULL */
	const char *proxies;       /* proxies in front (Kamailio), the same
				    * way, or NULL: exempt, and a request
				    * from one counts against the caller
				    * its Via recorded (srclimit_sip_src) */
	unsigned held_max[2];      /* at most so many held at once, by
				    * kind (srclimit_take; 0: no limit) */
	uint64_t (*clock_ms)(void);  /* for tests; NULL: tmr_jiffies */
};

/* What a source holds at once (srclimit_take, srclimit_give) */
enum srclimit_kind { SRCLIMIT_CALLS, SRCLIMIT_SUBS };

enum srclimit_verdict {
	SRCLIMIT_OK,               /* go on */
	SRCLIMIT_OVER,             /* over its rate: refuse (503, 429) */
	SRCLIMIT_QUIET,            /* over its rate again and again, or
				    * blocked: drop without an answer */
};

struct srclimit_stats {
	uint64_t refused, dropped, blocks;
	uint64_t held_refused[2];     /* takes refused, by kind */
	uint64_t conns_refused;       /* connections (srclimit_conn_refused) */
	uint64_t sweeps;              /* walks of a full table for room */
	unsigned sources, blocked;
};

/* EINVAL when exempt is not a list of address/bits */
int  srclimit_alloc(struct srclimit **slp, const struct srclimit_cfg *cfg);
bool srclimit_exempt_valid(const char *exempt);
/* src is on the exempt list (sl NULL: no) */
bool srclimit_exempt(const struct srclimit *sl, const struct sa *a);
/* A request from src now */
enum srclimit_verdict srclimit_check(struct srclimit *sl,
				     const struct sa *src);
/* Blocked now (for what is dropped before it is a request) */
bool srclimit_blocked(struct srclimit *sl, const struct sa *src);
/* src earned a refusal that tells a scanner something; may block it
 * (logged once, with its address, for fail2ban) */
void srclimit_offence(struct srclimit *sl, const struct sa *src,
		      const char *why);
/* One more of kind held by src: false (nothing taken) when it holds its
 * maximum; srclimit_give when it ends */
bool srclimit_take(struct srclimit *sl, const struct sa *src,
		   enum srclimit_kind kind);
void srclimit_give(struct srclimit *sl, const struct sa *src,
		   enum srclimit_kind kind);
void srclimit_stats(const struct srclimit *sl, struct srclimit_stats *st);
/* Who sent a SIP request: msg->src, or, when that is a proxy of the
 * list, the address the proxy recorded in the Via below its own (its
 * received and rport parameters, else its sent-by), written to *buf.
 * Answers still go to msg->src (libre's). */
struct sip_msg;
const struct sa *srclimit_sip_src(const struct srclimit *sl,
				  const struct sip_msg *msg, struct sa *buf);
bool srclimit_proxies_valid(const char *proxies);
/* A connection from too busy an address was refused (counted here for
 * /metrics; main/accept_guard.c refuses them) */
void srclimit_conn_refused(struct srclimit *sl);

#endif
