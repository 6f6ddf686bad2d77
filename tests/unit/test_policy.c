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
		{"{\"mixing\":\"self\"}", "'mixing'"},
		{"{\"mixing\":true}", "'mixing'"},
		{"{\"users\":[{\"aor\":\"sip:b@x\",\"mixing\":"
		 "\"distributed\"}]}", "users[0].mixing"},
		{"{\"users\":[{\"aor\":\"sip:b@x\",\"mixing\":\"\"}]}",
		 "users[0].mixing"},
		{"{\"idle_timeout_s\":-1}", "'idle_timeout_s'"},
		{"{\"allow_unauthenticated\":0}", "'allow_unauthenticated'"},
		{"{\"changes\":[]}", "'changes'"},
		{"{\"changes\":{\"ttl_s\":0}}", "changes.ttl_s"},
		{"{\"changes\":{\"ttl_s\":\"x\"}}", "changes.ttl_s"},
		{"{\"changes\":{\"floor\":{}}}", "changes.floor"},
		{"{\"changes\":{\"media\":[]}}", "changes.media"},
		{"{\"changes\":{\"media\":{\"direct\":\"moderator\"}}}",
		 "changes.media.direct"},
		{"{\"changes\":{\"media\":{\"direct\":[\"king\"]}}}",
		 "changes.media.direct"},
		{"{\"changes\":{\"media\":{\"who\":[]}}}", "changes.media.who"},
		{"{\"self_service\":1}", "'self_service'"},
		{"{\"self_service\":{\"roles\":[\"moderator\"]}}",
		 "self_service.roles"},
		{"{\"self_service\":{\"anonymous\":\"yes\"}}",
		 "self_service.anonymous"},
		{"{\"self_service\":{\"x\":true}}", "self_service.x"},
		{"{\"rules\":[{\"domain\":\"b\",\"action\":\"auth\"}]}",
		 "rules[0].action"},
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
			policy_admit(&pol, who, true, moments[m], present, &a);
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
	policy_admit(&pol, "sip:guest@x.example", true, 0, 0, &a);
	assert_true(a.allowed && a.pending);
	policy_admit(&pol, "sip:ann@corp.example", true, 0, 0, &a);
	assert_true(a.allowed && !a.pending);
	policy_admit(&pol, "sip:mal@evil.example", true, 0, 0, &a);
	assert_false(a.allowed);
	policy_admit(&pol, "sip:mod@x.example", true, 0, 0, &a);
	assert_true(a.allowed && !a.pending);        /* an entry, and a boss */
	policy_admit(&pol, "sip:guest@x.example", true, 0, 2, &a);
	assert_false(a.allowed);                     /* full first */
	assert_int_equal(a.scode, 486);
	assert_int_equal(parse("{\"rules\":[{\"pattern\":\"sip:*\","
			       "\"action\":\"moderate\"}]}", NULL, detail),
			 0);
	policy_admit(&pol, "sip:x@y", true, 0, 0, &a);
	assert_true(a.allowed && a.pending);
}

/* Authentication: who must prove who they are, before anything else
 * but the lifespan is decided. 2 x 3 rule sets x 3 callers x 2 = 36. */
static void test_auth(void **state)
{
	static const char *const rulesets[] = {
		"[]",
		"[{\"domain\":\"corp.example\",\"action\":\"authenticate\"}]",
		"[{\"aor\":\"sip:ann@corp.example\",\"action\":\"deny\"},"
		"{\"pattern\":\"sip:*\",\"action\":\"authenticate\"}]",
	};
	static const char *const callers[] = {
		"sip:ann@corp.example", "sip:bob@corp.example",
		"sip:eve@else.example",
	};
	char json[512], detail[160];
	unsigned n = 0;

	(void)state;
	for (int unauth = 0; unauth < 2; unauth++)
	for (size_t rs = 0; rs < 3; rs++) {
		snprintf(json, sizeof(json), "{\"allow_unauthenticated\":%s,"
			 "\"rules\":%s}", unauth ? "true" : "false",
			 rulesets[rs]);
		assert_int_equal(parse(json, NULL, detail), 0);
		for (size_t c = 0; c < 3; c++)
		for (int authed = 0; authed < 2; authed++) {
			struct policy_admission a;
			bool rule_auth = (rs == 1 && c < 2) ||
				(rs == 2 && c > 0);
			bool denied = rs == 2 && c == 0;
			bool need = !unauth || rule_auth;

			assert_int_equal(policy_needs_auth(&pol, callers[c]),
					 need);
			policy_admit(&pol, callers[c], authed, 0, 0, &a);
			if (need && !authed) {
				assert_false(a.allowed);
				assert_true(a.need_auth);
				assert_int_equal(a.scode, 401);
			}
			else if (denied) {
				assert_false(a.allowed);
				assert_int_equal(a.scode, 403);
			}
			else {
				assert_true(a.allowed && !a.pending);
			}
			n++;
		}
	}
	assert_int_equal(n, 36);
}

