/*
 * The start lines of SIP and HTTP messages, found in linear time.
 *
 * libre 1.1.0 finds a message's start line (sip_msg_decode,
 * http_msg_decode) by searching the whole buffer with re_regex, whose
 * engine tries every start position and runs each character class to
 * its end. When the buffer does not begin with a good line that costs
 * the square of its length: a 16 KB UDP datagram without a space takes
 * 0.7 s of the signalling thread (fuzz_sip found it), and a TCP or TLS
 * connection that sends a start line a byte at a time has it searched
 * again at every byte, up to libre's 8 KB limit.
 *
 * libre calls re_regex through its PLT, so caucusd defines re_regex
 * itself (as accept_guard.c does accept): the two start-line patterns
 * are matched here in one pass, with the result libre's engine gives
 * (regex_guard_test() compares them on any input); every other pattern
 * goes to libre's own, its arguments passed on as they came (one struct
 * pl pointer per character class, as libre takes them). Kept in this one
 * file. Any thread.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include "main/regex_guard.h"

/* libre's patterns, byte for byte (src/sip/msg.c, src/http/msg.c) */
static const char sip_start[] = "[^ \t\r\n]+ [^ \t\r\n]+ [^\r\n]*[\r]*[\n]1";
static const char http_start[] = "[\r\n]*[^\r\n]+[\r]*[\n]1";

#define ARGS_MAX 24        /* libre's own patterns have at most 8 */

static atomic_ulong hits;      /* start lines found here */

typedef int (regex_fn)(const char *ptr, size_t len, const char *expr, ...);

static regex_fn *libre_regex(void)
{
	/* resolved once, before main: no thread races for it */
	static regex_fn *fn;

	if (!fn)
		fn = (regex_fn *)dlsym(RTLD_NEXT, "re_regex");
	return fn;
}

__attribute__((constructor)) static void resolve(void)
{
	(void)libre_regex();
}

static bool crlf(char c)
{
	return c == '\r' || c == '\n';
}

static bool word(char c)
{
	return c != ' ' && c != '\t' && !crlf(c);
}

static void set(struct pl *pl, const char *p, size_t l)
{
	if (pl) {
		pl->p = p;
		pl->l = l;
	}
}

/*
 * SIP: "METHOD URI VERSION" up to CR* LF. libre takes a match only at
 * the buffer's first byte (it checks the first capture starts there and
 * otherwise fails the same way), so a match elsewhere is not looked for.
 */
static int sip_line(const char *p, size_t l, struct pl *x, struct pl *y,
		    struct pl *z, struct pl *cr, struct pl *lf)
{
	size_t a = 0, b, c, d;

	while (a < l && word(p[a]))
		a++;
	if (!a || a >= l || p[a] != ' ')
		return ENOENT;
	b = a + 1;
	while (b < l && word(p[b]))
		b++;
	if (b == a + 1 || b >= l || p[b] != ' ')
		return ENOENT;
	c = b + 1;
	while (c < l && !crlf(p[c]))
		c++;
	d = c;
	while (d < l && p[d] == '\r')
		d++;
	if (d >= l || p[d] != '\n')
		return ENOENT;
	set(x, p, a);
	set(y, p + a + 1, b - a - 1);
	set(z, p + b + 1, c - b - 1);
	set(cr, p + c, d - c);
	set(lf, p + d, 1);
	return 0;
}

/*
 * HTTP: blank lines, then a line up to CR* LF, wherever it is (libre's
 * caller takes the first match anywhere). From a start, the engine
 * swallows CR and LF, takes the next run of other bytes, then CRs, and
 * needs an LF; when that fails every start up to the end of that run
 * fails the same way, so the next start to try is the byte after it.
 */
static int http_line(const char *p, size_t l, struct pl *b, struct pl *s,
		     struct pl *cr, struct pl *lf)
{
	size_t i = 0;

	while (i < l) {
		size_t j = i, k, m;

		while (j < l && crlf(p[j]))
			j++;
		k = j;
		while (k < l && !crlf(p[k]))
			k++;
		if (k == j)
			return ENOENT;
		m = k;
		while (m < l && p[m] == '\r')
			m++;
		if (m < l && p[m] == '\n') {
			set(b, p + i, j - i);
			set(s, p + j, k - j);
			set(cr, p + k, m - k);
			set(lf, p + m, 1);
			return 0;
		}
		i = k;
	}
	return ENOENT;
}

/* The struct pl pointers libre's engine reads for expr: one for each
 * character class, counted as it parses them */
static unsigned classes(const char *ep)
{
	bool esc = false, in = false;
	unsigned n = 0;

	for (; *ep; ep++) {
		if (*ep == '\\' && !esc) {
			esc = true;
			continue;
		}
		if (!in) {
			in = *ep == '[' && !esc;
		}
		else if (*ep == ']' && !esc) {
			in = false;
			n++;
			if (ep[1])
				ep++;          /* its quantifier */
		}
		esc = false;
	}
	return n;
}

int re_regex(const char *ptr, size_t len, const char *expr, ...)
{
	struct pl *a[ARGS_MAX] = {0};
	regex_fn *fn = libre_regex();
	unsigned n;
	va_list ap;

	if (!ptr || !expr)
		return EINVAL;
	n = classes(expr);
	if (n > ARGS_MAX || !fn)
		return EINVAL;
	va_start(ap, expr);
	for (unsigned i = 0; i < n; i++)
		a[i] = va_arg(ap, struct pl *);
	va_end(ap);
	if (!len)
		return ENOENT;       /* libre's answer to an empty buffer */
	if (!strcmp(expr, sip_start)) {
		atomic_fetch_add_explicit(&hits, 1, memory_order_relaxed);
		return sip_line(ptr, len, a[0], a[1], a[2], a[3], a[4]);
	}
	if (!strcmp(expr, http_start)) {
		atomic_fetch_add_explicit(&hits, 1, memory_order_relaxed);
		return http_line(ptr, len, a[0], a[1], a[2], a[3]);
	}
	/* more pointers than it reads are harmless to a variadic callee */
	return fn(ptr, len, expr, a[0], a[1], a[2], a[3], a[4], a[5], a[6],
		  a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15],
		  a[16], a[17], a[18], a[19], a[20], a[21], a[22], a[23]);
}

unsigned long regex_guard_hits(void)
{
	return atomic_load_explicit(&hits, memory_order_relaxed);
}

int regex_guard_test(const char *ptr, size_t len, bool http)
{
	struct pl f[5], r[5];
	regex_fn *fn = libre_regex();
	int fe, re;

	memset(f, 0, sizeof(f));
	memset(r, 0, sizeof(r));
	if (!fn)
		return -1;
	if (http) {
		fe = re_regex(ptr, len, http_start, &f[0], &f[1], &f[2],
			      &f[3]);
		re = fn(ptr, len, http_start, &r[0], &r[1], &r[2], &r[3]);
		/* the same answer, the same captures */
		if (!!fe != !!re)
			return 1;
		return !fe && memcmp(f, r, sizeof(f)) ? 2 : 0;
	}
	fe = re_regex(ptr, len, sip_start, &f[0], &f[1], &f[2], &f[3], &f[4]);
	re = fn(ptr, len, sip_start, &r[0], &r[1], &r[2], &r[3], &r[4]);
	/* libre's caller: a match that does not start at ptr is none */
	if (!re && r[0].p != ptr)
		re = ENOENT;
	if (!!fe != !!re)
		return 1;
	return !fe && memcmp(f, r, sizeof(f)) ? 2 : 0;
}
