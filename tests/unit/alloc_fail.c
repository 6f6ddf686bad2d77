/*
 * Allocation-failure injection (alloc_fail.h), in the spirit of libre's
 * retest, which runs its tests with mem_threshold_set(n). That hook only
 * exists in a libre built with MEM_DEBUG; Debian's libre-dev is not
 * (mem_threshold_set() is there and does nothing), and it would miss
 * SQLite and libc anyway. So this goes one level down, to malloc.
 *
 * How: this file defines malloc, calloc, realloc and free. A symbol the
 * executable defines comes first in the dynamic linker's lookup scope,
 * so every shared library (libre's mem_alloc, SQLite, OpenSSL, libc's
 * own strdup) calls these and not libc's; they pass on to libc through
 * its exported __libc_malloc and friends, so the allocator underneath is
 * the usual one and a block may be freed by either side. Why not the
 * others:
 * - `-Wl,--wrap=malloc` (alloc_count.c, for test_mixer) rewrites only the
 *   references of the objects being linked: caucus_core's own calls, not
 *   libre.so's, where mem_zalloc ends in malloc.
 * - dlsym(RTLD_NEXT, "malloc") needs dlsym, which itself allocates
 *   (calloc) on first use: a bootstrap dance for nothing, as glibc
 *   exports __libc_* for exactly this.
 * - LD_PRELOAD of a separate library: the same interposition, plus a
 *   second binary and ctest environment to keep in step.
 * Under AddressSanitizer (CAUCUS_SAN) and ThreadSanitizer (CAUCUS_TSAN)
 * the runtime interposes malloc itself, so these pass on to its
 * __interceptor_* entry points (GCC's libasan and libtsan export them)
 * instead: the test runs there too, with ASan watching the error paths
 * (use after free, double free). Under TSan this file is built without
 * instrumentation (tests/unit/CMakeLists.txt): the dynamic linker calls
 * malloc before the TSan runtime is ready.
 *
 * What counts: while a path is armed, every malloc, calloc and realloc
 * (realloc(NULL, n) too; not realloc(p, 0), which frees) is numbered; the
 * n-th returns NULL with errno ENOMEM, and every block handed out while
 * armed is recorded in a table (open addressing, no allocation) until it
 * is freed or reallocated away. Nothing else is touched: cmocka's, the
 * setup's and the checks' allocations run unarmed. The test is single
 * threaded; the state is plain globals.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <link.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "alloc_fail.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define REAL(f) __interceptor_##f
#else
#define REAL(f) __libc_##f
#endif

void *REAL(malloc)(size_t n);
void *REAL(calloc)(size_t n, size_t m);
void *REAL(realloc)(void *p, size_t n);
void REAL(free)(void *p);

#define AF_SLOTS (1u << 15)      /* > 4/3 of the allocations of a run */
#define AF_DEPTH 24              /* frames kept of a call stack */
#define AF_DIAG_DEPTH 12         /* of each block in a diagnostic run */
#define TOMB ((void *)1)

static struct {
	bool armed, paused;
	bool diag;                /* keep each block's call stack */
	int inside;               /* in our own bookkeeping: pass through */
	unsigned long fail_at;    /* the allocation to fail, 1-based; 0:
				   * none */
	unsigned long count;      /* allocations numbered so far */
	bool hit;                 /* the failure was injected */
	void *bt[AF_DEPTH];       /* where the failed allocation was asked */
	int btn;
	size_t live, used;        /* blocks in the table; slots not free */
	const struct af_case *cur;   /* the path running, for af_guard */
	bool checking;            /* cur's check, not its run */
	int saved_stderr;
} af = {.saved_stderr = -1};

static void *slots[AF_SLOTS];
static void *slot_bt[AF_SLOTS][AF_DIAG_DEPTH];

static size_t slot_of(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;

	x ^= x >> 29;
	x *= 0x9e3779b97f4a7c15ull;
	return (size_t)(x >> 40) & (AF_SLOTS - 1);
}

static void die(const char *msg)
{
	(void)!write(2, msg, strlen(msg));
	abort();
}

static void track(void *p)
{
	size_t i = slot_of(p);

	while (slots[i] && slots[i] != TOMB)
		i = (i + 1) & (AF_SLOTS - 1);
	if (!slots[i] && ++af.used > AF_SLOTS / 4 * 3)
		die("alloc_fail: too many live blocks, raise AF_SLOTS\n");
	slots[i] = p;
	af.live++;
	if (af.diag) {
		af.inside++;
		memset(slot_bt[i], 0, sizeof(slot_bt[i]));
		backtrace(slot_bt[i], AF_DIAG_DEPTH);
		af.inside--;
	}
}

/* Forgets p; whether it was there */
static bool untrack(const void *p)
{
	if (!p || !af.live)
		return false;
	for (size_t i = slot_of(p); slots[i]; i = (i + 1) & (AF_SLOTS - 1)) {
		if (slots[i] == p) {
			slots[i] = TOMB;
			af.live--;
			return true;
		}
	}
	return false;
}

