/*
 * Allocation failures (alloc_fail.h) in the RFC 4575 documents: full
 * ones in both views (XML and JSON), partial ones from snapshots, and the
 * shared renders of the SIP NOTIFYs. Part of test_alloc_fail.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "part_fixture.h"
#include "test_alloc_fail.h"
#include "conf/conf.h"
#include "conf/policy.h"
#include "notify/notify.h"
#include "store/store.h"
#include "util/json.h"
#include "util/log.h"

/* The world of the document tests --------------------------------- */

static struct {
	struct store *st;
	struct confs *cs;
	struct conf *c;
} w;

static int w_dial(struct participant *p, void *arg)
{
	(void)arg;
	part_set_ep(p, &w);
	return 0;
}

static void w_none(struct participant *p, void *arg)
{
	(void)p;
	(void)arg;
}

static const struct conf_ops w_ops = {
	.dial = w_dial, .hangup = w_none, .media = w_none,
};

/* a participant as the SIP side would report it */
static struct participant *add_with(const struct part_new *n,
				    enum part_status status)
{
	return part_fixture_add(w.c, &w, n, status, "opus");
}

static struct participant *add(const char *uri, const char *name,
			       enum part_status status, bool dial_out)
{
	struct part_new n = {.uri = uri, .display = name,
			     .dial_out = dial_out};

	return add_with(&n, status);
}

/* A conference with someone in every state and view: two endpoints of
 * one user, dial-outs, a referral, hold, focus mute, anonymous, hidden
 * and pending people, a failed dial-out and someone being removed, and
 * sidebars */
int notify_world_setup(void **state)
{
	struct confs_cfg cfg = {.domain = "example.org",
				.http_base = "http://h:8080"};
	struct part_settings mute = {.muted = true};
	struct policy pol;
	struct participant *p;
	struct sidebar *s1, *s2;

	(void)state;
	log_set_level(LOG_ERROR);
	if (store_open(&w.st, ":memory:") || confs_alloc(&w.cs, &cfg, w.st))
		return -1;
	confs_set_ops(w.cs, &w_ops, NULL);
	if (conf_create(w.cs, "room", "Board <& \"friends\">", &w.c))
		return -1;
	policy_default(&pol);
	pol.max_participants = 50;
	if (conf_set_policy(w.c, &pol))
		return -1;
	p = add("sip:ann@example.org", "Ann & Co", PART_CONNECTED, false);
	part_set_role(p, "moderator");
	add("sip:ann@example.org", "Ann & Co", PART_CONNECTED, false);
	add("sip:bob@example.org", NULL, PART_DIALING_OUT, true);
	add_with(&(struct part_new){.uri = "sip:cat@example.org",
				    .display = "Cat", .dial_out = true,
				    .referred_by = "sip:ann@example.org"},
		 PART_ALERTING);
	add("sip:dee@example.org", "Dee", PART_ON_HOLD, false);
	p = add("sip:eve@example.org", "Eve", PART_CONNECTED, false);
	part_update_settings(p, &mute);
	p = add("sip:fay@example.org", "Fay", PART_CONNECTED, false);
	part_set_privacy(p, true, false);
	p = add("sip:gus@example.org", "Gus", PART_CONNECTED, false);
	part_set_privacy(p, false, true);
	add_with(&(struct part_new){.uri = "sip:hal@example.org",
				    .display = "Hal", .pending = true},
		 PART_DIALING_IN);
	p = add("sip:ivy@example.org", "Ivy", PART_DIALING_OUT, true);
	part_set_ep(p, NULL);
	part_gone(p, 486, "Busy Here");
	p = add("sip:joe@example.org", "Joe", PART_CONNECTED, false);
	part_remove_by(p, "sip:ann@example.org");
	/* sidebars, one listed by value, with members of every kind */
	s1 = part_fixture_sidebar(w.c, "s1", "One", true);
	s2 = part_fixture_sidebar(w.c, "s2", "Two", false);
	part_set_sidebar(conf_find_uri(w.c, "sip:dee@example.org", false), s1);
	part_set_sidebar(conf_find_uri(w.c, "sip:fay@example.org", false), s1);
	part_set_sidebar(conf_find_uri(w.c, "sip:gus@example.org", false), s1);
	part_set_sidebar(conf_find_uri(w.c, "sip:eve@example.org", false), s2);
	return 0;
}

