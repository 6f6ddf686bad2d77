/* The media policy: defaults, strict parsing (every bad field named,
 * nothing partly applied), print/parse round trips, PATCH over a base,
 * the limits, which relation decides for a listener and a speaker, and
 * who lectures. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "conf/mediapol.h"
#include "alloc_fail.h"

static struct mediapol mp, base, back;

static const char full_doc[] =
	"{\"relations\":["
	"{\"listener\":{\"role\":\"participant\"},"
	"\"speaker\":{\"uri\":\"sip:bob@example.com\"},\"gain_db\":-6},"
	"{\"listener\":{\"participant\":\"p3\"},"
	"\"speaker\":{\"role\":\"listener\"},\"hears\":false}],"
	"\"lecture\":{\"enabled\":true,\"lecturers\":[{\"role\":"
	"\"moderator\"},{\"uri\":\"sip:prof@example.com\"}]},"
	"\"sidebar_background_db\":-12}";

/* what mediapol_print makes of full_doc */
static const char full_printed[] =
	"{\"relations\":["
	"{\"listener\":{\"role\":\"participant\"},"
	"\"speaker\":{\"uri\":\"sip:bob@example.com\"},\"hears\":true,"
	"\"gain_db\":-6},"
	"{\"listener\":{\"participant\":\"p3\"},"
	"\"speaker\":{\"role\":\"listener\"},\"hears\":false}],"
	"\"lecture\":{\"enabled\":true,\"lecturers\":[{\"role\":"
	"\"moderator\"},{\"uri\":\"sip:prof@example.com\"}]},"
	"\"sidebar_background_db\":-12}";

static int parse(struct mediapol *out, const char *json,
		 const struct mediapol *b, char *detail)
{
	return mediapol_parse(out, b, json, strlen(json), detail, 200);
}

/* print, parse, equal; returns what printed (the caller frees it) */
static char *roundtrip(const struct mediapol *p)
{
	char detail[200] = "";
	char *json = NULL;

	assert_int_equal(re_sdprintf(&json, "%H", mediapol_print, p), 0);
	if (parse(&back, json, NULL, detail))
		fail_msg("printed '%s' does not parse: %s", json, detail);
	if (!mediapol_equal(p, &back))
		fail_msg("printed '%s' parses to another policy", json);
	return json;
}

static void test_defaults(void **state)
{
	char detail[200];
	char *json;

	(void)state;
	mediapol_default(&mp);
	assert_int_equal(mp.nrel, 0);
	assert_false(mp.lecture);
	assert_int_equal(mp.nlect, 0);
	assert_true(mp.sidebar_bg);
	assert_true(mp.sidebar_bg_db == -12.0);
	json = roundtrip(&mp);
	assert_string_equal(json, "{\"relations\":[],\"lecture\":{"
			    "\"enabled\":false,\"lecturers\":[]},"
			    "\"sidebar_background_db\":-12}");
	mem_deref(json);
	/* a PUT of nothing is the defaults, whatever was there */
	assert_int_equal(parse(&base, full_doc, NULL, detail), 0);
	assert_int_equal(parse(&base, " \r\n\t{ } ", NULL, detail), 0);
	assert_true(mediapol_equal(&base, &mp));
}

static void test_roundtrip(void **state)
{
	char detail[200] = "";
	char *json;

	(void)state;
	if (parse(&mp, full_doc, NULL, detail))
		fail_msg("refused: %s", detail);
	assert_int_equal(mp.nrel, 2);
	assert_int_equal(mp.rel[0].listener.kind, MEDIAPOL_ROLE);
	assert_string_equal(mp.rel[0].listener.value, "participant");
	assert_int_equal(mp.rel[0].speaker.kind, MEDIAPOL_URI);
	assert_string_equal(mp.rel[0].speaker.value, "sip:bob@example.com");
	assert_true(mp.rel[0].hears);
	assert_true(mp.rel[0].gain_db == -6.0);
	assert_int_equal(mp.rel[1].listener.kind, MEDIAPOL_PARTICIPANT);
	assert_string_equal(mp.rel[1].listener.value, "p3");
	assert_false(mp.rel[1].hears);
	assert_true(mp.lecture);
	assert_int_equal(mp.nlect, 2);
	assert_int_equal(mp.lecturers[1].kind, MEDIAPOL_URI);
	assert_true(mp.sidebar_bg);
	json = roundtrip(&mp);
	assert_string_equal(json, full_printed);
	/* printing is deterministic (conf.c hashes it for the ETag) */
	mem_deref(json);
	json = roundtrip(&back);
	assert_string_equal(json, full_printed);
	mem_deref(json);
}