static bool counting(void)
{
	return af.armed && !af.paused && !af.inside;
}

/* Numbers one allocation; true: this one fails */
static bool fails(void)
{
	if (++af.count != af.fail_at)
		return false;
	af.hit = true;
	af.inside++;
	af.btn = backtrace(af.bt, AF_DEPTH);
	af.inside--;
	errno = ENOMEM;
	return true;
}

void *malloc(size_t n);
void *calloc(size_t n, size_t m);
void *realloc(void *p, size_t n);
void free(void *p);

void *malloc(size_t n)
{
	void *p;

	if (!counting())
		return REAL(malloc)(n);
	if (fails())
		return NULL;
	p = REAL(malloc)(n);
	if (p)
		track(p);
	return p;
}

void *calloc(size_t n, size_t m)
{
	void *p;

	if (!counting())
		return REAL(calloc)(n, m);
	if (fails())
		return NULL;
	p = REAL(calloc)(n, m);
	if (p)
		track(p);
	return p;
}

void *realloc(void *p, size_t n)
{
	bool was, count = counting();
	void *q;

	if (!p)
		return malloc(n);
	if (!n) {                  /* glibc and ASan: frees, returns NULL */
		untrack(p);
		return REAL(realloc)(p, 0);
	}
	if (count && fails())
		return NULL;       /* p stays as it was */
	q = REAL(realloc)(p, n);
	if (!q)
		return NULL;
	/* a block allocated while armed stays tracked when it moves */
	was = untrack(p);
	if (was || count)
		track(q);
	return q;
}

void free(void *p)
{
	untrack(p);
	REAL(free)(p);
}

void af_pause(void)
{
	af.paused = true;
}

void af_resume(void)
{
	af.paused = false;
}

static void arm(unsigned long fail_at, bool diag)
{
	memset(slots, 0, sizeof(slots));
	af.live = af.used = 0;
	af.count = 0;
	af.fail_at = fail_at;
	af.hit = false;
	af.btn = 0;
	af.diag = diag;
	af.paused = false;
	af.armed = true;
}

static void disarm(void)
{
	af.armed = false;
	af.paused = false;
}

/* Log lines of the paths (the store's errors under failed allocations)
 * go nowhere while armed; af_guard puts stderr back after a crash */
static void quiet(bool on)
{
	int null;

	if (on && af.saved_stderr < 0) {
		fflush(stderr);
		af.saved_stderr = dup(2);
		null = open("/dev/null", O_WRONLY);
		if (null >= 0) {
			dup2(null, 2);
			close(null);
		}
	}
	else if (!on && af.saved_stderr >= 0) {
		fflush(stderr);
		dup2(af.saved_stderr, 2);
		close(af.saved_stderr);
		af.saved_stderr = -1;
	}
}

/* One frame: the function and line where addr2line finds them (our own
 * code has debug info), else the nearest exported symbol. Remembered, as
 * AF_VERBOSE prints the same frames thousands of times. */
static void print_frame(int i, void *addr)
{
	static struct { void *addr; char text[1024]; } seen[2048];
	size_t h = slot_of(addr) & 2047;
	Dl_info info;
	uintptr_t a = (uintptr_t)addr, off;
	char cmd[768], line[1024] = "";
	FILE *f;

	if (seen[h].addr == addr) {
		fprintf(stderr, "  #%d %s", i, seen[h].text);
		return;
	}
	if (!dladdr(addr, &info) || !info.dli_fname) {
		fprintf(stderr, "  #%d %p\n", i, addr);
		return;
	}
	/* a return address points after the call: look up the call */
	off = a - 1 - (((const ElfW(Ehdr) *)info.dli_fbase)->e_type == ET_DYN ?
		       (uintptr_t)info.dli_fbase : 0);
	snprintf(cmd, sizeof(cmd), "addr2line -f -p -i -e '%s' 0x%lx "
		 "2>/dev/null", info.dli_fname, (unsigned long)off);
	f = popen(cmd, "r");
	if (f) {
		size_t n = fread(line, 1, sizeof(line) - 1, f);

		line[n] = '\0';
		pclose(f);
	}
	seen[h].addr = addr;
	if (line[0] && line[0] != '?')
		snprintf(seen[h].text, sizeof(seen[h].text), "%s", line);
	else
		snprintf(seen[h].text, sizeof(seen[h].text),
			 "%s+0x%lx (%s)\n",
			 info.dli_sname ? info.dli_sname : "?",
			 (unsigned long)(a - (uintptr_t)(info.dli_saddr ?
							 info.dli_saddr :
							 info.dli_fbase)),
			 info.dli_fname);
	fprintf(stderr, "  #%d %s", i, seen[h].text);
}

