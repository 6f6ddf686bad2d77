/*
 * Allocation failures (alloc_fail.h) in the reconciler, on a SQLite
 * store (in memory) with a recording conf_ops, and in reloading the
 * conferences from the store. Part of test_alloc_fail.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "test_alloc_fail.h"
#include "conf/conf.h"
#include "conf/policy.h"
#include "store/store.h"
#include "util/log.h"

/* The reconciler ----------------------------------------------------- */

/* What the reconciler asked the SIP side to do, what became of whom, and
 * what the observers heard, in order; dan's part (called because the new
 * policy invites him) apart, see rc_check */
struct trace {
	char text[1024];
	size_t len;
};

static struct {
	struct store *st;
	struct confs *cs;
	struct policy pol;
	struct trace main, dan, ref_main, ref_dan;
	unsigned changes, ref_changes;
} rc;

static void put(struct trace *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t->text + t->len, sizeof(t->text) - t->len, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(t->text) - t->len)
		t->len += (size_t)n;
}

static struct trace *trace_of(const char *uri)
{
	return strstr(uri, "dan@") ? &rc.dan : &rc.main;
}

static void say(const char *what, struct participant *p)
{
	put(trace_of(part_uri(p)), "%s %s; ", what, part_uri(p));
}

/* a participant's state */
static void note(const char *uri, struct participant *p)
{
	if (!p)
		put(trace_of(uri), "%s: absent; ", uri);
	else
		put(trace_of(uri), "%s: %s %s%s; ", uri,
		    part_status_name(part_status(p)), part_role(p),
		    part_settings(p)->muted ? " muted" : "");
}

static int rc_dial(struct participant *p, void *arg)
{
	(void)arg;
	say("dial", p);
	/* the far end of cat cannot be reached: the dial fails at once */
	if (strstr(part_uri(p), "cat@"))
		return ECONNREFUSED;
	part_set_ep(p, &rc);
	return 0;
}

static void rc_hangup(struct participant *p, void *arg)
{
	(void)arg;
	say("hangup", p);
	part_set_ep(p, NULL);
	part_gone(p, 0, NULL);          /* the BYE completes at once */
}

static void rc_media(struct participant *p, void *arg)
{
	(void)arg;
	say(part_settings(p)->muted ? "mute" : "unmute", p);
}

static const struct conf_ops rc_ops = {
	.dial = rc_dial, .hangup = rc_hangup, .media = rc_media,
};

static void rc_changed(struct conf *c, bool destroyed, void *arg)
{
	(void)c;
	(void)arg;
	rc.changes++;
	if (destroyed)
		put(&rc.main, "destroyed; ");
}

static int rc_setup(void)
{
	struct policy_user *u;

	memset(&rc.main, 0, sizeof(rc.main));
	memset(&rc.dan, 0, sizeof(rc.dan));
	rc.changes = 0;
	/* the new policy: bob is denied now, ann becomes a moderator muted
	 * by her entry, dan must be present */
	policy_default(&rc.pol);
	rc.pol.rules[0].match = POLICY_MATCH_AOR;
	snprintf(rc.pol.rules[0].value, sizeof(rc.pol.rules[0].value),
		 "sip:bob@example.org");
	rc.pol.rules[0].action = POLICY_DENY;
	rc.pol.nrules = 1;
	u = policy_user_get(&rc.pol, "sip:ann@example.org");
	snprintf(u->role, sizeof(u->role), "moderator");
	u->muted = true;
	u = policy_user_get(&rc.pol, "sip:dan@example.org");
	u->invite = true;
	return store_open(&rc.st, ":memory:");
}

/* Only what the functions return is an error here; a state that is
 * not the reference one (a step that said 0 and did not happen) is for
 * rc_check to find in the trace */
static int rc_run(void)
{
	struct confs_cfg cfg = {.domain = "example.org",
				.http_base = "http://h:8080"};
	struct part_settings s = {.gain_in_db = -6};
	struct participant *ann, *bob, *cat, *dan;
	struct conf *c;
	int err = confs_alloc(&rc.cs, &cfg, rc.st);

	if (err)
		return err;
	confs_set_ops(rc.cs, &rc_ops, NULL);
	err = confs_add_change_handler(rc.cs, rc_changed, NULL);
	err = err ? err : conf_create(rc.cs, "room", "Room", &c);
	/* ann calls in, bob and cat are called (cat fails at once) */
	err = err ? err : part_add(c, &(struct part_new){
			.uri = "sip:ann@example.org", .display = "Ann"}, &ann);
	err = err ? err : part_add(c, &(struct part_new){
			.uri = "sip:bob@example.org", .dial_out = true}, &bob);
	err = err ? err : part_add(c, &(struct part_new){
			.uri = "sip:cat@example.org", .display = "Cat",
			.dial_out = true}, &cat);
	if (err)
		return err;
	part_set_ep(ann, &rc);
	part_set_status(ann, PART_CONNECTED);
	conf_reconcile(c);
	part_set_status(bob, PART_CONNECTED);
	note("cat", cat);
	part_update_settings(ann, &s);
	/* bob ejected, ann muted, dan called */
	err = conf_set_policy(c, &rc.pol);
	if (err)
		return err;
	note("ann", ann);
	dan = conf_find_uri(c, "sip:dan@example.org", false);
	if (dan)
		part_gone(dan, 480, "Temporarily Unavailable");  /* failed */
	note("dan@", dan);
	part_remove(ann);
	mem_ref(c);
	err = conf_destroy(c);         /* takes cat and dan off too */
	put(&rc.main, "left %u; ", conf_participant_count(c));
	mem_deref(c);
	return err;
}

