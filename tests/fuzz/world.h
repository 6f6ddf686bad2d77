/*
 * A caucus server in the fuzzer's own process (world.c), for the targets
 * that drive it over loopback: fuzz_sip (UDP datagrams) and fuzz_api
 * (HTTP requests). Signalling thread only.
 */
#ifndef CAUCUS_FUZZ_WORLD_H
#define CAUCUS_FUZZ_WORLD_H

#include <stdbool.h>
#include <stdint.h>

struct world_ports {
	uint16_t sip;       /* UDP, on 127.0.0.1 */
	uint16_t http;      /* the API, TCP on 127.0.0.1 */
};

/* Starts it once (traps when it cannot) */
int  world_start(struct world_ports *wp);
/* Runs its loop until done(arg) says so (NULL: until what waits on the
 * sockets now is handled), at most max_ms */
void world_run(bool (*done)(void *arg), void *arg, unsigned max_ms);

/* Keeps the server small: past WORLD_MAX_CALLS calls everyone is hung
 * up. A call otherwise lasts until its RTP timeout, and a fuzzer makes
 * hundreds a second: each input would cost more than the one before, and
 * the run would crawl (an hour of fuzz_sip made 20 000 executions so). */
#define WORLD_MAX_CALLS 32
void world_tidy(void);

#endif
