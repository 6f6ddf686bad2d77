/* The roster and the reconciler: every entry point changes state and the
 * reconciler acts (dial, hang up, media). The SIP side is replaced by a
 * recorder of the actions asked for, which is what is under test here;
 * the real SIP side is tested end to end in tests/integration. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "conf/conf.h"
#include "conf/conf_int.h"
#include "conf/floor.h"
#include "conf/mediapol.h"
#include "store/store.h"

static char dir[64];
static struct store *st;
static struct confs *cs;

struct rec {
	unsigned dials, hangups, media, msgs, reoffers;
	const struct participant *last_to;
	char last_from[64];
	int dial_err;
	bool hangup_completes;     /* hangup calls part_gone at once */
};

static struct rec rec;

static int rec_dial(struct participant *p, void *arg)
{
	(void)arg;
	rec.dials++;
	if (!rec.dial_err)
		part_set_ep(p, &rec);
	return rec.dial_err;
}

static void rec_hangup(struct participant *p, void *arg)
{
	(void)arg;
	rec.hangups++;
	if (rec.hangup_completes) {
		part_set_ep(p, NULL);
		part_gone(p, 0, NULL);
	}
}

static void rec_media(struct participant *p, void *arg)
{
	(void)p;
	(void)arg;
	rec.media++;
}

static int rec_message(struct participant *p, const struct conf_msg *m,
		       void *arg)
{
	(void)arg;
	rec.msgs++;
	rec.last_to = p;
	snprintf(rec.last_from, sizeof(rec.last_from), "%s", m->from);
	return 0;
}

static void rec_reoffer(struct participant *p, void *arg)
{
	(void)p;
	(void)arg;
	rec.reoffers++;
}

static const struct conf_ops ops = {
	.dial = rec_dial, .hangup = rec_hangup, .media = rec_media,
	.reoffer = rec_reoffer, .message = rec_message,
};

static int add(struct conf *c, const char *uri, const char *display,
	       bool dial_out, struct participant **pp)
{
	struct part_new n = {.uri = uri, .display = display,
			     .dial_out = dial_out};

	return part_add(c, &n, pp);
}

static int setup(void **state)
{
	char path[128];
	struct confs_cfg cfg = {.domain = "example.org",
				.http_base = "http://h:1"};

	(void)state;
	memset(&rec, 0, sizeof(rec));
	rec.hangup_completes = true;
	libre_init();
	snprintf(dir, sizeof(dir), "/tmp/caucus-conf-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/c.db", dir);
	if (store_open(&st, path) || confs_alloc(&cs, &cfg, st))
		return -1;
	confs_set_ops(cs, &ops, NULL);
	return 0;
}