static void test_gains(void **state)
{
	static const struct { const char *in; double db; bool hears;
		const char *out; } g[] = {
		{"0", 0, true, "0"}, {"-6", -6, true, "-6"},
		{"-6.5", -6.5, true, "-6.5"}, {"12", 12, true, "12"},
		{"12.0", 12, true, "12"}, {"-0.1", -0.1, true, "-0.1"},
		{"3.125", 3.125, true, "3.125"}, {"-0.0", 0, true, "0"},
		{"1e1", 10, true, "10"}, {"-59.999", -59.999, true,
		 "-59.999"},
		/* kept to a thousandth of a dB */
		{"-6.00049", -6, true, "-6"}, {"0.0004", 0, true, "0"},
		{"-0.0006", -0.001, true, "-0.001"},
		{"11.9996", 12, true, "12"},
		/* the floor is silence: stored as not hearing */
		{"-60", 0, false, NULL}, {"-60.0", 0, false, NULL},
		{"-59.9996", 0, false, NULL},
	};
	char doc[300], want[64], detail[200] = "";
	char *json;

	(void)state;
	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		snprintf(doc, sizeof(doc), "{\"relations\":[{\"listener\":"
			 "{\"role\":\"listener\"},\"speaker\":{\"role\":"
			 "\"moderator\"},\"gain_db\":%s}],"
			 "\"sidebar_background_db\":%s}", g[i].in, g[i].in);
		if (parse(&mp, doc, NULL, detail))
			fail_msg("%s refused: %s", g[i].in, detail);
		assert_int_equal(mp.rel[0].hears, g[i].hears);
		if (g[i].hears && mp.rel[0].gain_db != g[i].db)
			fail_msg("%s: %.17g", g[i].in, mp.rel[0].gain_db);
		json = roundtrip(&mp);
		snprintf(want, sizeof(want), "\"hears\":%s%s%s}",
			 g[i].hears ? "true" : "false",
			 g[i].hears ? ",\"gain_db\":" : "",
			 g[i].hears ? g[i].out : "");
		if (!strstr(json, want))
			fail_msg("%s printed as %s", g[i].in, json);
		mem_deref(json);
	}
	/* the sidebars' background: null is off, a number on */
	assert_int_equal(parse(&mp, "{\"sidebar_background_db\":null}",
			       NULL, detail), 0);
	assert_false(mp.sidebar_bg);
	json = roundtrip(&mp);
	assert_non_null(strstr(json, "\"sidebar_background_db\":null}"));
	mem_deref(json);
	assert_int_equal(parse(&mp, "{\"sidebar_background_db\":-60}",
			       NULL, detail), 0);
	assert_true(mp.sidebar_bg);
	assert_true(mp.sidebar_bg_db == -60.0);
}

