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
		cmocka_unit_test(test_sample),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