static int teardown(void **state)
{
	char cmd[96];

	(void)state;
	cs = mem_deref(cs);
	st = mem_deref(st);
	libre_close();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void test_create_ids(void **state)
{
	struct conf *c = NULL, *r = NULL;

	(void)state;
	assert_int_equal(conf_create(cs, "room", "Room", &c), 0);
	assert_string_equal(conf_uri(c), "sip:room@example.org");
	assert_string_equal(conf_policy_uri(c),
			    "http://h:1/v1/conferences/room");
	assert_int_equal(conf_create(cs, "room", NULL, &r), EEXIST);
	assert_int_equal(conf_create(cs, "bad id", NULL, &r), EINVAL);
	assert_int_equal(conf_create(cs, "a/b", NULL, &r), EINVAL);
	assert_int_equal(conf_create(cs, "", NULL, &r), EINVAL);
	assert_int_equal(conf_create(cs, NULL, NULL, &r), 0);   /* random */
	assert_true(conf_id_valid(conf_id(r)));
	assert_int_equal(strlen(conf_id(r)), 10);
	assert_int_equal(confs_count(cs), 2);
	assert_ptr_equal(confs_lookup(cs, "room"), c);
	assert_null(confs_lookup(cs, "nope"));
}

static void test_dial_out_and_remove(void **state)
{
	struct conf *c = NULL;
	struct participant *p = NULL;

	(void)state;
	assert_int_equal(conf_create(cs, "r", NULL, &c), 0);
	assert_int_equal(add(c, "sip:bob@x", NULL, true, &p), 0);
	assert_int_equal(part_status(p), PART_DIALING_OUT);
	conf_reconcile(c);
	assert_int_equal(rec.dials, 1);
	conf_reconcile(c);                      /* idempotent */
	assert_int_equal(rec.dials, 1);
	part_set_status(p, PART_CONNECTED);

	struct part_settings s = {.muted = true};
	part_update_settings(p, &s);
	assert_int_equal(rec.media, 1);
	assert_true(part_settings(p)->muted);

	part_remove(p);
	assert_int_equal(rec.hangups, 1);
	assert_int_equal(conf_participant_count(c), 0);
}

/* Every setter of part.h moves the version exactly when what others can
 * see changed; given what is already there it does nothing */
static void test_setters_version(void **state)
{
	struct conf *c = NULL;
	struct participant *p = NULL;
	struct part_media m = {.codec = "PCMU", .remote = "10.0.0.1:4000",
			       .local_port = 30000, .direction = "sendrecv",
			       .tx_ssrc = 7};
	struct part_dialog d = {.call_id = "c1", .from_tag = "f",
				.to_tag = "t", .contact = "sip:a@10.0.0.1"};
	struct part_settings st = {.gain_in_db = -6};
	uint32_t v;

	(void)state;
	assert_int_equal(conf_create(cs, "v", NULL, &c), 0);
	v = conf_version(c);
	assert_int_equal(add(c, "sip:a@x", "A", false, &p), 0);
	assert_int_equal(conf_version(c), v + 1);      /* a join: one change */
	part_set_ep(p, &rec);

#define SAME(call) do { v = conf_version(c); call; \
	assert_int_equal(conf_version(c), v); } while (0)
#define CHANGED(call) do { v = conf_version(c); call; \
	assert_true(conf_version(c) > v); } while (0)
	CHANGED(part_set_status(p, PART_CONNECTED));
	SAME(part_set_status(p, PART_CONNECTED));
	CHANGED(part_set_media(p, &m));
	SAME(part_set_media(p, &m));
	strcpy(m.codec, "PCMA");                /* the codec alone */
	CHANGED(part_set_media(p, &m));
	assert_string_equal(part_media(p)->codec, "PCMA");
	strcpy(m.direction, "recvonly");
	CHANGED(part_set_media(p, &m));
	CHANGED(part_set_dialog(p, &d));
	SAME(part_set_dialog(p, &d));
	strcpy(d.to_tag, "t2");
	CHANGED(part_set_dialog(p, &d));
	CHANGED(part_set_privacy(p, true, false));
	SAME(part_set_privacy(p, true, false));
	CHANGED(part_set_role(p, "moderator"));
	SAME(part_set_role(p, "moderator"));
	CHANGED(part_update_settings(p, &st));
	assert_int_equal(rec.media, 1);         /* the mixer hears of it */
	SAME(part_update_settings(p, &st));
	assert_int_equal(rec.media, 1);
	CHANGED(part_set_talking(p, true));
	SAME(part_set_talking(p, true));
	/* counters are read live: never a new version */
	SAME(part_set_stats(p, &(struct part_stats){.rx_packets = 50}));
	assert_int_equal(part_stats(p)->rx_packets, 50);
#undef SAME
#undef CHANGED
}

static void test_failed_dial_lingers(void **state)
{
	struct conf *c = NULL;
	struct participant *p = NULL;

	(void)state;
	assert_int_equal(conf_create(cs, "r", NULL, &c), 0);
	assert_int_equal(add(c, "sip:bob@x", NULL, true, &p), 0);
	conf_reconcile(c);
	/* the far end said 486 */
	part_set_ep(p, NULL);
	part_gone(p, 486, "Busy Here");
	assert_int_equal(conf_participant_count(c), 1);
	assert_int_equal(part_status(p), PART_FAILED);
	assert_int_equal(part_fail_code(p), 486);
	assert_string_equal(part_fail_reason(p), "Busy Here");
	/* removing a failed entry needs no hangup */
	part_remove(p);
	assert_int_equal(rec.hangups, 0);
	assert_int_equal(conf_participant_count(c), 0);

	/* a dial that cannot even start fails at once */
	rec.dial_err = EINVAL;
	assert_int_equal(add(c, "sip:x@y", NULL, true, &p), 0);
	conf_reconcile(c);
	assert_int_equal(part_status(p), PART_FAILED);
}

static bool first(struct participant *p, void *arg);

static void test_destroy_hangs_up_everyone(void **state)
{
	struct conf *c = NULL;
	struct participant *p;

	(void)state;
	rec.hangup_completes = false;   /* BYEs still in flight */
	assert_int_equal(conf_create(cs, "d", NULL, &c), 0);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(add(c, "sip:u@x", NULL, false, &p), 0);
		part_set_ep(p, &rec);
		part_set_status(p, PART_CONNECTED);
	}
	mem_ref(c);
	assert_int_equal(conf_destroy(c), 0);
	assert_int_equal(rec.hangups, 5);
	assert_null(confs_lookup(cs, "d"));     /* 404 from now on */
	/* a new call cannot join the destroyed conference */
	assert_int_equal(add(c, "sip:late@x", NULL, false, &p), ENOENT);
	/* the BYEs complete */
	while ((p = conf_apply_parts(c, first, NULL))) {
		part_set_ep(p, NULL);
		part_gone(p, 0, NULL);
	}
	mem_deref(c);
	/* the store no longer has it: a new one with that id is fine */
	assert_int_equal(conf_create(cs, "d", NULL, &c), 0);
}

