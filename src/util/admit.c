/*
 * Admission by load (admit.h). The rate in force is the lower of the
 * ceiling (max_rate) and the automatic rate; a token bucket holding a
 * tenth of a second of it spaces the calls.
 *
 * The automatic rate is a feedback loop on the thread's delay: past
 * high_ms it comes down at once to 70 % of what was being admitted
 * (multiplicative decrease: the thread was behind at that rate), at
 * most once every ADMIT_HOLD_MS; under low_ms it goes up at the end of
 * each period (ADMIT_PERIOD_MS) by 5 % while calls are refused (probe
 * for capacity, gently: the calls taken cost most when they end, a hold
 * time later), and by half while none are, until it is so high it
 * limits nothing and goes (open). Between the two it holds: the
 * hysteresis keeps it from flapping. Past shed_ms nothing new is admitted at all until the delay
 * is under high_ms again: the thread's time goes to the calls it took
 * (their ACK and BYE), which is the point.
 */
#include <string.h>
#include "util/admit.h"

#define OPEN_RATE 100000.0   /* an automatic rate this high limits
			      * nothing: it goes */

void admit_init(struct admit *a, const struct admit_cfg *cfg, uint64_t now)
{
	memset(a, 0, sizeof(*a));
	a->cfg = *cfg;
	if (a->cfg.min_rate < 1.0)
		a->cfg.min_rate = 1.0;
	a->refill_ms = now;
	a->period_ms = now;
}

double admit_rate(const struct admit *a)
{
	double r = a->cfg.max_rate;

	if (a->auto_rate > 0 && (r <= 0 || a->auto_rate < r))
		r = a->auto_rate;
	return r > 0 ? r : 0;
}

enum admit_state admit_state(const struct admit *a)
{
	if (a->shedding)
		return ADMIT_SHEDDING;
	return admit_rate(a) > 0 ? ADMIT_LIMITING : ADMIT_OPEN;
}

const char *admit_state_name(enum admit_state s)
{
	switch (s) {
	case ADMIT_OPEN:     return "open";
	case ADMIT_LIMITING: return "limiting";
	case ADMIT_SHEDDING: return "shedding";
	}
	return "?";
}

static bool refuse(struct admit *a)
{
	a->refused++;
	a->period_refused++;
	return false;
}

bool admit_call(struct admit *a, uint64_t now)
{
	double rate = admit_rate(a), burst, t;

	if (a->shedding)
		return refuse(a);
	if (rate > 0) {
		/* a tenth of a second's worth at once, at least 5 */
		burst = rate / 10 > 5 ? rate / 10 : 5;
		t = a->tokens + (double)(now - a->refill_ms) * rate / 1000.0;
		a->tokens = t > burst ? burst : t;
		a->refill_ms = now;
		if (a->tokens < 1.0)
			return refuse(a);
		a->tokens -= 1.0;
	}
	else {
		a->refill_ms = now;
		a->tokens = 2;      /* the bucket starts small when a limit
				     * comes into force */
	}
	a->admitted++;
	a->period_admitted++;
	return true;
}

/* What was admitted a second lately: the period so far once it is long
 * enough to say, else the last whole period */
static double admitted_rate(const struct admit *a, uint64_t now)
{
	uint64_t dt = now - a->period_ms;

	if (dt >= ADMIT_PERIOD_MS / 4)
		return (double)a->period_admitted * 1000.0 / (double)dt;
	return a->admitted_rate;
}

/* Behind: down to 70 % of what was admitted, at once (a period of
 * waiting lets the queue grow), then not again for ADMIT_HOLD_MS: the
 * queue that made the delay takes a while to drain, and cutting on
 * every sample of it would cut the rate to nothing (TCP cuts once a
 * round trip for the same reason) */