int notify_world_teardown(void **state)
{
	af_guard(state);
	w.cs = mem_deref(w.cs);
	w.st = mem_deref(w.st);
	return 0;
}

static const struct notify_view view_part = {.moderator = false};
static const struct notify_view view_mod = {.moderator = true};

/* Full documents: both views, as XML and as JSON ------------------ */

static struct {
	struct odict *doc[2];
	char *text[4];
	char ref[4][65536];
} full;

static int full_run(void)
{
	int err = 0;

	for (int v = 0; v < 2 && !err; v++) {
		err = notify_doc_full(&full.doc[v], w.c, 7,
				      v ? &view_mod : &view_part);
		err = err ? err : re_sdprintf(&full.text[2 * v], "%H",
					      notify_xml_print, full.doc[v]);
		err = err ? err : re_sdprintf(&full.text[2 * v + 1], "%H",
					      json_print, full.doc[v]);
	}
	return err;
}

static void full_check(bool reference)
{
	for (int i = 0; i < 4; i++) {
		if (reference)
			assert_true(strlen(full.text[i]) <
				    sizeof(full.ref[i]));
		if (reference)
			snprintf(full.ref[i], sizeof(full.ref[i]), "%s",
				 full.text[i]);
		else
			assert_string_equal(full.text[i], full.ref[i]);
	}
}

static void full_teardown(void)
{
	for (int i = 0; i < 2; i++)
		full.doc[i] = mem_deref(full.doc[i]);
	for (int i = 0; i < 4; i++)
		full.text[i] = mem_deref(full.text[i]);
}

void test_notify_full(void **state)
{
	static const struct af_case c = {"notify_doc_full (2 views, XML+JSON)",
		NULL, full_run, full_check, full_teardown,
		af_enomem};

	(void)state;
	af_case_run(&c);
	assert_non_null(strstr(full.ref[0], "sip:anonymous-"));
	assert_null(strstr(full.ref[0], "gus@"));
	assert_non_null(strstr(full.ref[2], "gus@"));
	assert_non_null(strstr(full.ref[2], "<status>pending</status>"));
	assert_non_null(strstr(full.ref[0], "<sidebars-by-val><entry"));
}

/* Partial documents from snapshots (the JSON event stream's way): a
 * subscriber that saw the moderators' view gets the participants' */

static struct {
	struct odict *from, *to;        /* unarmed: the two states */
	struct notify_snap *snap;
	struct odict *d[3];
	bool partial[2];
	int nodata;
	char *text;
	char ref[65536];
	bool ref_partial[2];
} dif;

static int diff_setup(void)
{
	int err = notify_doc_full(&dif.from, w.c, 7, &view_mod);

	return err ? err : notify_doc_full(&dif.to, w.c, 8, &view_part);
}

static int diff_run(void)
{
	bool p3;
	int err = notify_snap_alloc(&dif.snap);

	err = err ? err : notify_doc_diff(&dif.d[0], dif.snap, dif.from,
					  &dif.partial[0]);
	err = err ? err : notify_doc_diff(&dif.d[1], dif.snap, dif.to,
					  &dif.partial[1]);
	/* nothing changed since: nothing to send */
	if (!err)
		dif.nodata = notify_doc_diff(&dif.d[2], dif.snap, dif.to, &p3);
	if (!err && dif.nodata != ENODATA)
		err = dif.nodata;
	return err ? err : re_sdprintf(&dif.text, "%H", notify_xml_print,
				       dif.d[1]);
}

static void diff_check(bool reference)
{
	assert_int_equal(dif.nodata, ENODATA);
	assert_null(dif.d[2]);
	if (reference) {
		assert_true(strlen(dif.text) < sizeof(dif.ref));
		snprintf(dif.ref, sizeof(dif.ref), "%s", dif.text);
		memcpy(dif.ref_partial, dif.partial, sizeof(dif.partial));
		return;
	}
	assert_string_equal(dif.text, dif.ref);
	assert_memory_equal(dif.partial, dif.ref_partial,
			    sizeof(dif.partial));
}

static void diff_teardown(void)
{
	for (int i = 0; i < 3; i++)
		dif.d[i] = mem_deref(dif.d[i]);
	dif.snap = mem_deref(dif.snap);
	dif.text = mem_deref(dif.text);
	dif.from = mem_deref(dif.from);
	dif.to = mem_deref(dif.to);
	dif.nodata = 0;
}