static bool first(struct participant *p, void *arg)
{
	(void)p;
	(void)arg;
	return true;
}

static void test_destroy_then_calls_end(void **state)
{
	struct conf *c = NULL;
	struct participant *p;

	(void)state;
	rec.hangup_completes = false;
	assert_int_equal(conf_create(cs, "e", NULL, &c), 0);
	assert_int_equal(add(c, "sip:u@x", NULL, false, &p), 0);
	part_set_ep(p, &rec);
	mem_ref(c);
	assert_int_equal(conf_destroy(c), 0);
	p = conf_apply_parts(c, first, NULL);
	assert_non_null(p);
	assert_int_equal(part_status(p), PART_DISCONNECTING);
	part_set_ep(p, NULL);
	part_gone(p, 0, NULL);                 /* the BYE's 200 came */
	assert_int_equal(conf_participant_count(c), 0);
	mem_deref(c);
}

static void test_reload(void **state)
{
	struct conf *c = NULL;
	struct confs *cs2 = NULL;
	struct confs_cfg cfg = {.domain = "d", .http_base = "http://h"};

	(void)state;
	assert_int_equal(conf_create(cs, "keep", "Kept", &c), 0);
	assert_int_equal(conf_create(cs, "gone", NULL, &c), 0);
	mem_ref(c);
	assert_int_equal(conf_destroy(c), 0);
	mem_deref(c);
	assert_int_equal(confs_alloc(&cs2, &cfg, st), 0);
	assert_int_equal(confs_load(cs2), 0);
	assert_int_equal(confs_count(cs2), 1);
	assert_string_equal(conf_display_text(confs_lookup(cs2, "keep")),
			    "Kept");
	mem_deref(cs2);
}

/* The conference's audio: only known words, stored (and back after a
 * reload), a re-offer to every participant with a call */
static void test_audio_mode(void **state)
{
	struct conf *c = NULL;
	struct confs *cs2 = NULL;
	struct confs_cfg cfg = {.domain = "d", .http_base = "http://h"};
	struct participant *a, *b;

	(void)state;
	assert_int_equal(conf_create(cs, "talk", NULL, &c), 0);
	assert_string_equal(conf_audio(c), "sendrecv");
	assert_int_equal(add(c, "sip:a@x", NULL, false, &a), 0);
	assert_int_equal(add(c, "sip:b@x", NULL, false, &b), 0);
	part_set_ep(a, &rec);                 /* b has no call yet */
	assert_int_equal(conf_set_audio(c, "loud"), EINVAL);
	assert_int_equal(conf_set_audio(c, ""), EINVAL);
	assert_int_equal(conf_set_audio(c, NULL), EINVAL);
	assert_int_equal(rec.reoffers, 0);
	assert_int_equal(conf_set_audio(c, "recvonly"), 0);
	assert_string_equal(conf_audio(c), "recvonly");
	assert_int_equal(rec.reoffers, 1);
	assert_int_equal(conf_set_audio(c, "recvonly"), 0);  /* no change */
	assert_int_equal(rec.reoffers, 1);
	assert_int_equal(conf_set_audio(c, "none"), 0);
	assert_int_equal(rec.reoffers, 2);
	assert_int_equal(confs_alloc(&cs2, &cfg, st), 0);
	assert_int_equal(confs_load(cs2), 0);
	assert_string_equal(conf_audio(confs_lookup(cs2, "talk")), "none");
	mem_deref(cs2);
	part_set_ep(a, NULL);
}

/* Messages go to everyone connected or on hold but the sender, anonymous
 * senders are shown anonymously, and the history keeps the last ones. */
