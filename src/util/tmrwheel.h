/*
 * libre's timers (tmr_start, tmr_cancel, tmr_poll, tmr_next_timeout) kept
 * in a timing wheel instead of libre's one sorted list (tmrwheel.c says
 * why and how). Nothing to call: linking caucus_core replaces them, for
 * libre's own timers and ours alike. These are for tests and /metrics.
 */
#ifndef CAUCUS_TMRWHEEL_H
#define CAUCUS_TMRWHEEL_H

#include <stdbool.h>
#include <stdint.h>

/* slots of 1 ms: a rotation (65.5 s) holds every SIP transaction timer
 * (64*T1 = 32 s) without a second pass */
#define TMRWHEEL_SLOTS 65536u

/* the timers running on the calling thread's libre loop */
uint32_t tmrwheel_count(void);
/* true when libre's calls reach the wheel (caucusd's symbols take the
 * place of libre.so's: tmrwheel.c) */
bool tmrwheel_active(void);

#endif