static void test_reject(void **state)
{
	static const struct { const char *json, *detail; } bad[] = {
		{"", "must be a JSON object"},
		{"[]", "must be a JSON object"},
		{"null", "must be a JSON object"},
		{"\"{}\"", "must be a JSON object"},
		{"{\"x\":1}", "x: is unknown"},
		{"{\"relations\":{}}", "relations: must be an array"},
		{"{\"relations\":null}", "relations: must be an array"},
		{"{\"relations\":[1]}", "relations[0]: must be an object"},
		{"{\"relations\":[{}]}", "relations[0]: needs a listener"},
		{"{\"relations\":[{\"listener\":{\"role\":\"listener\"}}]}",
		 "relations[0]: needs a speaker"},
		{"{\"relations\":[{\"speaker\":{\"role\":\"listener\"}}]}",
		 "relations[0]: needs a listener"},
		{"{\"relations\":[{\"listener\":{\"role\":\"listener\"},"
		 "\"speaker\":{\"role\":\"moderator\"}},{\"listener\":{},"
		 "\"speaker\":{\"role\":\"moderator\"}}]}",
		 "relations[1].listener: must name one of role, uri or "
		 "participant"},
		{"{\"relations\":[{\"listener\":{\"role\":\"listener\"},"
		 "\"speaker\":{\"role\":\"moderator\",\"uri\":\"sip:a@b\"}}"
		 "]}", "relations[0].speaker: must name one of role, uri or "
		 "participant"},
		{"{\"relations\":[{\"listener\":{\"name\":\"bob\"},"
		 "\"speaker\":{\"role\":\"moderator\"}}]}",
		 "relations[0].listener: must name one of"},
		{"{\"relations\":[{\"listener\":\"moderator\","
		 "\"speaker\":{\"role\":\"moderator\"}}]}",
		 "relations[0].listener: must name one of"},
		{"{\"relations\":[{\"listener\":[{\"role\":\"moderator\"}],"
		 "\"speaker\":{\"role\":\"moderator\"}}]}",
		 "relations[0].listener: must name one of"},
		{"{\"relations\":[{\"listener\":{\"role\":\"king\"},"
		 "\"speaker\":{\"role\":\"moderator\"}}]}",
		 "relations[0].listener.role: must be administrator"},
		{"{\"relations\":[{\"listener\":{\"role\":\"Moderator\"},"
		 "\"speaker\":{\"role\":\"moderator\"}}]}",
		 "relations[0].listener.role"},
		{"{\"relations\":[{\"listener\":{\"role\":1},"
		 "\"speaker\":{\"role\":\"moderator\"}}]}",
		 "relations[0].listener.role"},
		{"{\"relations\":[{\"listener\":{\"role\":\"listener\"},"
		 "\"speaker\":{\"uri\":\"bob@example.com\"}}]}",
		 "relations[0].speaker.uri: must be a sip: or sips: URI"},
		{"{\"relations\":[{\"listener\":{\"role\":\"listener\"},"
		 "\"speaker\":{\"uri\":\"sip:\"}}]}",
		 "relations[0].speaker.uri"},
		{"{\"relations\":[{\"listener\":{\"role\":\"listener\"},"
		 "\"speaker\":{\"uri\":\"sip:bob @example.com\"}}]}",
		 "relations[0].speaker.uri"},
		{"{\"relations\":[{\"listener\":{\"role\":\"listener\"},"
		 "\"speaker\":{\"uri\":\"sip:bob\\u0001@example.com\"}}]}",
		 "relations[0].speaker.uri"},
		{"{\"relations\":[{\"listener\":{\"role\":\"listener\"},"
		 "\"speaker\":{\"uri\":\"sip:bob\\t@example.com\"}}]}",
		 "relations[0].speaker.uri"},
		{"{\"relations\":[{\"listener\":{\"role\":\"listener\"},"
		 "\"speaker\":{\"uri\":\"\"}}]}", "relations[0].speaker.uri"},
		{"{\"relations\":[{\"listener\":{\"participant\":\"\"},"
		 "\"speaker\":{\"role\":\"moderator\"}}]}",
		 "relations[0].listener.participant: must be a participant "
		 "id"},
		{"{\"relations\":[{\"listener\":{\"participant\":"
		 "\"p123456789ab\"},\"speaker\":{\"role\":\"moderator\"}}]}",
		 "relations[0].listener.participant"},
		{"{\"relations\":[{\"listener\":{\"participant\":\"p.1\"},"
		 "\"speaker\":{\"role\":\"moderator\"}}]}",
		 "relations[0].listener.participant"},
		{"{\"relations\":[{\"listener\":{\"participant\":3},"
		 "\"speaker\":{\"role\":\"moderator\"}}]}",
		 "relations[0].listener.participant"},
		{"{\"relations\":[{\"listener\":{\"role\":\"listener\"},"
		 "\"speaker\":{\"role\":\"moderator\"},\"hears\":\"no\"}]}",
		 "relations[0].hears: must be true or false"},
		{"{\"relations\":[{\"listener\":{\"role\":\"listener\"},"
		 "\"speaker\":{\"role\":\"moderator\"},\"hears\":0}]}",
		 "relations[0].hears"},
		{"{\"relations\":[{\"listener\":{\"role\":\"listener\"},"
		 "\"speaker\":{\"role\":\"moderator\"},\"hears\":false,"
		 "\"gain_db\":-6}]}",
		 "relations[0].gain_db: makes no sense when hears is false"},
		{"{\"relations\":[{\"listener\":{\"role\":\"listener\"},"
		 "\"speaker\":{\"role\":\"moderator\"},\"gain_db\":0,"
		 "\"hears\":false}]}",
		 "relations[0].gain_db: makes no sense when hears is false"},
		{"{\"relations\":[{\"listener\":{\"role\":\"listener\"},"
		 "\"speaker\":{\"role\":\"moderator\"},\"gain_db\":12.5}]}",
		 "relations[0].gain_db: must be a number from -60 to 12"},
		{"{\"relations\":[{\"listener\":{\"role\":\"listener\"},"
		 "\"speaker\":{\"role\":\"moderator\"},\"gain_db\":-61}]}",
		 "relations[0].gain_db"},
		{"{\"relations\":[{\"listener\":{\"role\":\"listener\"},"
		 "\"speaker\":{\"role\":\"moderator\"},\"gain_db\":"
		 "-60.001}]}", "relations[0].gain_db"},
		{"{\"relations\":[{\"listener\":{\"role\":\"listener\"},"
		 "\"speaker\":{\"role\":\"moderator\"},\"gain_db\":\"-6\"}]}",
		 "relations[0].gain_db"},
		{"{\"relations\":[{\"listener\":{\"role\":\"listener\"},"
		 "\"speaker\":{\"role\":\"moderator\"},\"gain_db\":null}]}",
		 "relations[0].gain_db"},
		{"{\"relations\":[{\"listener\":{\"role\":\"listener\"},"
		 "\"speaker\":{\"role\":\"moderator\"},\"gain_db\":true}]}",
		 "relations[0].gain_db"},
		{"{\"relations\":[{\"listener\":{\"role\":\"listener\"},"
		 "\"speaker\":{\"role\":\"moderator\"},\"volume\":1}]}",
		 "relations[0].volume: is unknown"},
		{"{\"relations\":[{\"listener\":{\"role\":\"listener\"},"
		 "\"speaker\":{\"uri\":\"sip:a@b\"}},{\"listener\":"
		 "{\"role\":\"moderator\"},\"speaker\":{\"uri\":\"sip:a@b\"}},"
		 "{\"listener\":{\"role\":\"listener\"},\"speaker\":{\"uri\":"
		 "\"SIP:A@B;transport=tcp\"},\"gain_db\":3}]}",
		 "relations[2]: the same listener and speaker as "
		 "relations[0]"},
		{"{\"lecture\":true}", "lecture: must be an object"},
		{"{\"lecture\":{\"enabled\":1}}",
		 "lecture.enabled: must be true or false"},
		{"{\"lecture\":{\"enabled\":true,\"who\":[]}}",
		 "lecture.who: is unknown"},
		{"{\"lecture\":{\"lecturers\":{}}}",
		 "lecture.lecturers: must be an array"},
		{"{\"lecture\":{\"lecturers\":[{\"role\":\"moderator\"},"
		 "{\"uri\":\"tel:+123\"}]}}", "lecture.lecturers[1].uri"},
		{"{\"lecture\":{\"lecturers\":[\"moderator\"]}}",
		 "lecture.lecturers[0]: must name one of role, uri or "
		 "participant"},
		{"{\"sidebar_background_db\":\"-12\"}",
		 "sidebar_background_db: must be a number"},
		{"{\"sidebar_background_db\":13}", "sidebar_background_db"},
		{"{\"sidebar_background_db\":false}",
		 "sidebar_background_db"},
		{"{\"sidebar_background_db\":[]}", "sidebar_background_db"},
		/* a bad member after good ones: nothing of it applies */
		{"{\"sidebar_background_db\":-3,\"lecture\":{\"enabled\":"
		 "true},\"relations\":[],\"y\":0}", "y: is unknown"},
	};
	char detail[200];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mediapol_default(&mp);
		mp.sidebar_bg_db = -7;    /* a marker: untouched on error */
		detail[0] = '\0';
		if (parse(&mp, bad[i].json, NULL, detail) != EINVAL)
			fail_msg("accepted: %s", bad[i].json);
		if (!strstr(detail, bad[i].detail))
			fail_msg("%s: detail '%s' does not say '%s'",
				 bad[i].json, detail, bad[i].detail);
		assert_true(mp.sidebar_bg_db == -7.0);
		/* in a PATCH too */
		detail[0] = '\0';
		if (parse(&mp, bad[i].json, &base, detail) != EINVAL ||
		    !strstr(detail, bad[i].detail))
			fail_msg("PATCH %s: '%s'", bad[i].json, detail);
		assert_true(mp.sidebar_bg_db == -7.0);
	}
}

