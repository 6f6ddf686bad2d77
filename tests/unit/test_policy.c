/* The conference policy: glob patterns, strict parsing (every bad field
 * named, nothing partly applied), print/parse round trips, and the
 * admission decision over a grid of rule orders, roles, locks, limits and
 * times (a fake clock: times are arguments). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "conf/policy.h"

static struct policy pol, base;

static int parse(const char *json, const struct policy *b, char *detail)
{
	return policy_parse(&pol, b, json, strlen(json), detail, 160);
}

static void test_glob(void **state)
{
	static const struct { const char *p, *s; bool m; } g[] = {
		{"*", "", true}, {"*", "sip:a@b", true}, {"", "", true},
		{"", "a", false}, {"sip:*@example.com", "sip:a@example.com",
		 true}, {"sip:*@example.com", "sip:a@example.org", false},
		{"sip:*@*.example.com", "sip:a@pbx.example.com", true},
		{"sip:*@*.example.com", "sip:a@example.com", false},
		{"sip:?@x", "sip:a@x", true}, {"sip:?@x", "sip:ab@x", false},
		{"SIP:A*", "sip:abc", true}, {"*b*b*", "abab", true},
		{"*b*b*", "ab", false}, {"a*", "a", true}, {"a*b", "ab", true},
		{"a*b", "acb", true}, {"a*b", "acbc", false},
		{"a**b", "axxb", true}, {"?", "", false}, {"*?", "", false},
		{"*?", "x", true}, {"sip:100?@pbx", "sip:1001@pbx", true},
		{"sip:100?@pbx", "sip:10011@pbx", false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++)
		if (policy_glob(g[i].p, g[i].s) != g[i].m)
			fail_msg("glob '%s' on '%s' should be %d", g[i].p,
				 g[i].s, g[i].m);
}

static void test_garbage(void **state)
{
	static const struct { const char *json, *field; } bad[] = {
		{"", "JSON object"}, {"[]", "JSON object"},
		{"nope", "JSON object"}, {"{\"x\":1}", "'x'"},
		{"{\"start\":\"soon\"}", "'start'"},
		{"{\"start\":-1}", "'start'"}, {"{\"end\":1.5}", "'end'"},
		{"{\"start\":100,\"end\":50}", "'end'"},
		{"{\"max_participants\":-3}", "'max_participants'"},
		{"{\"max_participants\":1000001}", "'max_participants'"},
		{"{\"locked\":\"yes\"}", "'locked'"},
		{"{\"destroy_on_last_leave\":1}", "'destroy_on_last_leave'"},
		{"{\"default_action\":\"maybe\"}", "'default_action'"},
		{"{\"rules\":{}}", "'rules'"}, {"{\"rules\":[1]}", "rules[0]"},
		{"{\"rules\":[{}]}", "rules[0]"},
		{"{\"rules\":[{\"aor\":\"sip:a@b\"}]}", "rules[0]"},
		{"{\"rules\":[{\"action\":\"allow\"}]}", "rules[0]"},
		{"{\"rules\":[{\"aor\":\"\",\"action\":\"allow\"}]}",
		 "rules[0].aor"},
		{"{\"rules\":[{\"aor\":5,\"action\":\"allow\"}]}",
		 "rules[0].aor"},
		{"{\"rules\":[{\"aor\":\"a\",\"domain\":\"b\","
		 "\"action\":\"deny\"}]}", "rules[0]"},
		{"{\"rules\":[{\"domain\":\"b\",\"action\":\"maybe\"}]}",
		 "rules[0].action"},
		{"{\"rules\":[{\"domain\":\"b\",\"action\":\"deny\","
		 "\"x\":1}]}", "rules[0].x"},
		{"{\"rules\":[{\"domain\":\"b\",\"action\":\"deny\"},"
		 "{\"pattern\":7,\"action\":\"deny\"}]}", "rules[1].pattern"},
		{"{\"users\":[{}]}", "users[0]"},
		{"{\"users\":[{\"aor\":\"bob\"}]}", "users[0].aor"},
		{"{\"users\":[{\"aor\":\"sip:b@x\",\"role\":\"king\"}]}",
		 "users[0].role"},
		{"{\"users\":[{\"aor\":\"sip:b@x\",\"hidden\":\"no\"}]}",
		 "users[0].hidden"},
		{"{\"users\":[{\"aor\":\"sip:b@x\",\"color\":\"red\"}]}",
		 "users[0].color"},
		{"{\"users\":[{\"aor\":\"sip:b@x\"},{\"aor\":\"SIP:B@X\"}]}",
		 "twice"},
		{"{\"users\":\"sip:b@x\"}", "'users'"},
	};
	char detail[160];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* nothing partly applied: the output keeps its old value */
		policy_default(&pol);
		pol.max_participants = 77;
		detail[0] = '\0';
		if (parse(bad[i].json, NULL, detail) != EINVAL)
			fail_msg("accepted: %s", bad[i].json);
		if (!strstr(detail, bad[i].field))
			fail_msg("%s: detail '%s' does not name %s",
				 bad[i].json, detail, bad[i].field);
		assert_int_equal(pol.max_participants, 77);
	}
}

