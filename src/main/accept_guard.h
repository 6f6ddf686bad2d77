/*
 * At most so many TCP/TLS connections from one address at once, counted
 * at accept() (accept_guard.c says how, and why there). caucusd only.
 */
#ifndef CAUCUS_ACCEPT_GUARD_H
#define CAUCUS_ACCEPT_GUARD_H

struct srclimit;

/* 0: no limit. ENOMEM when the table cannot be made. */
int  accept_guard_set(unsigned max_per_source);
/* The per-source limits whose exempt list applies, and which counts the
 * connections refused (srclimit_conn_refused) */
void accept_guard_limits(struct srclimit *sl);

#endif