static void test_patch(void **state)
{
	char detail[200] = "";

	(void)state;
	assert_int_equal(parse(&base, full_doc, NULL, detail), 0);
	/* nothing named: base as it was */
	assert_int_equal(parse(&mp, "{}", &base, detail), 0);
	assert_true(mediapol_equal(&mp, &base));
	/* the background only */
	assert_int_equal(parse(&mp, "{\"sidebar_background_db\":null}",
			       &base, detail), 0);
	assert_false(mp.sidebar_bg);
	assert_int_equal(mp.nrel, 2);
	assert_true(mp.lecture);
	assert_int_equal(mp.nlect, 2);
	/* lecture members not named keep base's */
	assert_int_equal(parse(&mp, "{\"lecture\":{\"enabled\":false}}",
			       &base, detail), 0);
	assert_false(mp.lecture);
	assert_int_equal(mp.nlect, 2);
	assert_string_equal(mp.lecturers[1].value, "sip:prof@example.com");
	assert_int_equal(parse(&mp, "{\"lecture\":{\"lecturers\":[]}}",
			       &base, detail), 0);
	assert_true(mp.lecture);
	assert_int_equal(mp.nlect, 0);
	/* relations replace the whole list */
	assert_int_equal(parse(&mp, "{\"relations\":[{\"listener\":{\"role\":"
			       "\"listener\"},\"speaker\":{\"participant\":"
			       "\"p9\"},\"gain_db\":-3}]}", &base, detail),
			 0);
	assert_int_equal(mp.nrel, 1);
	assert_string_equal(mp.rel[0].speaker.value, "p9");
	assert_true(mp.lecture);
	assert_true(mp.sidebar_bg);
	assert_int_equal(parse(&mp, "{\"relations\":[]}", &base, detail), 0);
	assert_int_equal(mp.nrel, 0);
	assert_int_equal(mp.nlect, 2);
	/* the same as a PUT: the rest are the defaults */
	assert_int_equal(parse(&mp, "{\"lecture\":{\"enabled\":true}}",
			       NULL, detail), 0);
	assert_true(mp.lecture);
	assert_int_equal(mp.nlect, 0);
	assert_int_equal(mp.nrel, 0);
	assert_true(mp.sidebar_bg_db == -12.0);
	/* the output may be the base */
	back = base;
	assert_int_equal(parse(&back, "{\"sidebar_background_db\":-3}",
			       &back, detail), 0);
	assert_true(back.sidebar_bg_db == -3.0);
	assert_int_equal(back.nrel, 2);
}