static void test_roundtrip_and_patch(void **state)
{
	char detail[160], out[4096], out2[4096];
	static struct policy again;

	(void)state;
	assert_int_equal(parse("{\"start\":1000,\"end\":2000,"
			       "\"max_participants\":5,\"locked\":true,"
			       "\"destroy_on_last_leave\":true,"
			       "\"default_action\":\"deny\",\"rules\":["
			       "{\"domain\":\"example.com\",\"action\":"
			       "\"allow\"},{\"pattern\":\"sip:\\\"*\","
			       "\"action\":\"deny\"}],\"users\":[{\"aor\":"
			       "\"sip:boss@example.com\",\"role\":"
			       "\"moderator\",\"hidden\":true}]}", NULL,
			       detail), 0);
	re_snprintf(out, sizeof(out), "%H", policy_print, &pol);
	assert_int_equal(policy_parse(&again, NULL, out, strlen(out), detail,
				      sizeof(detail)), 0);
	re_snprintf(out2, sizeof(out2), "%H", policy_print, &again);
	assert_string_equal(out, out2);
	assert_non_null(strstr(out, "\"pattern\":\"sip:\\\"*\""));
	/* PATCH keeps what it does not name; PUT resets it */
	base = pol;
	assert_int_equal(parse("{\"locked\":false}", &base, detail), 0);
	assert_false(pol.locked);
	assert_int_equal(pol.max_participants, 5);
	assert_int_equal(pol.nrules, 2);
	assert_int_equal(parse("{\"locked\":false}", NULL, detail), 0);
	assert_int_equal(pol.max_participants, 0);
	assert_int_equal(pol.nrules, 0);
	assert_int_equal(pol.default_action, POLICY_ALLOW);
}

/* The grid: 4 rule sets x 2 default actions x 5 callers (3 roles) x lock
 * x 3 occupancies x 4 moments = 960 decisions, each checked against the
 * rules as the documentation states them. */
