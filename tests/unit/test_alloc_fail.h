/* Shared by test_alloc_fail.c, test_alloc_fail_notify.c and
 * test_alloc_fail_conf.c */
#ifndef CAUCUS_TEST_ALLOC_FAIL_H
#define CAUCUS_TEST_ALLOC_FAIL_H

#include <stdbool.h>
#include <stddef.h>
#include "alloc_fail.h"

struct mbuf;

/* af_run(c) and a summary line: allocations, runs, how they ended */
void af_case_run(const struct af_case *c);
/* A failed allocation said so (an af_case's err_ok) */
bool af_enomem(int err);
/* The bytes of mb (all of them, NUL-terminated, cut to sz) */
void af_text(char *buf, size_t sz, const struct mbuf *mb);

/* test_alloc_fail_notify.c */
void test_notify_full(void **state);
void test_notify_diff(void **state);
void test_notify_render(void **state);
int  notify_world_setup(void **state);
int  notify_world_teardown(void **state);
/* test_alloc_fail_conf.c */
void test_reconciler(void **state);
void test_reload(void **state);

#endif