/* Which parts a change touches */
static void test_diff(void **state)
{
	static const struct { const char *patch; unsigned parts; } d[] = {
		{"{}", 0},
		{"{\"end\":99999}", 1u << POLICY_PART_LIFESPAN},
		{"{\"idle_timeout_s\":60}", 1u << POLICY_PART_LIFESPAN},
		{"{\"locked\":true}", 1u << POLICY_PART_MEMBERSHIP},
		{"{\"rules\":[]}", 1u << POLICY_PART_MEMBERSHIP},
		{"{\"rules\":[{\"domain\":\"x\",\"action\":\"deny\"}]}", 0},
		{"{\"users\":[{\"aor\":\"sip:a@x\",\"role\":\"moderator\"}]}",
		 1u << POLICY_PART_MEMBERSHIP},
		{"{\"users\":[{\"aor\":\"sip:a@x\",\"role\":\"listener\","
		 "\"anonymous\":true}]}", 1u << POLICY_PART_PRIVACY},
		{"{\"users\":[{\"aor\":\"sip:a@x\",\"role\":\"moderator\","
		 "\"anonymous\":true}]}",
		 1u << POLICY_PART_PRIVACY | 1u << POLICY_PART_MEMBERSHIP},
		{"{\"users\":[]}", 1u << POLICY_PART_MEMBERSHIP},
		{"{\"users\":[{\"aor\":\"sip:a@x\",\"role\":\"listener\"},"
		 "{\"aor\":\"sip:b@x\",\"hidden\":true}]}",
		 1u << POLICY_PART_PRIVACY | 1u << POLICY_PART_MEMBERSHIP},
		{"{\"self_service\":{\"hidden\":true}}",
		 1u << POLICY_PART_PRIVACY},
		{"{\"reveal_anonymous\":false}", 1u << POLICY_PART_PRIVACY},
		{"{\"allow_unauthenticated\":false}",
		 1u << POLICY_PART_MEMBERSHIP},
		{"{\"users\":[{\"aor\":\"sip:a@x\",\"role\":\"listener\","
		 "\"invite\":true}]}", 1u << POLICY_PART_MEMBERSHIP},
		{"{\"changes\":{\"ttl_s\":5}}", 1u << POLICY_PART_CONTROL},
		{"{\"mixing\":\"distributed\"}", 1u << POLICY_PART_MEDIA},
		{"{\"mixing\":\"focus\"}", 0},
		{"{\"users\":[{\"aor\":\"sip:a@x\",\"role\":\"listener\","
		 "\"mixing\":\"self\"}]}", 1u << POLICY_PART_MEDIA},
		{"{\"users\":[{\"aor\":\"sip:a@x\",\"role\":\"listener\"},"
		 "{\"aor\":\"sip:b@x\",\"mixing\":\"focus\"}]}",
		 1u << POLICY_PART_MEMBERSHIP | 1u << POLICY_PART_MEDIA},
		{"{\"end\":99999,\"changes\":{\"media\":{\"direct\":[]}}}",
		 1u << POLICY_PART_LIFESPAN | 1u << POLICY_PART_CONTROL},
	};
	char detail[160];

	(void)state;
	assert_int_equal(parse("{\"rules\":[{\"domain\":\"x\",\"action\":"
			       "\"deny\"}],\"users\":[{\"aor\":\"sip:a@x\","
			       "\"role\":\"listener\"}]}", NULL, detail), 0);
	base = pol;
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		assert_int_equal(parse(d[i].patch, &base, detail), 0);
		if (policy_diff(&base, &pol) != d[i].parts)
			fail_msg("%s: parts %#x, want %#x", d[i].patch,
				 policy_diff(&base, &pol), d[i].parts);
		assert_int_equal(policy_diff(&pol, &base), d[i].parts);
	}
}

/* Distributed mixing (spec s. 6.4): "mixing" of the conference and of
 * a user's entry, parsed, printed (an entry's only when it names one:
 * documents without it read and print as before) and decided */