static void test_admission_grid(void **state)
{
	static const char *const rulesets[] = {
		"[]",
		"[{\"domain\":\"evil.example\",\"action\":\"deny\"}]",
		"[{\"aor\":\"sip:boss@corp.example\",\"action\":\"deny\"},"
		"{\"pattern\":\"sip:*@corp.example\",\"action\":\"allow\"}]",
		"[{\"pattern\":\"sip:*@corp.example\",\"action\":\"allow\"},"
		"{\"aor\":\"sip:boss@corp.example\",\"action\":\"deny\"}]",
	};
	static const char *const callers[] = {
		"sip:boss@corp.example",      /* moderator by entry */
		"sip:ann@corp.example",
		"sip:mal@evil.example",
		"sip:guest@other.example",
		"sip:admin@other.example",    /* administrator by entry */
	};
	static const int64_t moments[] = {50, 100, 150, 200};
	char json[1024], detail[160];
	unsigned n = 0;

	(void)state;
	for (size_t rs = 0; rs < 4; rs++)
	for (int dflt = 0; dflt < 2; dflt++)
	for (int locked = 0; locked < 2; locked++) {
		snprintf(json, sizeof(json), "{\"start\":100,\"end\":200,"
			 "\"max_participants\":3,\"locked\":%s,"
			 "\"default_action\":\"%s\",\"rules\":%s,\"users\":["
			 "{\"aor\":\"sip:boss@corp.example\",\"role\":"
			 "\"moderator\"},{\"aor\":\"sip:admin@other.example\","
			 "\"role\":\"administrator\"}]}",
			 locked ? "true" : "false", dflt ? "deny" : "allow",
			 rulesets[rs]);
		assert_int_equal(parse(json, NULL, detail), 0);
		for (size_t c = 0; c < 5; c++)
		for (unsigned present = 2; present <= 4; present++)
		for (size_t m = 0; m < 4; m++) {
			struct policy_admission a;
			const char *who = callers[c];
			bool boss = c == 0 || c == 4;
			int action = -1;          /* 1: deny */
			bool want;
			uint16_t code = 0;

			/* first matching rule, as written */
			if (rs == 1 && c == 2)
				action = 1;
			if (rs == 2 && c == 0)
				action = 1;
			else if ((rs == 2 || rs == 3) && (c == 0 || c == 1))
				action = 0;
			/* no rule: an entry admits, else the default */
			if (action < 0)
				action = boss ? 0 : dflt;
			if (moments[m] < 100 || moments[m] >= 200) {
				want = false;
				code = 403;
			}
			else if (action) {
				want = false;
				code = 403;
			}
			else if (locked && !boss) {
				want = false;
				code = 403;
			}
			else if (present >= 3 && !boss) {
				want = false;
				code = 486;
			}
			else {
				want = true;
			}
			policy_admit(&pol, who, moments[m], present, &a);
			if (a.allowed != want || (!want && a.scode != code))
				fail_msg("rules %zu dflt %d locked %d %s t=%lld "
					 "n=%u: got %d/%u (%s), want %d/%u", rs,
					 dflt, locked, who,
					 (long long)moments[m], present,
					 a.allowed, a.scode,
					 a.reason ? a.reason : "", want, code);
			assert_string_equal(a.role, c == 0 ? "moderator" :
					    c == 4 ? "administrator" :
					    "participant");
			n++;
		}
	}
	assert_int_equal(n, 960);
}

/* moderate: admitted but waiting, except moderators and administrators;
 * deny and the limits still come first */
static void test_moderation(void **state)
{
	struct policy_admission a;
	char detail[160];

	(void)state;
	assert_int_equal(parse("{\"default_action\":\"moderate\","
			       "\"max_participants\":2,\"rules\":["
			       "{\"domain\":\"corp.example\",\"action\":"
			       "\"allow\"},{\"domain\":\"evil.example\","
			       "\"action\":\"deny\"}],\"users\":[{\"aor\":"
			       "\"sip:mod@x.example\",\"role\":\"moderator\"}]}",
			       NULL, detail), 0);
	policy_admit(&pol, "sip:guest@x.example", 0, 0, &a);
	assert_true(a.allowed && a.pending);
	policy_admit(&pol, "sip:ann@corp.example", 0, 0, &a);
	assert_true(a.allowed && !a.pending);
	policy_admit(&pol, "sip:mal@evil.example", 0, 0, &a);
	assert_false(a.allowed);
	policy_admit(&pol, "sip:mod@x.example", 0, 0, &a);
	assert_true(a.allowed && !a.pending);        /* an entry, and a boss */
	policy_admit(&pol, "sip:guest@x.example", 0, 2, &a);
	assert_false(a.allowed);                     /* full first */
	assert_int_equal(a.scode, 486);
	assert_int_equal(parse("{\"rules\":[{\"pattern\":\"sip:*\","
			       "\"action\":\"moderate\"}]}", NULL, detail),
			 0);
	policy_admit(&pol, "sip:x@y", 0, 0, &a);
	assert_true(a.allowed && a.pending);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_roundtrip_and_patch),
		cmocka_unit_test(test_admission_grid),
		cmocka_unit_test(test_moderation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