static void test_messages(void **state)
{
	struct conf *c = NULL;
	struct participant *a, *b, *h, *d;
	const struct list *l;
	unsigned sent = 99;

	(void)state;
	assert_int_equal(conf_create(cs, "im", NULL, &c), 0);
	assert_int_equal(add(c, "sip:a@x", "A", false, &a), 0);
	assert_int_equal(add(c, "sip:b@x", NULL, false, &b), 0);
	assert_int_equal(add(c, "sip:h@x", NULL, false, &h), 0);
	assert_int_equal(add(c, "sip:d@x", NULL, false, &d), 0);
	part_set_ep(a, &rec);
	part_set_ep(b, &rec);
	part_set_ep(h, &rec);
	part_set_ep(d, &rec);
	part_set_status(a, PART_CONNECTED);
	part_set_status(b, PART_CONNECTED);
	part_set_status(h, PART_ON_HOLD);      /* d is still dialling in */
	assert_int_equal(conf_message(c, a, "text/plain", "hi", 2, false,
				      &sent), 0);
	assert_int_equal(sent, 2);              /* b and h, not a, not d */
	assert_int_equal(rec.msgs, 2);
	assert_string_equal(rec.last_from, "sip:a@x");
	l = conf_messages(c);
	assert_int_equal(list_count(l), 1);
	assert_string_equal(((struct conf_msg *)l->head->data)->text, "hi");
	assert_string_equal(((struct conf_msg *)l->head->data)->display, "A");

	part_set_privacy(b, true, false);
	assert_int_equal(conf_message(c, b, "text/plain", "psst", 4, false,
				      &sent), 0);
	assert_string_equal(rec.last_from, CONF_ANON_URI);
	assert_null(((struct conf_msg *)l->tail->data)->display);

	/* from the conference itself: everyone connected */
	assert_int_equal(conf_message(c, NULL, "text/plain", "all", 3, false,
				      &sent), 0);
	assert_int_equal(sent, 3);
	assert_string_equal(rec.last_from, "sip:im@example.org");

	for (unsigned i = 0; i < CONF_MSGS_MAX + 20; i++)
		assert_int_equal(conf_message(c, NULL, "text/plain", "x", 1,
					      false, &sent), 0);
	assert_int_equal(list_count(l), CONF_MSGS_MAX);
	assert_int_equal(((struct conf_msg *)l->tail->data)->id,
			 CONF_MSGS_MAX + 23);
	assert_int_equal(conf_destroy(c), 0);
}

/* A caller in the call (what the SIP side would have made it) */
static struct participant *caller(struct conf *c, const char *uri,
				  uint32_t stream)
{
	struct participant *p = NULL;

	assert_int_equal(add(c, uri, NULL, false, &p), 0);
	part_set_ep(p, &rec);
	part_set_status(p, PART_CONNECTED);
	part_set_stream(p, stream);
	return p;
}

/* Sidebars: made, named by their alias, joined and left by setters (a
 * new version each, the mixer told), ended with their members back,
 * stored with the conference */
static void test_sidebars(void **state)
{
	struct conf *c = NULL, *c2;
	struct confs *cs2 = NULL;
	struct confs_cfg cfg = {.domain = "example.org",
				.http_base = "http://h"};
	struct sidebar_cfg sc = {.id = "team", .display_text = "Team",
				 .bg = true, .bg_db = -12, .by_val = true};
	struct sidebar *sb = NULL, *sb2 = NULL, *found;
	struct participant *a, *b;
	struct part_mix m;
	uint32_t v;
	double db;

	(void)state;
	assert_int_equal(conf_create(cs, "c1", NULL, &c), 0);
	a = caller(c, "sip:a@x", 11);
	b = caller(c, "sip:b@x", 12);
	assert_int_equal(conf_sidebar_add(c, &sc, &sb), 0);
	assert_string_equal(sidebar_uri(sb), "sip:c1+team@example.org");
	assert_int_equal(sidebar_index(sb), 1);
	assert_int_equal(conf_sidebar_add(c, &sc, NULL), EEXIST);
	sc.id = "bad+id";
	assert_int_equal(conf_sidebar_add(c, &sc, NULL), EINVAL);
	sc.id = NULL;
	sc.bg_db = 40;
	assert_int_equal(conf_sidebar_add(c, &sc, NULL), EINVAL);
	sc.bg = false;
	assert_int_equal(conf_sidebar_add(c, &sc, &sb2), 0);
	assert_string_equal(sidebar_id(sb2), "s1");
	assert_int_equal(sidebar_index(sb2), 2);
	assert_ptr_equal(confs_lookup_user(cs, "c1+team", &found), c);
	assert_ptr_equal(found, sb);
	assert_ptr_equal(confs_lookup_user(cs, "c1", &found), c);
	assert_null(found);
	assert_null(confs_lookup_user(cs, "c1+nope", &found));
	assert_null(confs_lookup_user(cs, "nope+team", &found));

	v = conf_version(c);
	rec.media = 0;
	assert_int_equal(part_set_sidebar(a, sb), 0);
	assert_true(conf_version(c) > v);
	assert_int_equal(rec.media, 1);        /* a's stream is told */
	assert_ptr_equal(part_sidebar(a), sb);
	assert_int_equal(sidebar_member_count(sb), 1);
	conf_part_mix(a, &m);
	assert_int_equal(m.group, 1);
	assert_true(m.bg);
	assert_true(m.bg_db == -12);
	conf_part_mix(b, &m);
	assert_int_equal(m.group, 0);
	v = conf_version(c);
	assert_int_equal(part_set_sidebar(a, sb), 0);  /* no change */
	assert_int_equal(conf_version(c), v);

	/* stored: a new registry reads the sidebars back (no members) */
	assert_int_equal(confs_alloc(&cs2, &cfg, st), 0);
	assert_int_equal(confs_load(cs2), 0);
	c2 = confs_lookup(cs2, "c1");
	assert_non_null(c2);
	assert_int_equal(conf_sidebar_count(c2), 2);
	found = conf_sidebar_find(c2, "team");
	assert_non_null(found);
	assert_string_equal(sidebar_display_text(found), "Team");
	assert_true(sidebar_bg(found, &db) && db == -12);
	assert_false(sidebar_bg(conf_sidebar_find(c2, "s1"), NULL));
	mem_deref(cs2);

	/* the end: a is back in the main conference */
	rec.media = 0;
	assert_int_equal(conf_sidebar_remove(sb), 0);
	assert_null(part_sidebar(a));
	assert_int_equal(rec.media, 1);        /* a's stream is told */
	assert_int_equal(conf_sidebar_count(c), 1);
	assert_int_equal(part_set_sidebar(b, sb2), 0);
	for (unsigned i = 0; i < CONF_MAX_SIDEBARS - 1; i++)
		assert_int_equal(conf_sidebar_add(c, &sc, NULL), 0);
	assert_int_equal(conf_sidebar_add(c, &sc, NULL), ENOSPC);
}