static void test_mixing(void **state)
{
	char detail[160], out[4096];
	static struct policy again;

	(void)state;
	assert_int_equal(parse("{}", NULL, detail), 0);
	assert_int_equal(pol.mixing, POLICY_MIXING_FOCUS);
	assert_false(policy_self_mixing(&pol, "sip:a@x"));
	assert_false(policy_mixing_any(&pol));
	re_snprintf(out, sizeof(out), "%H", policy_print, &pol);
	assert_non_null(strstr(out, "\"mixing\":\"focus\""));
	assert_int_equal(parse("{\"mixing\":\"distributed\",\"users\":["
			       "{\"aor\":\"sip:a@x\",\"mixing\":\"focus\"},"
			       "{\"aor\":\"sip:b@x\"}]}", NULL, detail), 0);
	assert_false(policy_self_mixing(&pol, "sip:a@x"));
	assert_true(policy_self_mixing(&pol, "sip:b@x"));
	assert_true(policy_self_mixing(&pol, "sip:c@x"));
	assert_true(policy_mixing_any(&pol));
	re_snprintf(out, sizeof(out), "%H", policy_print, &pol);
	assert_non_null(strstr(out, "\"mixing\":\"distributed\""));
	assert_non_null(strstr(out, "\"invite\":false,\"mixing\":\"focus\"}"));
	assert_non_null(strstr(out, "\"aor\":\"sip:b@x\",\"role\":"
			       "\"participant\",\"anonymous\":false,"
			       "\"hidden\":false,\"muted\":false,"
			       "\"invite\":false}"));
	assert_int_equal(policy_parse(&again, NULL, out, strlen(out), detail,
				      sizeof(detail)), 0);
	assert_memory_equal(&again, &pol, sizeof(pol));
	/* a focus conference: one user's endpoint may */
	base = pol;
	assert_int_equal(parse("{\"mixing\":\"focus\",\"users\":[{\"aor\":"
			       "\"sip:a@x\",\"mixing\":\"self\"}]}", &base,
			       detail), 0);
	assert_true(policy_self_mixing(&pol, "SIP:A@X"));
	assert_false(policy_self_mixing(&pol, "sip:b@x"));
	assert_true(policy_mixing_any(&pol));
	/* PATCH keeps it */
	base = pol;
	assert_int_equal(parse("{\"locked\":true}", &base, detail), 0);
	assert_int_equal(pol.users[0].mixing, POLICY_USER_MIXING_SELF);
}

/* Who may change what: 4 roles x 31 sets of parts x 3 access list
 * settings for media = 372 verdicts */
static void test_change_acl(void **state)
{
	static const char *const acls[] = {
		"{}",
		"{\"changes\":{\"media\":{\"direct\":[\"moderator\"],"
		"\"moderated\":[\"participant\",\"listener\"],"
		"\"moderators\":[\"moderator\"]}}}",
		"{\"changes\":{\"media\":{\"direct\":[],\"moderated\":"
		"[\"participant\"]},\"membership\":{\"moderated\":"
		"[\"participant\"]}}}",
	};
	static const unsigned role[] = {
		POLICY_ROLE_ADMINISTRATOR, POLICY_ROLE_MODERATOR,
		POLICY_ROLE_PARTICIPANT, POLICY_ROLE_LISTENER,
	};
	char detail[160];
	unsigned n = 0;

	(void)state;
	for (size_t ac = 0; ac < 3; ac++) {
		assert_int_equal(parse(acls[ac], NULL, detail), 0);
		for (size_t r = 0; r < 4; r++)
		for (unsigned parts = 1; parts < 32; parts++) {
			enum policy_verdict want = POLICY_CHANGE_DIRECT;
			bool may_mod = true;
			const char *why = NULL;

			for (unsigned i = 0; i <= POLICY_PART_CONTROL; i++) {
				enum policy_verdict v;
				bool mod;

				if (!(parts & (1u << i)))
					continue;
				/* the rules as documented, per part */
				if (r == 0) {
					v = POLICY_CHANGE_DIRECT;
					mod = true;
				}
				else if (i == POLICY_PART_CONTROL ||
					 i == POLICY_PART_LIFESPAN) {
					v = POLICY_CHANGE_FORBIDDEN;
					mod = i == POLICY_PART_LIFESPAN &&
						r == 1;
				}
				else if (i == POLICY_PART_MEDIA && ac == 2) {
					v = r == 2 ? POLICY_CHANGE_MODERATED :
						POLICY_CHANGE_FORBIDDEN;
					mod = r == 1;
				}
				else if (i == POLICY_PART_MEDIA && ac == 1) {
					v = r == 1 ? POLICY_CHANGE_DIRECT :
						POLICY_CHANGE_MODERATED;
					mod = r == 1;
				}
				else if (i == POLICY_PART_MEMBERSHIP &&
					 ac == 2 && r == 2) {
					v = POLICY_CHANGE_MODERATED;
					mod = false;
				}
				else {
					v = r == 1 ? POLICY_CHANGE_DIRECT :
						POLICY_CHANGE_FORBIDDEN;
					mod = r == 1;
				}
				if (v > want)
					want = v;
				may_mod = may_mod && mod;
			}
			if (policy_may_change(&pol, role[r], parts, &why) !=
			    want)
				fail_msg("acl %zu role %u parts %#x: got %d, "
					 "want %d", ac, role[r], parts,
					 policy_may_change(&pol, role[r],
							   parts, NULL),
					 want);
			if (want == POLICY_CHANGE_FORBIDDEN)
				assert_non_null(why);
			assert_int_equal(policy_may_moderate(&pol, role[r],
							     parts), may_mod);
			n++;
		}
	}
	assert_int_equal(n, 372);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_roundtrip_and_patch),
		cmocka_unit_test(test_admission_grid),
		cmocka_unit_test(test_moderation),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_mixing),
		cmocka_unit_test(test_change_acl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
