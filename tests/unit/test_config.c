/* Settings: defaults, flags, the file, and refusals that say why. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "main/config.h"

static int args(struct config *c, char *err, int n, ...)
{
	char *argv[16] = {"caucusd"};
	const char *file = NULL;
	int help = 0;
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n; i++)
		argv[i + 1] = va_arg(ap, char *);
	va_end(ap);
	return config_parse_args(c, n + 1, argv, &file, &help, err, 256);
}

static void test_defaults(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	config_defaults(&c);
	assert_string_equal(c.sip_addr, "127.0.0.1");
	assert_int_equal(c.sip_port, 5060);
	assert_int_equal(c.http_port, 8080);
	assert_string_equal(c.db, "./var/caucus.db");
	assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
}

static void test_flags(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(args(&c, err, 5, "--sip-port", "5070",
			      "--http_port=9000", "--log-level", "debug"), 0);
	assert_int_equal(c.sip_port, 5070);
	assert_int_equal(c.http_port, 9000);
	assert_string_equal(c.log_level, "debug");

	assert_int_not_equal(args(&c, err, 2, "--sip-port", "70000"), 0);
	assert_non_null(strstr(err, "sip_port"));
	assert_int_not_equal(args(&c, err, 2, "--sip-port", "-1"), 0);
	assert_int_not_equal(args(&c, err, 2, "--sip-port", "12x"), 0);
	assert_int_not_equal(args(&c, err, 1, "--nonsense=1"), 0);
	assert_non_null(strstr(err, "unknown flag"));
	assert_int_not_equal(args(&c, err, 1, "--sip-port"), 0);
	assert_non_null(strstr(err, "needs a value"));
	assert_int_not_equal(args(&c, err, 1, "positional"), 0);

	config_defaults(&c);
	assert_int_equal(args(&c, err, 1, "--log-level=loud"), 0);
	assert_int_not_equal(config_validate(&c, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "log_level"));
	config_defaults(&c);
	assert_int_equal(args(&c, err, 1, "--sip-transports=udp,sctp"), 0);
	assert_int_not_equal(config_validate(&c, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "sctp"));
	config_defaults(&c);
	assert_string_equal(c.rtp_sockets, "per-call");
	assert_int_equal(args(&c, err, 1, "--rtp-sockets=per-thread"), 0);
	assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
	assert_int_equal(args(&c, err, 1, "--rtp-sockets=shared"), 0);
	assert_int_not_equal(config_validate(&c, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "rtp_sockets"));
}

static void test_file(void **state)
{
	char path[] = "/tmp/caucus-conf-XXXXXX";
	struct config c;
	char err[256];
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	(void)state;
	fprintf(f, "# comment\n\n  sip_port = 5080 \nhttp_addr=0.0.0.0\n");
	fclose(f);
	config_defaults(&c);
	assert_int_equal(config_load_file(&c, path, err, sizeof(err)), 0);
	assert_int_equal(c.sip_port, 5080);
	assert_string_equal(c.http_addr, "0.0.0.0");

	f = fopen(path, "w");
	fprintf(f, "sip_port = 5080\nno equals sign\n");
	fclose(f);
	assert_int_not_equal(config_load_file(&c, path, err, sizeof(err)), 0);
	assert_non_null(strstr(err, ":2:"));
	f = fopen(path, "w");
	fprintf(f, "bogus = 1\n");
	fclose(f);
	assert_int_not_equal(config_load_file(&c, path, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "unknown setting 'bogus'"));
	unlink(path);
	assert_int_not_equal(config_load_file(&c, path, err, sizeof(err)), 0);
}

/* A line too long to read whole is refused, not read as two lines (its
 * rest must not become a setting), and so is a NUL byte */
static void test_file_hostile(void **state)
{
	char buf[1200], err[256];
	struct config c;
	int n;

	(void)state;
	config_defaults(&c);
	n = snprintf(buf, sizeof(buf), "admin_token = %0600d", 7);
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "sip_port = 5999\n");
	assert_int_equal(config_load_mem(&c, buf, (size_t)n, err, sizeof(err)),
			 EINVAL);
	assert_non_null(strstr(err, ":1: line longer than"));
	assert_int_not_equal(c.sip_port, 5999);
	config_defaults(&c);
	memcpy(buf, "sip_port = 5080\0 junk\n", 23);
	assert_int_equal(config_load_mem(&c, buf, 23, err, sizeof(err)),
			 EINVAL);
	assert_non_null(strstr(err, "NUL"));
	/* the last line without a newline still counts */
	config_defaults(&c);
	assert_int_equal(config_load_mem(&c, "sip_port = 5081", 15, err,
					 sizeof(err)), 0);
	assert_int_equal(c.sip_port, 5081);
	/* a value out of range names the setting */
	assert_int_equal(config_load_mem(&c, "sip_port = 70000\n", 17, err,
					 sizeof(err)), EINVAL);
	assert_non_null(strstr(err, "sip_port"));
}

/* The media-server split's settings: the role, a focus's mixers, a
 * mixer's focuses and control address, each refusal naming the setting */