static unsigned breakouts_over;

static void over_h(struct conf *c, void *arg)
{
	(void)c;
	(void)arg;
	breakouts_over++;
}

static unsigned members(const struct conf *c, const char *id)
{
	return sidebar_member_count(conf_sidebar_find(c, id));
}

/* Breakouts: round robin (moderators stay), by lists, refused when
 * they run or a list is wrong, ended with everyone back and told */
static void test_breakouts(void **state)
{
	struct conf *c = NULL;
	struct participant *p[5];
	const char *l1[] = {"1", "2", NULL}, *l2[] = {"3", NULL};
	const char *const *lists[] = {l1, l2};
	const char *bad1[] = {"1", "9", NULL};
	const char *const *badl[] = {bad1, l2};
	const char *dup1[] = {"1", "3", NULL};
	const char *const *dupl[] = {dup1, l2};
	char uri[16];

	(void)state;
	breakouts_over = 0;
	confs_set_breakout_handler(cs, over_h, NULL);
	assert_int_equal(conf_create(cs, "b1", NULL, &c), 0);
	for (int i = 0; i < 5; i++) {
		snprintf(uri, sizeof(uri), "sip:%d@x", i);
		p[i] = caller(c, uri, (uint32_t)(20 + i));
	}
	part_set_role(p[4], "moderator");
	assert_int_equal(conf_breakout_start(c, 0, NULL, 0), EINVAL);
	assert_int_equal(conf_breakout_start(c, 2, NULL, 0), 0);
	assert_true(conf_breakout_active(c));
	assert_int_equal(conf_sidebar_count(c), 2);
	assert_int_equal(members(c, "s1") + members(c, "s2"), 4);
	assert_true(members(c, "s1") == 2 && members(c, "s2") == 2);
	assert_null(part_sidebar(p[4]));               /* the moderator */
	assert_int_equal(conf_breakout_start(c, 2, NULL, 0), EBUSY);
	assert_int_equal(conf_breakout_end(c), 0);
	assert_int_equal(breakouts_over, 1);
	assert_int_equal(conf_sidebar_count(c), 0);
	for (int i = 0; i < 5; i++)
		assert_null(part_sidebar(p[i]));
	assert_int_equal(conf_breakout_end(c), EALREADY);

	/* by lists: ids that are there, once each */
	assert_int_equal(conf_breakout_start(c, 2, badl, 0), EINVAL);
	assert_int_equal(conf_breakout_start(c, 2, dupl, 0), EINVAL);
	assert_int_equal(conf_sidebar_count(c), 0);
	assert_int_equal(conf_breakout_start(c, 2, lists, 0), 0);
	assert_ptr_equal(part_sidebar(p[0]), part_sidebar(p[1]));
	assert_non_null(part_sidebar(p[2]));
	assert_ptr_not_equal(part_sidebar(p[0]), part_sidebar(p[2]));
	assert_null(part_sidebar(p[3]));
	/* a breakout room removed by hand: the last one ends them */
	assert_int_equal(conf_sidebar_remove(part_sidebar(p[0])), 0);
	assert_int_equal(conf_sidebar_remove(part_sidebar(p[2])), 0);
	assert_false(conf_breakout_active(c));
	confs_set_breakout_handler(cs, NULL, NULL);
}

/* The media policy resolved for the mixer: class rows, relations naming
 * one speaker (by its stream), lecture mode and the floor, whispers */