static void rc_check(bool reference)
{
	put(&rc.main, "confs %u", confs_count(rc.cs));
	if (reference) {
		rc.ref_main = rc.main;
		rc.ref_dan = rc.dan;
		rc.ref_changes = rc.changes;
		return;
	}
	assert_string_equal(rc.main.text, rc.ref_main.text);
	assert_string_equal(rc.dan.text, rc.ref_dan.text);
	assert_int_equal(rc.changes, rc.ref_changes);
}

static void rc_teardown(void)
{
	rc.cs = mem_deref(rc.cs);
	rc.st = mem_deref(rc.st);
}

/* a failed allocation, or the store failing for one (conf.h: EIO) */
static bool rc_err_ok(int err)
{
	return err == ENOMEM || err == EIO;
}

void test_reconciler(void **state)
{
	static const struct af_case c = {"reconciler (conf.h)", rc_setup,
		rc_run, rc_check, rc_teardown, rc_err_ok};

	(void)state;
	log_set_level(LOG_ERROR);
	af_case_run(&c);
	assert_non_null(strstr(rc.ref_dan.text, "dial sip:dan@example.org"));
	assert_non_null(strstr(rc.ref_main.text,
			       "hangup sip:bob@example.org"));
	assert_non_null(strstr(rc.ref_main.text, "destroyed"));
}

/* Reloading from the store (a restart): the conference comes back with
 * its stored audio and policy, or the load fails */

static struct {
	struct store *st;
	struct confs *cs;
	char text[4096], ref[4096];
} ld;

static int load_setup(void)
{
	struct confs_cfg cfg = {.domain = "example.org",
				.http_base = "http://h:8080"};
	struct confs *cs = NULL;
	struct conf *c = NULL;
	struct policy pol;
	int err = store_open(&ld.st, ":memory:");

	err = err ? err : confs_alloc(&cs, &cfg, ld.st);
	err = err ? err : conf_create(cs, "kept", "Kept", &c);
	/* locked, and closed to a domain: what must not open up */
	policy_default(&pol);
	pol.locked = true;
	pol.default_action = POLICY_DENY;
	pol.rules[0].match = POLICY_MATCH_DOMAIN;
	snprintf(pol.rules[0].value, sizeof(pol.rules[0].value),
		 "example.org");
	pol.rules[0].action = POLICY_ALLOW;
	pol.nrules = 1;
	err = err ? err : conf_set_policy(c, &pol);
	err = err ? err : conf_set_audio(c, "recvonly");
	mem_deref(cs);
	return err;
}

static int load_run(void)
{
	struct confs_cfg cfg = {.domain = "example.org",
				.http_base = "http://h:8080"};
	int err = confs_alloc(&ld.cs, &cfg, ld.st);

	return err ? err : confs_load(ld.cs);
}

static void load_check(bool reference)
{
	struct conf *c = confs_lookup(ld.cs, "kept");

	assert_non_null(c);
	re_snprintf(ld.text, sizeof(ld.text), "%s %s %s %H",
		    conf_display_text(c), conf_uri(c), conf_audio(c),
		    policy_print, conf_policy(c));
	if (reference) {
		snprintf(ld.ref, sizeof(ld.ref), "%s", ld.text);
		return;
	}
	assert_string_equal(ld.text, ld.ref);
}

static void load_teardown(void)
{
	ld.cs = mem_deref(ld.cs);
	ld.st = mem_deref(ld.st);
}

void test_reload(void **state)
{
	static const struct af_case c = {"confs_load (restart)", load_setup,
		load_run, load_check, load_teardown, rc_err_ok};

	(void)state;
	log_set_level(LOG_ERROR);
	af_case_run(&c);
	assert_non_null(strstr(ld.ref, "\"locked\":true"));
	assert_non_null(strstr(ld.ref, " recvonly "));
}