static void test_role(void **state)
{
	static const struct {
		int n;
		const char *a[6];
		const char *why;     /* NULL: valid */
	} cases[] = {
		{0, {NULL}, NULL},
		{2, {"--role", "one"}, NULL},
		{2, {"--role", "split"}, "role: 'split'"},
		{2, {"--role", "focus"}, "mixers: role focus needs"},
		{4, {"--role", "focus", "--mixers", "127.0.0.2:5070"}, NULL},
		{4, {"--role", "focus", "--mixers",
		     "10.0.0.5:5060,[::1]:5070"}, NULL},
		{4, {"--role", "focus", "--mixers", "ms-2.example.net:5080"},
		 "mixers: "},
		{4, {"--role", "focus", "--mixers", "10.0.0.5"}, "mixers: "},
		{4, {"--role", "focus", "--mixers", "10.0.0.5:0"}, "mixers: "},
		{4, {"--role", "focus", "--mixers", "10.0.0.5:70000"},
		 "mixers: "},
		{4, {"--role", "focus", "--mixers", "a:1,,b:2"}, "mixers: "},
		{4, {"--role", "focus", "--mixers", "a:1,"}, "mixers: "},
		{4, {"--role", "focus", "--mixers", "a b:1"}, "mixers: "},
		{2, {"--mixers", "127.0.0.2:5070"}, "mixers: only for role"},
		{2, {"--role", "mixer"}, NULL},
		{4, {"--role", "mixer", "--focus-allow", "10.0.0.1,::1"}, NULL},
		{4, {"--role", "mixer", "--focus-allow", "focus.example"},
		 "focus_allow: 'focus.example'"},
		{4, {"--role", "mixer", "--focus-allow", "10.0.0.1/8"},
		 "focus_allow: "},
		{4, {"--role", "mixer", "--focus-allow", ""}, "focus_allow: "},
		{4, {"--role", "mixer", "--control-addr", "127.0.0.3"}, NULL},
		{4, {"--role", "mixer", "--control-addr", "here"},
		 "control_addr: "},
		{4, {"--role", "mixer", "--node", "n1"}, "node: "},
		{6, {"--role", "mixer", "--node", "n1", "--db",
		     "postgresql://db/caucus"}, "node: a mixer"},
		{2, {"--mixer-pool", "0"}, "mixer_pool"},
		{2, {"--mixer-pool", "1001"}, "mixer_pool"},
	};
	const char *file = "role = mixer\nfocus_allow = 10.1.1.1,10.1.1.2\n";
	struct config c;
	char err[256];

	(void)state;
	config_defaults(&c);
	assert_string_equal(c.role, "one");
	assert_int_equal(config_role(&c), CONFIG_ROLE_ONE);
	assert_int_equal(c.mixer_pool, 16);
	assert_string_equal(c.focus_allow, "127.0.0.1");
	assert_string_equal(c.mixers, "");
	assert_string_equal(c.control_addr, "");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		config_defaults(&c);
		err[0] = '\0';
		rc = cases[i].n ? args(&c, err, cases[i].n, cases[i].a[0],
				       cases[i].a[1], cases[i].a[2],
				       cases[i].a[3], cases[i].a[4],
				       cases[i].a[5]) : 0;
		rc = rc ? rc : config_validate(&c, err, sizeof(err));
		if (!cases[i].why && rc)
			fail_msg("case %zu refused: %s", i, err);
		if (cases[i].why && (!rc || !strstr(err, cases[i].why)))
			fail_msg("case %zu: want '%s', got rc %d '%s'", i,
				 cases[i].why, rc, err);
	}
	config_defaults(&c);
	assert_int_equal(args(&c, err, 4, "--role", "focus", "--mixers",
			      "127.0.0.2:5070"), 0);
	assert_int_equal(config_role(&c), CONFIG_ROLE_FOCUS);
	assert_int_equal(args(&c, err, 4, "--role", "mixer", "--mixers", ""),
			 0);
	assert_int_equal(config_role(&c), CONFIG_ROLE_MIXER);
	/* the file, too */
	config_defaults(&c);
	assert_int_equal(config_load_mem(&c, file, strlen(file), err,
					 sizeof(err)), 0);
	assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
	assert_string_equal(c.focus_allow, "10.1.1.1,10.1.1.2");
	/* a mixer's focuses join limits_exempt: 16 entries at most */
	config_defaults(&c);
	assert_int_equal(args(&c, err, 4, "--role", "mixer", "--limits-exempt",
			      "10.0.0.0/8,10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4,"
			      "10.0.0.5,10.0.0.6,10.0.0.7,10.0.0.8,10.0.0.9,"
			      "10.0.0.10,10.0.0.11,10.0.0.12,10.0.0.13,"
			      "10.0.0.14,10.0.0.15"), 0);
	assert_int_not_equal(config_validate(&c, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "focus_allow: with limits_exempt"));
}

/* caucus.conf.sample is what the settings table prints, and loading it
 * gives the defaults: the sample cannot drift from the code */
static void test_sample(void **state)
{
	const char *src = getenv("CAUCUS_SOURCE_DIR");
	char path[512], *want = NULL, *got = NULL, err[256];
	size_t wlen = 0, glen = 0;
	struct config a, b;
	FILE *f, *m;

	(void)state;
	if (!src)
		fail_msg("CAUCUS_SOURCE_DIR is not set (ctest sets it)");
	snprintf(path, sizeof(path), "%s/caucus.conf.sample", src);
	f = fopen(path, "r");
	assert_non_null(f);
	m = open_memstream(&want, &wlen);
	for (int ch; (ch = fgetc(f)) != EOF;)
		fputc(ch, m);
	fclose(f);
	fclose(m);
	m = open_memstream(&got, &glen);
	config_print_sample(m);
	fclose(m);
	if (strcmp(want, got))
		fail_msg("caucus.conf.sample is stale: caucusd --sample-config "
			 "> caucus.conf.sample");
	config_defaults(&a);
	config_defaults(&b);
	assert_int_equal(config_load_file(&b, path, err, sizeof(err)), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	free(want);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_file_hostile),
		cmocka_unit_test(test_role),
		cmocka_unit_test(test_sample),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
