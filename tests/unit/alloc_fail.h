/*
 * Allocation-failure injection for unit tests (alloc_fail.c): a path is
 * run once for every n with the n-th allocation it makes failing, and
 * must then neither crash nor leak, and must either return an error or
 * give the very result it gives without failures.
 */
#ifndef CAUCUS_ALLOC_FAIL_H
#define CAUCUS_ALLOC_FAIL_H

#include <stdbool.h>
#include <stddef.h>

/* One path under test. Only run is armed: the others (and anything the
 * test does between runs) allocate as usual, untracked. */
struct af_case {
	const char *name;
	/* what the path needs and is not under test; 0 or an errno */
	int  (*setup)(void);
	/* the path; 0 or an errno */
	int  (*run)(void);
	/* after a run that returned 0: store the result when reference is
	 * true (the first run, without failures), else compare with it
	 * (cmocka assertions) */
	void (*check)(bool reference);
	/* releases everything setup and run made */
	void (*teardown)(void);
	/* may run give err for a failed allocation? NULL: any error (an
	 * error that blames the input, EINVAL or EBADMSG, is a bug when
	 * the input is good) */
	bool (*err_ok)(int err);
};

/* What af_run() saw, for the summary line */
struct af_stats {
	unsigned long allocs;      /* allocations of a run without failure */
	unsigned long runs;        /* runs with a failure injected */
	unsigned long errors;      /* of them, runs that returned an error */
	unsigned long unneeded;    /* runs that succeeded all the same, with
				    * the reference result */
};

/* Runs c without failures twice (the first warms up lazily made global
 * state, the second counts and is the reference), then with the n-th
 * allocation failing for n = 1, 2, ... until a run makes fewer than n
 * allocations. Fails the cmocka test, naming the path and n, on a leak
 * (with where the leaked blocks were allocated), on an error without an
 * injected failure, or when a check fails. */
void af_run(const struct af_case *c, struct af_stats *st);
/* Inside run: allocations between af_pause() and af_resume() are
 * neither counted nor failed nor tracked (setting up for the next step) */
void af_pause(void);
void af_resume(void);
/* A cmocka teardown for tests that call af_run: when a run did not come
 * back (a crash that cmocka caught, a failed assertion), says which path
 * and n, and where the failed allocation was asked for, and disarms. */
int  af_guard(void **state);

#endif
