/*
 * What nodes of a cluster say to each other (src/cluster/cluster_wire.c):
 * the Caucus-Link header (decoded, signed, refused when anything in it is
 * off) and a node's roster share (read back from what a node prints,
 * garbage refused).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "cluster/cluster_wire.h"

static const char *secret = "0123456789abcdef0123456789abcdef";

static struct cluster_link make_link(void)
{
	struct cluster_link l = {.ts = 1764936000};

	strcpy(l.node, "n2");
	strcpy(l.conf, "big");
	strcpy(l.focus, "sip:big@127.0.0.12:5060");
	return l;
}

static int decode_str(struct cluster_link *l, const char *s)
{
	struct pl pl;

	pl_set_str(&pl, s);
	return cluster_link_decode(l, &pl);
}

static void link_round_trip(void **state)
{
	struct cluster_link l = make_link(), back;
	char hdr[512];

	(void)state;
	assert_int_equal(cluster_link_print(hdr, sizeof(hdr), secret, &l), 0);
	assert_non_null(strstr(hdr, "Caucus-Link: node=n2;conf=big;"));
	hdr[strlen(hdr) - 2] = '\0';
	assert_int_equal(decode_str(&back, hdr + 13), 0);
	assert_string_equal(back.node, "n2");
	assert_string_equal(back.conf, "big");
	assert_string_equal(back.focus, "sip:big@127.0.0.12:5060");
	assert_true(back.ts == 1764936000);
	assert_true(cluster_link_valid(secret, &back));
	/* another secret, or any field changed: no longer valid */
	assert_false(cluster_link_valid("another-secret-of-the-same-len!!",
					&back));
	strcpy(back.conf, "other");
	assert_false(cluster_link_valid(secret, &back));
	strcpy(back.conf, "big");
	strcpy(back.node, "n3");
	assert_false(cluster_link_valid(secret, &back));
	strcpy(back.node, "n2");
	back.ts--;
	assert_false(cluster_link_valid(secret, &back));
	back.ts++;
	/* the hex in upper case is the same signature */
	for (char *p = back.sig; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
	assert_true(cluster_link_valid(secret, &back));
}

static void link_garbage(void **state)
{
	static const char *bad[] = {
		"",
		"node=n2",
		"node=n2;conf=big;focus=sip:big@h;ts=1;sig=",
		"node=n2;conf=big;focus=sip:big@h;ts=x1;sig="
		"00000000000000000000000000000000"
		"00000000000000000000000000000000",
		"node=n 2;conf=big;focus=sip:big@h;ts=1;sig="
		"00000000000000000000000000000000"
		"00000000000000000000000000000000",
		"node=n2;conf=b/g;focus=sip:big@h;ts=1;sig="
		"00000000000000000000000000000000"
		"00000000000000000000000000000000",
		"node=n2;conf=big;focus=http://h;ts=1;sig="
		"00000000000000000000000000000000"
		"00000000000000000000000000000000",
		"node=n2;conf=big;focus=sip:a@h,sip:b@h;ts=1;sig="
		"00000000000000000000000000000000"
		"00000000000000000000000000000000",
		"node=n2;conf=big;focus=sip:big@h;ts=1;sig=00",
		"node=n2;conf=big;focus=sip:big@h;ts=1;sig="
		"00000000000000000000000000000000"
		"0000000000000000000000000000000g",
		"node=n2;conf=big;focus=sip:big@h;ts=12345678901234567890;sig="
		"00000000000000000000000000000000"
		"00000000000000000000000000000000",
		"node=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;conf=big;"
		"focus=sip:big@h;ts=1;sig="
		"00000000000000000000000000000000"
		"00000000000000000000000000000000",
	};
	struct cluster_link l;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(decode_str(&l, bad[i]), EBADMSG);
	assert_int_equal(cluster_link_decode(&l, NULL), EBADMSG);
	/* a NUL inside a value (fuzz_cluster found it: the node's name
	 * read as "" and taken) */
	{
		static const char nul[] = "node=\0\0n2;conf=big;focus=sip:b@h;"
			"ts=1;sig=000000000000000000000000000000000000000000"
			"0000000000000000000000";
		struct pl pl = {.p = nul, .l = sizeof(nul) - 1};

		assert_int_equal(cluster_link_decode(&l, &pl), EBADMSG);
	}
	/* spaces around the separators are taken */
	assert_int_equal(decode_str(&l, " node=n2 ; conf=big ;focus=sip:b@h;"
				    "ts=7; sig=00000000000000000000000000"
				    "00000000000000000000000000000000000000"),
			 0);
	assert_string_equal(l.node, "n2");
	assert_string_equal(l.conf, "big");
	assert_true(l.ts == 7);
}

static void share_parse(void **state)
{
	const char *doc = "{\"v\":1,\"participants\":["
		"{\"id\":\"1\",\"uri\":\"sip:a@x\",\"display\":\"A\","
		"\"role\":\"moderator\",\"status\":\"on-hold\","
		"\"muted\":true,\"anonymous\":true,\"hand\":true,"
		"\"codec\":\"PCMU\",\"joined_at\":42},"
		"{\"id\":\"\",\"uri\":\"sip:nobody@x\"},"
		"7,"
		"{\"id\":\"3\",\"uri\":\"sip:big@n1\",\"status\":\"connected\","
		"\"focus\":\"sip:big@10.0.0.3:5060\"}]}";
	struct conf_remote *v = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(cluster_share_parse("n1", doc, strlen(doc), &v, &n),
			 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].node, "n1");
	assert_string_equal(v[0].pid, "1");
	assert_string_equal(v[0].uri, "sip:a@x");
	assert_string_equal(v[0].display, "A");
	assert_string_equal(v[0].role, "moderator");
	assert_int_equal(v[0].status, PART_ON_HOLD);
	assert_true(v[0].muted && v[0].anonymous && v[0].hand);
	assert_false(v[0].deaf || v[0].hidden || v[0].pending);
	assert_string_equal(v[0].codec, "PCMU");
	assert_true(v[0].joined_at == 42);
	assert_string_equal(v[1].pid, "3");
	assert_string_equal(v[1].role, "participant");
	assert_string_equal(v[1].focus, "sip:big@10.0.0.3:5060");
	mem_deref(v);
}

static void share_garbage(void **state)
{
	static const char *bad[] = {
		"", "{", "[]", "{\"participants\":{}}", "{\"participants\":1}",
		"{\"v\":1}", "nonsense", "{\"participants\":[",
	};
	struct conf_remote *v = (void *)1;
	size_t n = 1;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cluster_share_parse("n1", bad[i],
						     strlen(bad[i]), &v, &n),
				 EBADMSG);
		assert_null(v);
		assert_int_equal(n, 0);
	}
	assert_int_equal(cluster_share_parse("a-node-name-longer-than-32-ch"
					     "ars!", "{}", 2, &v, &n), EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(link_round_trip),
		cmocka_unit_test(link_garbage),
		cmocka_unit_test(share_parse),
		cmocka_unit_test(share_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