static void test_equal(void **state)
{
	char detail[200] = "";

	(void)state;
	assert_int_equal(parse(&base, full_doc, NULL, detail), 0);
	mp = base;
	assert_true(mediapol_equal(&mp, &base));
	mp.rel[0].gain_db = -6.0001;     /* below what prints */
	assert_true(mediapol_equal(&mp, &base));
	mp.rel[0].gain_db = -5;
	assert_false(mediapol_equal(&mp, &base));
	mp = base;
	mp.rel[1].gain_db = 3;           /* does not hear: not used */
	assert_true(mediapol_equal(&mp, &base));
	mp.rel[1].hears = true;
	assert_false(mediapol_equal(&mp, &base));
	mp = base;
	strcpy(mp.rel[0].speaker.value, "sip:Bob@example.com");
	assert_false(mediapol_equal(&mp, &base));
	mp = base;
	mp.rel[0].speaker.kind = MEDIAPOL_PARTICIPANT;
	assert_false(mediapol_equal(&mp, &base));
	mp = base;
	mp.nrel = 1;
	assert_false(mediapol_equal(&mp, &base));
	mp = base;
	mp.lecture = false;
	assert_false(mediapol_equal(&mp, &base));
	mp = base;
	mp.nlect = 1;
	assert_false(mediapol_equal(&mp, &base));
	mp = base;
	strcpy(mp.lecturers[0].value, "administrator");
	assert_false(mediapol_equal(&mp, &base));
	mp = base;
	mp.sidebar_bg_db = -11;
	assert_false(mediapol_equal(&mp, &base));
	mp.sidebar_bg = false;
	assert_false(mediapol_equal(&mp, &base));
	base.sidebar_bg = false;         /* off: the gain is not used */
	assert_true(mediapol_equal(&mp, &base));
	/* built in code: at the floor or below is not hearing, as parse
	 * has it; out of range prints clamped, and round trips */
	mp = base;
	mp.rel[0].gain_db = -75;
	assert_false(mediapol_equal(&mp, &base));
	base.rel[0].hears = false;
	assert_true(mediapol_equal(&mp, &base));
	mem_deref(roundtrip(&mp));
	mp.rel[0].gain_db = 40;
	mp.sidebar_bg = true;
	mp.sidebar_bg_db = -1e300;
	mem_deref(roundtrip(&mp));
	assert_true(back.rel[0].gain_db == 12.0);
	assert_true(back.sidebar_bg_db == -60.0);
}

static void test_names(void **state)
{
	static const struct mediapol_person bob = {
		"participant", "sip:bob@example.com;transport=tcp", "p2"};
	static const struct mediapol_person nobody = {NULL, NULL, NULL};
	static const struct { enum mediapol_kind k; const char *v;
		bool m; } n[] = {
		{MEDIAPOL_ROLE, "participant", true},
		{MEDIAPOL_ROLE, "moderator", false},
		{MEDIAPOL_URI, "sip:bob@example.com", true},
		{MEDIAPOL_URI, "SIP:BOB@EXAMPLE.COM", true},
		{MEDIAPOL_URI, "sip:bob@example.com;transport=udp", true},
		{MEDIAPOL_URI, "sip:bob@example.com;transport=tcp", true},
		{MEDIAPOL_URI, "sip:bob@example.co", false},
		{MEDIAPOL_URI, "sip:bob@example.comx", false},
		{MEDIAPOL_URI, "sips:bob@example.com", false},
		{MEDIAPOL_PARTICIPANT, "p2", true},
		{MEDIAPOL_PARTICIPANT, "P2", false},
		{MEDIAPOL_PARTICIPANT, "p22", false},
	};
	struct mediapol_who w;

	(void)state;
	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
		memset(&w, 0, sizeof(w));
		w.kind = n[i].k;
		strcpy(w.value, n[i].v);
		if (mediapol_names(&w, &bob) != n[i].m)
			fail_msg("%s should%s name bob", n[i].v,
				 n[i].m ? "" : " not");
		assert_false(mediapol_names(&w, &nobody));
	}
	assert_false(mediapol_names(NULL, &bob));
	assert_false(mediapol_names(&w, NULL));
}