static void test_part_mix(void **state)
{
	static struct mediapol mp;
	struct conf *c = NULL;
	struct participant *a, *b, *l;
	struct part_mix m;
	char detail[160];
	const char *doc = "{\"relations\":["
		"{\"listener\":{\"role\":\"participant\"},"
		"\"speaker\":{\"role\":\"moderator\"},\"gain_db\":6},"
		"{\"listener\":{\"uri\":\"sip:l@x\"},"
		"\"speaker\":{\"uri\":\"sip:b@x\"},\"hears\":false}],"
		"\"lecture\":{\"enabled\":true,\"lecturers\":"
		"[{\"uri\":\"sip:a@x\"}]}}";
	enum part_listen listen;

	(void)state;
	assert_int_equal(conf_create(cs, "m1", NULL, &c), 0);
	a = caller(c, "sip:a@x", 31);
	b = caller(c, "sip:b@x", 32);
	l = caller(c, "sip:l@x", 33);
	assert_int_equal(mediapol_parse(&mp, NULL, doc, strlen(doc), detail,
					sizeof(detail)), 0);
	rec.media = 0;
	assert_int_equal(conf_set_mediapol(c, &mp), 0);
	assert_int_equal(rec.media, 3);        /* everyone's mixing */
	conf_part_mix(l, &m);
	assert_true(m.by_class);
	assert_true(m.cls_db[1] == 6);         /* moderators louder */
	assert_true(m.cls_db[2] == 0);
	assert_int_equal(m.nrel, 1);           /* b, by its stream */
	assert_int_equal(m.rel[0].stream, 32);
	assert_true(m.rel[0].gain_db <= MEDIAPOL_GAIN_MIN_DB);
	assert_true(m.silenced);               /* lecture: not a lecturer */
	conf_part_mix(a, &m);
	assert_false(m.silenced);
	assert_int_equal(m.nrel, 0);
	/* the floor, and its hand lowered */
	part_set_hand(l, true);
	assert_true(part_hand_since(l) > 0);
	part_set_floor(l, true);
	assert_false(part_hand(l));
	conf_part_mix(l, &m);
	assert_false(m.silenced);
	/* a stream that changes is named anew in the relations that name
	 * it (l's only) */
	rec.media = 0;
	part_set_stream(b, 42);
	assert_int_equal(rec.media, 1);
	conf_part_mix(l, &m);
	assert_int_equal(m.rel[0].stream, 42);

	/* a whisper from a to l, listening to l alone */
	assert_int_equal(part_set_whisper(a, a, PART_LISTEN_ROOM), EINVAL);
	assert_int_equal(part_set_whisper(a, l, PART_LISTEN_TARGET), 0);
	assert_ptr_equal(part_whisper(a, &listen), l);
	assert_int_equal(listen, PART_LISTEN_TARGET);
	conf_part_mix(a, &m);
	assert_int_equal(m.whisper_to, 33);
	assert_int_equal(m.listen_to, 33);
	/* l leaves: the whisper ends */
	part_set_ep(l, NULL);
	part_gone(l, 0, NULL);
	assert_null(part_whisper(a, NULL));
	conf_part_mix(a, &m);
	assert_int_equal(m.whisper_to, 0);
	assert_int_equal(m.listen_to, 0);
}

static unsigned floor_told;

static void floor_h(struct floor_request *r, void *arg)
{
	(void)r;
	(void)arg;
	floor_told++;
}

static bool is_silenced(const struct participant *p)
{
	struct part_mix m;

	conf_part_mix(p, &m);
	return m.silenced;
}

/* Floor control: chair-moderated and automatic policies, the queue by
 * priority, the holders limit, the mixing that follows, the hand, a
 * leave, and the policy stored */