void test_notify_diff(void **state)
{
	static const struct af_case c = {"notify_doc_diff (full, partial)",
		diff_setup, diff_run, diff_check, diff_teardown,
		af_enomem};

	(void)state;
	af_case_run(&c);
	assert_false(dif.ref_partial[0]);
	assert_true(dif.ref_partial[1]);
	assert_non_null(strstr(dif.ref, "state=\"deleted\""));
	assert_non_null(strstr(dif.ref, "<sidebars-by-val state=\"partial\">"
			       "<entry entity=\"sip:room+s1@example.org\" "
			       "state=\"partial\"><users state=\"partial\">"));
}

/* Shared renders (the SIP NOTIFYs' way): full, partial from another
 * render, the same step shared, forced full, nothing to send */

static struct {
	struct notify_render *r[3];
	struct mbuf *b[4];
	bool partial[4];
	int nodata;
	char text[4][65536], head[2][512];
	char ref[4][65536], ref_head[2][512];
	bool ref_partial[4];
} rnd;

static int render_run(void)
{
	int err = notify_render_alloc(&rnd.r[0], w.c, &view_mod);

	err = err ? err : notify_render_delta(&rnd.b[0], &rnd.partial[0],
					      rnd.r[0], NULL, false);
	err = err ? err : notify_render_alloc(&rnd.r[1], w.c, &view_part);
	err = err ? err : notify_render_delta(&rnd.b[1], &rnd.partial[1],
					      rnd.r[1], rnd.r[0], false);
	err = err ? err : notify_render_delta(&rnd.b[2], &rnd.partial[2],
					      rnd.r[1], rnd.r[0], false);
	err = err ? err : notify_render_delta(&rnd.b[3], &rnd.partial[3],
					      rnd.r[1], rnd.r[0], true);
	err = err ? err : notify_render_head(rnd.head[0],
					     sizeof(rnd.head[0]), rnd.r[1],
					     rnd.partial[1], 8);
	err = err ? err : notify_render_head(rnd.head[1],
					     sizeof(rnd.head[1]), rnd.r[1],
					     false, 9);
	err = err ? err : notify_render_alloc(&rnd.r[2], w.c, &view_part);
	if (!err) {
		struct mbuf *mb = NULL;
		bool partial;

		rnd.nodata = notify_render_delta(&mb, &partial, rnd.r[2],
						 rnd.r[1], false);
		mem_deref(mb);
		if (rnd.nodata != ENODATA)
			err = rnd.nodata;
	}
	return err;
}

static void render_check(bool reference)
{
	assert_int_equal(rnd.nodata, ENODATA);
	assert_ptr_equal(rnd.b[1], rnd.b[2]);       /* shared */
	for (int i = 0; i < 4; i++) {
		af_text(rnd.text[i], sizeof(rnd.text[i]), rnd.b[i]);
		assert_true(rnd.b[i]->end < sizeof(rnd.text[i]));
	}
	if (reference) {
		memcpy(rnd.ref, rnd.text, sizeof(rnd.text));
		memcpy(rnd.ref_head, rnd.head, sizeof(rnd.head));
		memcpy(rnd.ref_partial, rnd.partial, sizeof(rnd.partial));
		return;
	}
	for (int i = 0; i < 4; i++)
		assert_string_equal(rnd.text[i], rnd.ref[i]);
	for (int i = 0; i < 2; i++)
		assert_string_equal(rnd.head[i], rnd.ref_head[i]);
	assert_memory_equal(rnd.partial, rnd.ref_partial,
			    sizeof(rnd.partial));
}

static void render_teardown(void)
{
	for (int i = 0; i < 4; i++)
		rnd.b[i] = mem_deref(rnd.b[i]);
	for (int i = 0; i < 3; i++)
		rnd.r[i] = mem_deref(rnd.r[i]);
	memset(rnd.head, 0, sizeof(rnd.head));
	rnd.nodata = 0;
}

void test_notify_render(void **state)
{
	static const struct af_case c = {"notify_render (full, partial)",
		NULL, render_run, render_check, render_teardown,
		af_enomem};

	(void)state;
	af_case_run(&c);
	assert_true(rnd.ref_partial[1]);
	assert_false(rnd.ref_partial[3]);
	assert_non_null(strstr(rnd.ref_head[0], "state=\"partial\""));
}