/* which relation decides, over every pair of kinds */
static void test_specificity(void **state)
{
	static const char doc[] = "{\"relations\":["
		"{\"listener\":{\"role\":\"participant\"},"
		" \"speaker\":{\"role\":\"moderator\"},\"gain_db\":-1},"
		"{\"listener\":{\"role\":\"participant\"},"
		" \"speaker\":{\"uri\":\"sip:m@x\"},\"gain_db\":-2},"
		"{\"listener\":{\"role\":\"participant\"},"
		" \"speaker\":{\"participant\":\"m1\"},\"gain_db\":-3},"
		"{\"listener\":{\"uri\":\"sip:l@x\"},"
		" \"speaker\":{\"role\":\"moderator\"},\"gain_db\":-4},"
		"{\"listener\":{\"uri\":\"sip:l@x\"},"
		" \"speaker\":{\"participant\":\"m1\"},\"gain_db\":-5},"
		"{\"listener\":{\"participant\":\"l1\"},"
		" \"speaker\":{\"role\":\"moderator\"},\"gain_db\":-6},"
		"{\"listener\":{\"participant\":\"l1\"},"
		" \"speaker\":{\"uri\":\"sip:m@x\"},\"hears\":false}]}";
	struct mediapol_person l = {"participant", "sip:l@x", "l1"};
	struct mediapol_person s = {"moderator", "sip:m@x", "m1"};
	const struct mediapol_rel *r;
	char detail[200] = "";

	(void)state;
	if (parse(&mp, doc, NULL, detail))
		fail_msg("%s", detail);
	/* the participant id of the listener first, then the speaker's
	 * most specific name */
	r = mediapol_relation(&mp, &l, &s);
	assert_ptr_equal(r, &mp.rel[6]);
	assert_false(r->hears);
	/* another speaker, known by role only */
	s.uri = "sip:other@x";
	s.pid = "m2";
	assert_ptr_equal(mediapol_relation(&mp, &l, &s), &mp.rel[5]);
	/* listener by URI: the participant-id speaker over the role */
	l.pid = "l2";
	s.pid = "m1";
	assert_ptr_equal(mediapol_relation(&mp, &l, &s), &mp.rel[4]);
	s.pid = NULL;
	assert_ptr_equal(mediapol_relation(&mp, &l, &s), &mp.rel[3]);
	/* listener by role only: speaker id > uri > role */
	l.uri = NULL;
	s.pid = "m1";
	s.uri = "sip:m@x";
	assert_ptr_equal(mediapol_relation(&mp, &l, &s), &mp.rel[2]);
	s.pid = "m9";
	assert_ptr_equal(mediapol_relation(&mp, &l, &s), &mp.rel[1]);
	s.uri = NULL;
	assert_ptr_equal(mediapol_relation(&mp, &l, &s), &mp.rel[0]);
	assert_true(mp.rel[0].gain_db == -1.0);
	/* no relation names them: as usual */
	s.role = "listener";
	assert_null(mediapol_relation(&mp, &l, &s));
	l.role = "moderator";
	s.role = "moderator";
	assert_null(mediapol_relation(&mp, &l, &s));
	mediapol_default(&base);
	assert_null(mediapol_relation(&base, &l, &s));

	/* a tie (only a policy built in code has one): the later wins;
	 * a URI listener beats a role listener whatever the speaker */
	mp.rel[1] = mp.rel[0];
	mp.rel[1].gain_db = -9;
	mp.nrel = 2;
	l.role = "participant";
	assert_ptr_equal(mediapol_relation(&mp, &l, &s), &mp.rel[1]);
	assert_int_equal(parse(&mp, "{\"relations\":[{\"listener\":{\"uri\":"
			       "\"sip:l@x\"},\"speaker\":{\"role\":"
			       "\"moderator\"}},{\"listener\":{\"role\":"
			       "\"participant\"},\"speaker\":{\"participant\""
			       ":\"m1\"}}]}", NULL, detail), 0);
	l.uri = "sip:l@x";
	s.pid = "m1";
	assert_ptr_equal(mediapol_relation(&mp, &l, &s), &mp.rel[0]);
}

static void test_lecturers(void **state)
{
	static const struct mediapol_person admin = {"administrator",
		"sip:a@x", "p1"}, mod = {"moderator", "sip:m@x", "p2"},
		part = {"participant", "sip:prof@example.com", "p3"},
		lis = {"listener", "sip:l@x", "p4"},
		anon = {NULL, NULL, NULL};
	char detail[200] = "";

	(void)state;
	/* none named: the moderators and administrators */
	mediapol_default(&mp);
	assert_true(mediapol_lecturer(&mp, &admin));
	assert_true(mediapol_lecturer(&mp, &mod));
	assert_false(mediapol_lecturer(&mp, &part));
	assert_false(mediapol_lecturer(&mp, &lis));
	assert_false(mediapol_lecturer(&mp, &anon));
	assert_int_equal(parse(&mp, "{\"lecture\":{\"enabled\":true,"
			       "\"lecturers\":[]}}", NULL, detail), 0);
	assert_true(mp.lecture);
	assert_true(mediapol_lecturer(&mp, &mod));
	assert_false(mediapol_lecturer(&mp, &part));
	/* named: those only */
	assert_int_equal(parse(&mp, full_doc, NULL, detail), 0);
	assert_false(mediapol_lecturer(&mp, &admin));
	assert_true(mediapol_lecturer(&mp, &mod));
	assert_true(mediapol_lecturer(&mp, &part));
	assert_false(mediapol_lecturer(&mp, &lis));
	assert_false(mediapol_lecturer(&mp, &anon));
	assert_int_equal(parse(&mp, "{\"lecture\":{\"lecturers\":[{"
			       "\"participant\":\"p4\"}]}}", NULL, detail),
			 0);
	assert_false(mp.lecture);         /* named, mode still off */
	assert_true(mediapol_lecturer(&mp, &lis));
	assert_false(mediapol_lecturer(&mp, &mod));
}

/* n relations, listener i by participant id; the first nspecific name
 * their speaker by participant id too */
static char *relations_doc(size_t n, size_t nspecific)
{
	struct mbuf *mb = mbuf_alloc(4096);
	char *s = NULL;

	assert_non_null(mb);
	mbuf_printf(mb, "{\"relations\":[");
	for (size_t i = 0; i < n; i++)
		mbuf_printf(mb, "%s{\"listener\":{\"participant\":\"p%zu\"},"
			    "\"speaker\":{%s}}", i ? "," : "", i,
			    i < nspecific ? "\"participant\":\"s1\"" :
			    "\"role\":\"moderator\"");
	mbuf_printf(mb, "]}");
	mbuf_set_pos(mb, 0);
	assert_int_equal(mbuf_strdup(mb, &s, mb->end), 0);
	mem_deref(mb);
	return s;
}