static void test_floors(void **state)
{
	struct conf *c = NULL;
	struct confs *cs2 = NULL;
	struct confs_cfg cfg = {.domain = "d", .http_base = "http://h"};
	struct floor_policy fp = {.enabled = true, .mode = FLOOR_MODE_CHAIR,
				  .max_holders = 1};
	struct participant *a, *b, *d;
	struct floor_request *ra, *rb, *rd, *again;
	const struct floor_policy *got;

	(void)state;
	floor_told = 0;
	confs_set_floor_handler(cs, floor_h, NULL);
	assert_int_equal(conf_create(cs, "f1", NULL, &c), 0);
	a = caller(c, "sip:a@x", 51);
	b = caller(c, "sip:b@x", 52);
	d = caller(c, "sip:d@x", 53);
	assert_int_equal(conf_floor_request(c, FLOOR_AUDIO, a, NULL, 2, NULL,
					    &ra), EPERM);      /* off */
	assert_false(is_silenced(a));
	fp.max_holders = 0;
	assert_int_equal(conf_set_floor_policy(c, FLOOR_AUDIO, &fp), EINVAL);
	fp.max_holders = 1;
	assert_int_equal(conf_set_floor_policy(c, 2, &fp), ENOENT);
	assert_int_equal(conf_set_floor_policy(c, FLOOR_AUDIO, &fp), 0);
	assert_true(is_silenced(a) && is_silenced(b));   /* nobody holds */

	/* chair-moderated: requests wait, by priority then age */
	assert_int_equal(conf_floor_request(c, FLOOR_AUDIO, a, NULL, 2, "q?",
					    &ra), 0);
	assert_int_equal(conf_floor_request(c, FLOOR_AUDIO, b, NULL, 2, NULL,
					    &rb), 0);
	assert_int_equal(conf_floor_request(c, FLOOR_AUDIO, d, NULL, 4, NULL,
					    &rd), 0);
	assert_int_equal(conf_floor_request(c, FLOOR_AUDIO, a, NULL, 2, NULL,
					    &again), EALREADY);
	assert_ptr_equal(again, ra);
	assert_int_equal(floor_request_status(ra), FLOOR_PENDING);
	assert_int_equal(floor_request_queue_pos(rd), 1);  /* highest */
	assert_int_equal(floor_request_queue_pos(ra), 2);
	assert_int_equal(floor_request_queue_pos(rb), 3);
	assert_string_equal(floor_request_info(ra), "q?");
	/* each new request, and a and b again when d went ahead of them */
	assert_int_equal(floor_told, 5);
	/* a chair grants a; b cannot be granted beside it */
	assert_int_equal(floor_request_decide(ra, FLOOR_GRANTED, NULL), 0);
	assert_int_equal(floor_request_status(ra), FLOOR_GRANTED);
	assert_int_equal(floor_request_queue_pos(ra), 0);
	assert_true(part_floor(a));
	assert_false(is_silenced(a));
	assert_true(is_silenced(b));
	assert_int_equal(floor_request_decide(rb, FLOOR_GRANTED, NULL),
			 ENOSPC);
	assert_int_equal(floor_request_decide(rb, FLOOR_REVOKED, NULL),
			 EINVAL);
	assert_int_equal(floor_request_decide(rd, FLOOR_DENIED, "later"), 0);
	assert_null(conf_floor_request_of(c, FLOOR_AUDIO, d));  /* ended */
	assert_int_equal(floor_request_queue_pos(rb), 1);
	/* revoked: a is silent again, b may have it */
	assert_int_equal(floor_request_decide(ra, FLOOR_REVOKED, NULL), 0);
	assert_false(part_floor(a));
	assert_true(is_silenced(a));
	assert_int_equal(floor_request_decide(rb, FLOOR_GRANTED, NULL), 0);
	assert_int_equal(conf_floor_holders(c, FLOOR_AUDIO), 1);
	floor_request_release(rb);
	assert_int_equal(conf_floor_holders(c, FLOOR_AUDIO), 0);

	/* automatic, two holders: granted at once, then queued; a release
	 * moves the queue on */
	fp.mode = FLOOR_MODE_AUTO;
	fp.max_holders = 2;
	assert_int_equal(conf_set_floor_policy(c, FLOOR_AUDIO, &fp), 0);
	assert_int_equal(conf_floor_request(c, FLOOR_AUDIO, a, NULL, 2, NULL,
					    &ra), 0);
	assert_int_equal(conf_floor_request(c, FLOOR_AUDIO, b, NULL, 2, NULL,
					    &rb), 0);
	assert_int_equal(conf_floor_request(c, FLOOR_AUDIO, d, NULL, 2, NULL,
					    &rd), 0);
	assert_int_equal(floor_request_status(ra), FLOOR_GRANTED);
	assert_int_equal(floor_request_status(rb), FLOOR_GRANTED);
	assert_int_equal(floor_request_status(rd), FLOOR_PENDING);
	assert_int_equal(floor_request_queue_pos(rd), 1);
	floor_request_release(ra);
	assert_int_equal(floor_request_status(rd), FLOOR_GRANTED);
	/* one holder allowed: the latest grant goes */
	fp.max_holders = 1;
	assert_int_equal(conf_set_floor_policy(c, FLOOR_AUDIO, &fp), 0);
	assert_true(part_floor(b));
	assert_false(part_floor(d));
	/* d leaves the queue by its hand; b leaves the conference */
	part_set_hand(d, true);                 /* a request, queued */
	assert_non_null(conf_floor_request_of(c, FLOOR_AUDIO, d));
	part_set_hand(d, false);
	assert_null(conf_floor_request_of(c, FLOOR_AUDIO, d));
	part_set_ep(b, NULL);
	part_gone(b, 0, NULL);
	assert_int_equal(conf_floor_holders(c, FLOOR_AUDIO), 0);
	/* the API's floor: a grant on p's behalf, its hand answered */
	part_set_hand(a, true);
	assert_true(part_floor(a));             /* auto: granted at once */
	assert_false(part_hand(a));
	part_set_floor(a, false);
	assert_false(part_floor(a));

	/* stored */
	assert_int_equal(confs_alloc(&cs2, &cfg, st), 0);
	assert_int_equal(confs_load(cs2), 0);
	got = conf_floor_policy(confs_lookup(cs2, "f1"), FLOOR_AUDIO);
	assert_non_null(got);
	assert_true(got->enabled && got->mode == FLOOR_MODE_AUTO &&
		    got->max_holders == 1);
	mem_deref(cs2);
	/* off: every request ends, everyone heard as usual */
	assert_int_equal(conf_floor_request(c, FLOOR_AUDIO, d, NULL, 2, NULL,
					    &rd), 0);
	fp.enabled = false;
	assert_int_equal(conf_set_floor_policy(c, FLOOR_AUDIO, &fp), 0);
	assert_null(conf_floor_request_of(c, FLOOR_AUDIO, d));
	assert_false(is_silenced(a) || is_silenced(d));
	confs_set_floor_handler(cs, NULL, NULL);
}

