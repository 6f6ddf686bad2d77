/*
 * Admission of new work by the load of the thread that does it, in the
 * manner of Kamailio's ratelimit (its FEEDBACK algorithm) and RFC 7339's
 * rate-based overload control: a token bucket whose rate is the lower of
 * a configured ceiling and an automatic rate that a feedback loop sets
 * from the thread's measured delay (how late its timers fire, how long a
 * datagram waits in its socket). Pure logic, no I/O, clock passed in:
 * the SIP glue is sip/overload.c. One thread.
 */
#ifndef CAUCUS_ADMIT_H
#define CAUCUS_ADMIT_H

#include <stdbool.h>
#include <stdint.h>

#define ADMIT_LAG_SAMPLES 1024     /* the window of admit_lag_p99 */

enum admit_state {
	ADMIT_OPEN,          /* nothing limits: every new call goes on */
	ADMIT_LIMITING,      /* a rate is in force (ceiling or automatic) */
	ADMIT_SHEDDING,      /* far behind: every new call is refused */
};

struct admit_cfg {
	double max_rate;           /* calls a second (0: automatic only) */
	unsigned high_ms;          /* delay past which the rate comes down */
	unsigned low_ms;           /* under which it may go up again */
	unsigned shed_ms;          /* past which nothing new is admitted */
	double min_rate;           /* the automatic rate never goes below
				    * it, nor is cut while fewer than so
				    * many calls a second come in */
};

struct admit {
	struct admit_cfg cfg;
	double tokens;
	uint64_t refill_ms;
	double auto_rate;          /* 0: none in force */
	uint64_t period_ms;        /* the start of the control period */
	unsigned period_admitted;  /* admitted in it */
	unsigned period_refused;
	double admitted_rate;      /* of the last period */
	uint64_t hold_until_ms;    /* no cut of the rate before */
	unsigned delay_ms;         /* the last delay measured */
	bool shedding;
	uint64_t admitted, refused;
	unsigned lag_ms[ADMIT_LAG_SAMPLES];   /* a ring of lag samples */
	unsigned lag_n, lag_next;
};

/* The control period: the automatic rate is adjusted at most so often */
#define ADMIT_PERIOD_MS 200
/* and cut at most so often */
#define ADMIT_HOLD_MS 1000

void admit_init(struct admit *a, const struct admit_cfg *cfg, uint64_t now);
/* A new call at now: true to take it, false to refuse it (503) */
bool admit_call(struct admit *a, uint64_t now);
/* The thread's delay measured at now (the larger of loop lag and socket
 * wait); adjusts the automatic rate once a period */
void admit_delay(struct admit *a, unsigned delay_ms, uint64_t now);
/* A loop lag sample, for admit_lag_p99 only */
void admit_lag_sample(struct admit *a, unsigned lag_ms);
unsigned admit_lag_p99(const struct admit *a);
enum admit_state admit_state(const struct admit *a);
const char *admit_state_name(enum admit_state s);
/* The rate in force, calls a second (0: none) */
double admit_rate(const struct admit *a);

/* A share of a thread's time for other work while new calls are limited
 * (the API's, api.c): tokens are microseconds, refilled at share of the
 * clock up to burst_us; each piece of work admitted pays what it took,
 * down to a debt of at most debt_us. Work whose cost lately (a moving
 * mean per kind, admit_cost_learn) is more than there is waits: work
 * known to be long never stalls the thread while calls wait. */
struct admit_share {
	double share, burst_us, debt_us;
	double tokens;
	uint64_t refill_us;
};

void admit_share_init(struct admit_share *s, double share, double burst_us,
		      double debt_us, uint64_t now_us);
/* Work expected to cost cost_us, at now_us: true to do it (then pay) */
bool admit_share_take(struct admit_share *s, double cost_us,
		      uint64_t now_us);
void admit_share_pay(struct admit_share *s, uint64_t us);
/* A kind of work took us: its moving mean *cost_us follows */
void admit_cost_learn(double *cost_us, uint64_t us);

#endif