static void test_limits(void **state)
{
	char detail[200] = "";
	char *doc, *json;
	struct mbuf *mb;

	(void)state;
	doc = relations_doc(MEDIAPOL_MAX_RELATIONS, MEDIAPOL_MAX_SPECIFIC);
	if (parse(&mp, doc, NULL, detail))
		fail_msg("64 refused: %s", detail);
	assert_int_equal(mp.nrel, MEDIAPOL_MAX_RELATIONS);
	json = roundtrip(&mp);
	mem_deref(json);
	mem_deref(doc);

	doc = relations_doc(MEDIAPOL_MAX_RELATIONS + 1, 0);
	assert_int_equal(parse(&mp, doc, NULL, detail), EINVAL);
	assert_non_null(strstr(detail, "relations: may hold at most 64"));
	mem_deref(doc);

	doc = relations_doc(MEDIAPOL_MAX_SPECIFIC + 1,
			    MEDIAPOL_MAX_SPECIFIC + 1);
	assert_int_equal(parse(&mp, doc, NULL, detail), EINVAL);
	assert_non_null(strstr(detail, "relations: at most 16"));
	assert_non_null(strstr(detail, "relations[16]"));
	mem_deref(doc);

	/* lecturers */
	mb = mbuf_alloc(1024);
	assert_non_null(mb);
	mbuf_printf(mb, "{\"lecture\":{\"lecturers\":[");
	for (int i = 0; i < MEDIAPOL_MAX_LECTURERS + 1; i++)
		mbuf_printf(mb, "%s{\"participant\":\"p%d\"}", i ? "," : "",
			    i);
	mbuf_printf(mb, "]}}");
	assert_int_equal(mediapol_parse(&mp, NULL, (char *)mb->buf, mb->end,
					detail, sizeof(detail)), EINVAL);
	assert_non_null(strstr(detail, "lecture.lecturers: may hold at "
			       "most 16"));
	/* one fewer fits: cut the last lecturer off */
	mb->end -= strlen(",{\"participant\":\"p16\"}]}}");
	mb->pos = mb->end;
	mbuf_printf(mb, "]}}");
	if (mediapol_parse(&mp, NULL, (char *)mb->buf, mb->end, detail,
			   sizeof(detail)))
		fail_msg("16 lecturers refused: %s", detail);
	assert_int_equal(mp.nlect, MEDIAPOL_MAX_LECTURERS);
	mem_deref(mb);

	/* the longest names that fit, and one more */
	mb = mbuf_alloc(512);
	assert_non_null(mb);
	mbuf_printf(mb, "{\"lecture\":{\"lecturers\":[{\"uri\":\"sip:");
	for (int i = 0; i < 123; i++)
		mbuf_printf(mb, "a");
	mbuf_printf(mb, "\"},{\"participant\":\"abcdefghi_-\"}]}}");
	if (mediapol_parse(&mp, NULL, (char *)mb->buf, mb->end, detail,
			   sizeof(detail)))
		fail_msg("127 characters refused: %s", detail);
	assert_int_equal(strlen(mp.lecturers[0].value), 127);
	json = roundtrip(&mp);
	mem_deref(json);
	mb->pos = 0;
	mbuf_printf(mb, "{\"lecture\":{\"lecturers\":[{\"uri\":\"sip:");
	for (int i = 0; i < 124; i++)
		mbuf_printf(mb, "a");
	mbuf_printf(mb, "\"}]}}");
	assert_int_equal(mediapol_parse(&mp, NULL, (char *)mb->buf, mb->pos,
					detail, sizeof(detail)), EINVAL);
	assert_non_null(strstr(detail, "lecture.lecturers[0].uri"));
	mem_deref(mb);
}