/* The counts kept by the setters (who is present, who whispers) are
 * what a pass over the roster finds, after each step of joins, a
 * failure, leaves, whispers; and a change of one participant's alone
 * names it to the observers */
struct named {
	unsigned n, named;
	const struct participant *last;
};

static void named_h(struct conf *c, bool destroyed, void *arg)
{
	struct named *nm = arg;

	nm->n++;
	if (!destroyed && conf_changed_part(c)) {
		nm->named++;
		nm->last = conf_changed_part(c);
	}
}

static void counts_ok(const struct conf *c)
{
	assert_int_equal(conf_present_count(c), conf_present_recount(c));
	assert_int_equal(c->nwhisper, conf_whisper_recount(c));
}

static void test_counts(void **state)
{
	struct conf *c = NULL;
	struct participant *p[6], *d = NULL;
	struct named nm = {0};
	char uri[32];

	(void)state;
	assert_int_equal(conf_create(cs, "k", NULL, &c), 0);
	assert_int_equal(confs_add_change_handler(cs, named_h, &nm), 0);
	for (unsigned i = 0; i < 6; i++) {
		snprintf(uri, sizeof(uri), "sip:u%u@x", i);
		p[i] = caller(c, uri, 50 + i);
		counts_ok(c);
	}
	assert_int_equal(conf_present_count(c), 6);
	assert_ptr_equal(nm.last, p[5]);       /* its status: its own */
	nm.named = 0;
	part_set_status(p[0], PART_ON_HOLD);
	assert_int_equal(nm.named, 1);
	assert_ptr_equal(nm.last, p[0]);
	assert_null(conf_changed_part(c));     /* outside observers */
	/* a dial that fails lingers, not present */
	assert_int_equal(add(c, "sip:far@x", NULL, true, &d), 0);
	counts_ok(c);
	assert_int_equal(conf_present_count(c), 7);
	conf_reconcile(c);
	part_set_ep(d, NULL);
	part_gone(d, 486, "Busy Here");
	counts_ok(c);
	assert_int_equal(conf_present_count(c), 6);
	assert_ptr_equal(nm.last, d);
	/* whispers: set, moved, cleared, ended by their target leaving */
	assert_int_equal(part_set_whisper(p[1], p[2], PART_LISTEN_ROOM), 0);
	assert_int_equal(part_set_whisper(p[3], p[2], PART_LISTEN_ROOM), 0);
	counts_ok(c);
	assert_int_equal(c->nwhisper, 2);
	assert_int_equal(part_set_whisper(p[3], p[4], PART_LISTEN_ROOM), 0);
	counts_ok(c);
	assert_int_equal(part_set_whisper(p[1], NULL, PART_LISTEN_ROOM), 0);
	counts_ok(c);
	assert_int_equal(c->nwhisper, 1);
	assert_int_equal(part_set_whisper(p[1], p[4], PART_LISTEN_ROOM), 0);
	part_set_ep(p[4], NULL);
	part_gone(p[4], 0, NULL);              /* whispered to: both end */
	counts_ok(c);
	assert_int_equal(c->nwhisper, 0);
	assert_int_equal(conf_present_count(c), 5);
	/* one whispering leaves */
	assert_int_equal(part_set_whisper(p[5], p[2], PART_LISTEN_ROOM), 0);
	part_set_ep(p[5], NULL);
	part_gone(p[5], 0, NULL);
	counts_ok(c);
	assert_int_equal(c->nwhisper, 0);
	/* asked to leave: not present while it goes */
	rec.hangup_completes = false;
	part_remove(p[1]);
	counts_ok(c);
	assert_int_equal(conf_present_count(c), 3);
	part_set_ep(p[1], NULL);
	part_gone(p[1], 0, NULL);
	counts_ok(c);
	part_remove(d);                        /* the failed entry goes */
	counts_ok(c);
	assert_int_equal(conf_present_count(c), 3);
	confs_remove_change_handler(cs, named_h, &nm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_ids, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dial_out_and_remove,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_setters_version, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_failed_dial_lingers,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_hangs_up_everyone,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_then_calls_end,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audio_mode, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sidebars, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_breakouts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_part_mix, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_floors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_messages, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_counts, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
