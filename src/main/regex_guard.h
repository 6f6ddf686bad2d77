/* libre's search for SIP and HTTP start lines, in linear time
 * (regex_guard.c: caucusd defines re_regex over libre's). Any thread. */
#ifndef CAUCUS_REGEX_GUARD_H
#define CAUCUS_REGEX_GUARD_H

#include <stdbool.h>
#include <stddef.h>

/* For tests: the start-line pattern (HTTP's, else SIP's) on ptr, ours
 * against libre's engine. 0: the same result and captures (for SIP, as
 * libre's caller takes it: a match only at ptr); 1: one matched and the
 * other did not; 2: different captures; -1: libre's is not there */
int regex_guard_test(const char *ptr, size_t len, bool http);
/* How many start lines were searched here (libre's calls included) */
unsigned long regex_guard_hits(void);

#endif