static void print_stack(void *const *bt, int n)
{
	/* frame 0 is backtrace's caller in this file, 1 the hook */
	for (int i = 2; i < n && bt[i]; i++)
		print_frame(i - 2, bt[i]);
}

static void print_hit(void)
{
	if (!af.hit) {
		fprintf(stderr, "  (no allocation failed in this run)\n");
		return;
	}
	fprintf(stderr, "  the failed allocation (number %lu) was asked for "
		"at:\n", af.fail_at);
	print_stack(af.bt, af.btn);
}

/* Runs c once with the n-th allocation failing (0: none); true when
 * the injected failure was hit. *errp: what run returned. */
static bool run_once(const struct af_case *c, unsigned long n, bool diag,
		     int *errp)
{
	int err = c->setup ? c->setup() : 0;

	if (err)
		fail_msg("%s: setup failed: %s", c->name, strerror(err));
	af.cur = c;
	quiet(true);
	arm(n, diag);
	*errp = c->run();
	disarm();
	quiet(false);
	af.cur = NULL;
	return af.hit;
}

/* The blocks still live after teardown, with where each was made */
static void print_leaks(const struct af_case *c, unsigned long n)
{
	int err;

	fprintf(stderr, "%s, n = %lu: %zu block(s) leaked\n", c->name, n,
		af.live);
	print_hit();
	/* again, keeping each block's call stack */
	(void)run_once(c, n, true, &err);
	c->teardown();
	for (size_t i = 0, k = 0; i < AF_SLOTS && k < 8; i++) {
		if (!slots[i] || slots[i] == TOMB)
			continue;
		fprintf(stderr, " leaked block %zu (%p) allocated at:\n", ++k,
			slots[i]);
		print_stack(slot_bt[i], AF_DIAG_DEPTH);
	}
}

void af_run(const struct af_case *c, struct af_stats *st)
{
	/* AF_VERBOSE=1: how each run ended, and where its allocation
	 * failed */
	bool verbose = getenv("AF_VERBOSE") != NULL;
	unsigned long n;
	int err;

	memset(st, 0, sizeof(*st));
	/* backtrace() loads libgcc_s on first use: not inside a hook */
	backtrace(af.bt, 1);
	/* warm-up: what a first run makes once for good (libc's, OpenSSL's
	 * lazily built state) is not a leak of the path */
	(void)run_once(c, 0, false, &err);
	if (err)
		fail_msg("%s: fails without injected failures: %s", c->name,
			 strerror(err));
	c->check(true);
	c->teardown();
	/* the reference: counts, and must not leak either */
	(void)run_once(c, 0, false, &err);
	st->allocs = af.count;
	if (err)
		fail_msg("%s: fails without injected failures: %s", c->name,
			 strerror(err));
	c->check(false);
	c->teardown();
	if (af.live) {
		print_leaks(c, 0);
		fail_msg("%s leaks without injected failures", c->name);
	}
	if (!st->allocs)
		fail_msg("%s: no allocation seen: the interposition does not "
			 "work", c->name);
	for (n = 1; ; n++) {
		if (!run_once(c, n, false, &err)) {
			/* past the last allocation: the reference again */
			if (err)
				fail_msg("%s, n = %lu: error %s without an "
					 "injected failure", c->name, n,
					 strerror(err));
			c->check(false);
			c->teardown();
			if (af.live) {
				print_leaks(c, n);
				fail_msg("%s, n = %lu: leaked", c->name, n);
			}
			break;
		}
		st->runs++;
		if (verbose) {
			fprintf(stderr, "%s, n = %lu: %s\n", c->name, n,
				err ? strerror(err) : "absorbed");
			print_hit();
		}
		if (err) {
			st->errors++;
			if (c->err_ok && !c->err_ok(err)) {
				print_hit();
				fail_msg("%s, n = %lu: a failed allocation "
					 "came back as %s", c->name, n,
					 strerror(err));
			}
		}
		else {
			/* the failure was absorbed: then the result must
			 * be the whole one, not a half-built one (af_guard
			 * says which n when the check fails) */
			af.cur = c;
			af.checking = true;
			c->check(false);
			af.checking = false;
			af.cur = NULL;
			st->unneeded++;
		}
		c->teardown();
		if (af.live) {
			print_leaks(c, n);
			fail_msg("%s, n = %lu: leaked", c->name, n);
		}
	}
	af.cur = NULL;
}

int af_guard(void **state)
{
	(void)state;
	disarm();
	quiet(false);
	if (af.cur) {
		/* a crash in the run went to cmocka's handler while stderr
		 * was muted, so say it here */
		fprintf(stderr, "%s, n = %lu: %s\n", af.cur->name, af.fail_at,
			af.checking ? "the result is not the one of a run "
			"without failures (above)" : "the run did not come "
			"back: it crashed (a signal cmocka caught)");
		print_hit();
		af.cur = NULL;
		af.checking = false;
	}
	return 0;
}