static void test_garbage(void **state)
{
	static const char *const junk[] = {
		"{", "}", "{\"relations\":", "{\"relations\":[",
		"{\"relations\":[{\"listener\"", "{\"relations\":[{}",
		"{\"relations\":[{\"listener\":{\"role\":\"listener\"},",
		"{\"a\"}",
		"{\"sidebar_background_db\":1e999}",
		"{\"sidebar_background_db\":-1e999}",
		"{\"sidebar_background_db\":0e5000}",
		"{\"sidebar_background_db\":99999999999999999999999999}",
		"{\"sidebar_background_db\":-9223372036854775808}",
		"{\"sidebar_background_db\":9223372036854775807}",
		"{\"sidebar_background_db\":\"NaN\"}",
		"{\"sidebar_background_db\":NaN}",
		"{\"sidebar_background_db\":\"Infinity\"}",
		"{\"sidebar_background_db\":-Infinity}",
		"{\"sidebar_background_db\":\"-inf\"}",
		"{\"sidebar_background_db\":--1}",
		"{\"sidebar_background_db\":1..2}",
		"{\"sidebar_background_db\":0x10}",
		"{\"relations\":[{\"listener\":{\"role\":\"listener\"},"
		"\"speaker\":{\"role\":\"moderator\"},\"gain_db\":1e400}]}",
		"{\"relations\":[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]}",
		"{\"lecture\":{\"lecturers\":[{\"role\":{\"role\":"
		"{\"role\":{}}}}]}}",
		"{\"relations\":\"\\u0000\"}",
		"{\"\\u0000\":1}", "\x80\xff{}",
	};
	/* libre's decoder is lenient with these (the API checks the syntax
	 * first, api_json_strict): parsed or refused, but never half */
	static const char *const odd[] = {
		"{,}", "{\"sidebar_background_db\":}",
		"{\"sidebar_background_db\":-1e-99999999999999999999}",
		"{\"sidebar_background_db\":-3} trailing",
		"{\"lecture\":{\"enabled\":true,}}",
	};
	char detail[200];
	char *json;

	(void)state;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		mediapol_default(&mp);
		mp.sidebar_bg_db = -7;    /* untouched on error */
		detail[0] = '\0';
		if (parse(&mp, junk[i], NULL, detail) != EINVAL)
			fail_msg("accepted: %s", junk[i]);
		assert_true(detail[0]);
		assert_true(mp.sidebar_bg_db == -7.0);
	}
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		mediapol_default(&mp);
		mp.sidebar_bg_db = -7;
		detail[0] = '\0';
		if (parse(&mp, odd[i], NULL, detail)) {
			assert_true(detail[0]);
			assert_true(mp.sidebar_bg_db == -7.0);
			continue;
		}
		json = roundtrip(&mp);
		mem_deref(json);
	}
	/* every prefix of a good document (a truncated body) */
	for (size_t n = 0; n < strlen(full_doc); n++) {
		mediapol_default(&mp);
		mp.sidebar_bg_db = -7;
		if (!mediapol_parse(&mp, NULL, full_doc, n, detail,
				    sizeof(detail)))
			fail_msg("accepted %zu bytes: %.*s", n, (int)n,
				 full_doc);
		assert_true(mp.sidebar_bg_db == -7.0);
	}
	/* a NUL in the body */
	assert_int_equal(mediapol_parse(&mp, NULL, "{}\0{}", 5, detail,
					sizeof(detail)), EINVAL);
	/* no room for a detail */
	assert_int_equal(mediapol_parse(&mp, NULL, "[]", 2, NULL, 0), EINVAL);
	assert_int_equal(mediapol_parse(&mp, NULL, "{\"x\":1}", 7, detail,
					1), EINVAL);
	assert_string_equal(detail, "");
}

/* Allocation failures (alloc_fail.c fails the n-th allocation for every
 * n): a good document is then refused with ENOMEM and "out of memory",
 * never called invalid, and nothing leaks */
static struct {
	struct mediapol put, patched, bad;
	char detail[200], why[200];
	char *printed;
	char ref[2048], ref_why[200];
} af;

static int af_parse(struct mediapol *out, const struct mediapol *b,
		    const char *json, char *detail)
{
	int err = mediapol_parse(out, b, json, strlen(json), detail, 200);

	/* EPROTO is no allocation failure: af_run fails the test */
	if (err == ENOMEM && strcmp(detail, "out of memory"))
		return EPROTO;
	return err;
}

static int af_mediapol_run(void)
{
	int err = af_parse(&af.put, NULL, full_doc, af.detail);

	err = err ? err : af_parse(&af.patched, &af.put, "{\"relations\":[{"
				   "\"listener\":{\"uri\":\"sip:a@b\"},"
				   "\"speaker\":{\"role\":\"moderator\"},"
				   "\"gain_db\":-1.5}],\"lecture\":{"
				   "\"enabled\":false}}", af.detail);
	if (!err) {
		err = af_parse(&af.bad, NULL, "{\"lecture\":{\"lecturers\":"
			       "[{\"role\":\"king\"}]}}", af.why);
		/* refused is right; accepted is not */
		err = err == EINVAL ? 0 : err ? err : EPROTO;
	}
	return err ? err : re_sdprintf(&af.printed, "%H", mediapol_print,
				       &af.patched);
}

static void af_mediapol_check(bool reference)
{
	if (reference) {
		snprintf(af.ref, sizeof(af.ref), "%s", af.printed);
		snprintf(af.ref_why, sizeof(af.ref_why), "%s", af.why);
		return;
	}
	assert_string_equal(af.printed, af.ref);
	assert_string_equal(af.why, af.ref_why);
}

static void af_mediapol_teardown(void)
{
	af.printed = mem_deref(af.printed);
}

static bool af_enomem(int err)
{
	return err == ENOMEM;
}

static void test_alloc_fail(void **state)
{
	static const struct af_case c = {"mediapol_parse PUT/PATCH/bad + "
		"print", NULL, af_mediapol_run, af_mediapol_check,
		af_mediapol_teardown, af_enomem};
	struct af_stats st;

	(void)state;
	af_run(&c, &st);
	print_message("%lu allocations, %lu runs: %lu errors\n", st.allocs,
		      st.runs, st.errors);
	assert_true(st.runs > 0);
	assert_non_null(strstr(af.ref, "\"gain_db\":-1.5"));
	assert_non_null(strstr(af.ref, "sip:prof@example.com"));
	assert_string_equal(af.ref_why, "lecture.lecturers[0].role: must be "
			    "administrator, moderator, participant or "
			    "listener");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_gains),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_patch),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_specificity),
		cmocka_unit_test(test_lecturers),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test_teardown(test_alloc_fail, af_guard),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