static void cut(struct admit *a, uint64_t now)
{
	double adm = admitted_rate(a, now);
	double base = a->auto_rate > 0 && a->auto_rate < adm ? a->auto_rate :
		adm;

	a->auto_rate = 0.7 * base;
	if (a->auto_rate < a->cfg.min_rate)
		a->auto_rate = a->cfg.min_rate;
	a->hold_until_ms = now + ADMIT_HOLD_MS;
}

/* Keeping up, at the end of a period: up by 5 % (at least 5 calls a
 * second) while calls are refused, by half while none are */
static void end_period(struct admit *a, uint64_t now)
{
	uint64_t dt = now - a->period_ms;

	a->admitted_rate = (double)a->period_admitted * 1000.0 /
		(double)(dt ? dt : 1);
	if (a->delay_ms < a->cfg.low_ms && a->auto_rate > 0) {
		double step = a->period_refused ? a->auto_rate * 0.05 :
			a->auto_rate * 0.5;

		a->auto_rate += step > 5 ? step : 5;
		if (a->auto_rate >= OPEN_RATE)
			a->auto_rate = 0;
	}
	a->period_ms = now;
	a->period_admitted = 0;
	a->period_refused = 0;
}

void admit_delay(struct admit *a, unsigned delay_ms, uint64_t now)
{
	a->delay_ms = delay_ms;
	if (a->cfg.shed_ms && delay_ms >= a->cfg.shed_ms)
		a->shedding = true;
	else if (a->shedding && delay_ms < a->cfg.high_ms)
		a->shedding = false;
	/* calls cut only when they are what loads the thread: a few a
	 * second do not make a stall (another process, a slow disk, the
	 * API), and refusing them would not end it */
	if (delay_ms > a->cfg.high_ms && now >= a->hold_until_ms &&
	    admitted_rate(a, now) >= a->cfg.min_rate)
		cut(a, now);
	if (now - a->period_ms >= ADMIT_PERIOD_MS)
		end_period(a, now);
}

void admit_lag_sample(struct admit *a, unsigned lag_ms)
{
	a->lag_ms[a->lag_next] = lag_ms;
	a->lag_next = (a->lag_next + 1) % ADMIT_LAG_SAMPLES;
	if (a->lag_n < ADMIT_LAG_SAMPLES)
		a->lag_n++;
}

/* By counting: the samples are small numbers of milliseconds, so a
 * histogram of them up to 1 s (and one bucket past it) is exact enough
 * and needs no sort */
unsigned admit_lag_p99(const struct admit *a)
{
	unsigned hist[1002] = {0};
	unsigned want, seen = 0;

	if (!a->lag_n)
		return 0;
	for (unsigned i = 0; i < a->lag_n; i++)
		hist[a->lag_ms[i] > 1000 ? 1001 : a->lag_ms[i]]++;
	want = a->lag_n - a->lag_n / 100;     /* the 99th percentile */
	for (unsigned v = 0; v < 1002; v++) {
		seen += hist[v];
		if (seen >= want)
			return v;
	}
	return 1001;
}

void admit_share_init(struct admit_share *s, double share, double burst_us,
		      double debt_us, uint64_t now_us)
{
	memset(s, 0, sizeof(*s));
	s->share = share;
	s->burst_us = burst_us;
	s->debt_us = debt_us;
	s->tokens = burst_us;
	s->refill_us = now_us;
}

bool admit_share_take(struct admit_share *s, double cost_us,
		      uint64_t now_us)
{
	double t = s->tokens + (double)(now_us - s->refill_us) * s->share;

	s->tokens = t > s->burst_us ? s->burst_us : t;
	s->refill_us = now_us;
	return s->tokens > 0 && s->tokens >= cost_us;
}

void admit_share_pay(struct admit_share *s, uint64_t us)
{
	s->tokens -= (double)us;
	/* (one very long piece is not paid for forever) */
	if (s->tokens < -s->debt_us)
		s->tokens = -s->debt_us;
}

void admit_cost_learn(double *cost_us, uint64_t us)
{
	*cost_us = *cost_us > 0 ? 0.8 * *cost_us + 0.2 * (double)us :
		(double)us;
}
