/* Descriptors: a server (or the load generator) with thousands of
 * participants needs more than the usual 1024. */
#ifndef CAUCUS_FDLIMIT_H
#define CAUCUS_FDLIMIT_H

/* Raises RLIMIT_NOFILE to the hard limit or 65536, whichever is lower,
 * and sizes libre's descriptor table to match (libre_init() sized it at
 * 1024 and only watches descriptors below its size). Call after
 * libre_init() and before anything listens; never call
 * poll_method_set() after it (it sizes the table to 1024 again).
 * Returns the limit now in force; *table_ok: libre took the new size. */
unsigned fd_limit_raise(int *table_ok);

#endif
