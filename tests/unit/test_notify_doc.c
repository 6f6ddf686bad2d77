/* RFC 4575 documents: every state a participant can be in, both views,
 * validated with xmllint against the schema in tests/schemas; views hide
 * and anonymise; users group endpoints; text is escaped; sidebars by
 * reference and by value, a sidebar's own document, and the partial
 * documents of sidebar changes (the shared renders' and the tree diff's,
 * the same); RFC 6501's floor element with floor control on, and the
 * partial documents of grants and revocations. */
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
#include "conf/conf.h"
#include "conf/conf_video.h"
#include "conf/floor.h"
#include "conf/policy.h"
#include "notify/notify.h"
#include "store/store.h"
#include "util/json.h"

static char dir[64];
static struct store *st;
static struct confs *cs;
static struct conf *c;
static char xml[32768];

static int rec_dial(struct participant *p, void *arg)
{
	(void)arg;
	part_set_ep(p, &cs);
	return 0;
}

static void rec_none(struct participant *p, void *arg)
{
	(void)p;
	(void)arg;
}

static const struct conf_ops ops = {
	.dial = rec_dial, .hangup = rec_none, .media = rec_none,
};

/* A participant as the SIP side would report it: its dialog, and for
 * one that is in, its media */
static struct participant *add_with(const struct part_new *n,
				    enum part_status status)
{
	return part_fixture_add(c, &cs, n, status, "PCMU");
}

static struct participant *add(const char *uri, const char *name,
			       enum part_status status, bool dial_out)
{
	struct part_new n = {.uri = uri, .display = name,
			     .dial_out = dial_out};

	return add_with(&n, status);
}

static int setup(void **state)
{
	char path[128];
	struct confs_cfg cfg = {.domain = "example.org",
				.http_base = "http://h:8080"};

	(void)state;
	libre_init();
	snprintf(dir, sizeof(dir), "/tmp/caucus-doc-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/c.db", dir);
	if (store_open(&st, path) || confs_alloc(&cs, &cfg, st))
		return -1;
	confs_set_ops(cs, &ops, NULL);
	return conf_create(cs, "room", "Board <& \"friends\">", &c);
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

/* Validates xml[] against the schema. */
static void validate(void)
{
	const char *sd = getenv("CAUCUS_SCHEMA_DIR");
	char path[128], cmd[512];
	FILE *f;

	if (!sd)
		fail_msg("CAUCUS_SCHEMA_DIR is not set (ctest sets it)");
	snprintf(path, sizeof(path), "%s/doc.xml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(xml, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "xmllint --noout --schema "
		 "'%s/conference-info.xsd' '%s' 2>'%s/err.txt'", sd, path, dir);
	if (system(cmd)) {
		char err[1024] = "";

		snprintf(cmd, sizeof(cmd), "%s/err.txt", dir);
		f = fopen(cmd, "r");
		if (f) {
			size_t n = fread(err, 1, sizeof(err) - 1, f);

			err[n] = '\0';
			fclose(f);
		}
		fail_msg("schema: %s\n%s", err, xml);
	}
}

/* Renders the view to xml[] and validates it against the schema. */
static void render_view(const struct notify_view *view)
{
	struct odict *doc = NULL;

	assert_int_equal(notify_doc_full(&doc, c, 7, view), 0);
	re_snprintf(xml, sizeof(xml), "%H", notify_xml_print, doc);
	mem_deref(doc);
	validate();
}

static void render(bool moderator)
{
	render_view(&(struct notify_view){.moderator = moderator});
}

/* xml[] the way golden files hold it: one element per line, the times
 * of day (the only thing that differs from run to run) as TIME */
static void canonical(char *out, size_t sz)
{
	size_t o = 0;

	for (const char *p = xml; *p && o + 8 < sz; p++) {
		if (!strncmp(p, "<when>", 6)) {
			const char *e = strstr(p, "</when>");

			assert_non_null(e);
			o += (size_t)snprintf(out + o, sz - o, "<when>TIME");
			p = e - 1;
			continue;
		}
		out[o++] = *p;
		if (p[0] == '>' && p[1] == '<')
			out[o++] = '\n';
	}
	assert_true(o + 8 < sz);
	out[o++] = '\n';
	out[o] = '\0';
}

/* Compares xml[] with the golden document tests/unit/golden/<name>.xml
 * (CAUCUS_GOLDEN_DIR); CAUCUS_UPDATE_GOLDEN=1 writes it instead. */
static void golden(const char *name)
{
	static char want[32768], got[32768];
	const char *gd = getenv("CAUCUS_GOLDEN_DIR");
	const char *upd = getenv("CAUCUS_UPDATE_GOLDEN");
	char path[512];
	size_t n;
	FILE *f;

	if (!gd)
		fail_msg("CAUCUS_GOLDEN_DIR is not set (ctest sets it)");
	canonical(got, sizeof(got));
	snprintf(path, sizeof(path), "%s/%s.xml", gd, name);
	if (upd && !strcmp(upd, "1")) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(got, f);
		fclose(f);
		return;
	}
	f = fopen(path, "r");
	if (!f)
		fail_msg("no golden document %s (CAUCUS_UPDATE_GOLDEN=1 "
			 "writes it)", path);
	n = fread(want, 1, sizeof(want) - 1, f);
	want[n] = '\0';
	fclose(f);
	if (strcmp(want, got))
		fail_msg("%s differs from its golden document; got:\n%s",
			 path, got);
}

static unsigned count(const char *needle)
{
	unsigned n = 0;

	for (const char *p = xml; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_empty_conference(void **state)
{
	(void)state;
	render(false);
	golden("empty");
	assert_non_null(strstr(xml, "entity=\"sip:room@example.org\""));
	assert_non_null(strstr(xml, "state=\"full\" version=\"7\""));
	assert_non_null(strstr(xml, "<user-count>0</user-count>"));
	assert_non_null(strstr(xml, "<active>false</active>"));
	/* the display text is escaped */
	assert_non_null(strstr(xml, "Board &lt;&amp; &quot;friends&quot;&gt;"));
	assert_non_null(strstr(xml, "<uri>http://h:8080/v1/conferences/room"
			       "</uri><purpose>control</purpose>"));
	assert_non_null(strstr(xml, "<uri>http://h:8080/#room</uri>"));
	assert_null(strstr(xml, "sidebars"));    /* none: not listed */
}

static void test_every_status(void **state)
{
	struct participant *p;
	struct part_settings s = {0};

	(void)state;
	add("sip:a@example.org", "Ann", PART_CONNECTED, false);
	add("sip:b@example.org", "Ben", PART_DIALING_IN, false);
	add("sip:c@example.org", NULL, PART_DIALING_OUT, true);
	add("sip:d@example.org", "Dee", PART_ALERTING, true);
	add("sip:e@example.org", "Eve", PART_ON_HOLD, false);
	p = add("sip:f@example.org", "Fay", PART_CONNECTED, false);
	s.muted = true;
	part_update_settings(p, &s);
	p = add("sip:g@example.org", "Gus", PART_DIALING_OUT, true);
	part_set_ep(p, NULL);
	part_gone(p, 486, "Busy Here");        /* failed, lingers */
	add("sip:h@example.org", "Hal", PART_DISCONNECTING, false);
	render(false);
	golden("every-status");
	assert_int_equal(count("<user "), 8);
	assert_non_null(strstr(xml, "<user-count>7</user-count>"));
	assert_non_null(strstr(xml, "<status>muted-via-focus</status>"));
	assert_non_null(strstr(xml, "<status>on-hold</status>"));
	assert_non_null(strstr(xml, "<status>alerting</status>"));
	assert_non_null(strstr(xml, "<status>dialing-out</status>"));
	assert_non_null(strstr(xml, "<status>dialing-in</status>"));
	assert_non_null(strstr(xml, "<status>disconnecting</status>"));
	assert_non_null(strstr(xml, "<disconnection-method>busy"
			       "</disconnection-method>"));
	assert_non_null(strstr(xml, "<reason>486 Busy Here</reason>"));
	/* media as the participant sees it: muted by the focus it only
	 * receives (recvonly); holding us (our recvonly) it only sends */
	assert_non_null(strstr(xml, "<src-id>1001</src-id>"
			       "<status>sendrecv</status>"));
	assert_non_null(strstr(xml, "<src-id>1006</src-id>"
			       "<status>recvonly</status>"));
	assert_non_null(strstr(xml, "<src-id>1005</src-id>"
			       "<status>sendonly</status>"));
	assert_non_null(strstr(xml, "<call-id>call-1</call-id><from-tag>ft1"
			       "</from-tag><to-tag>tt1</to-tag>"));
	render(true);
	golden("every-status-moderator");
}

static void test_users_group_endpoints(void **state)
{
	(void)state;
	add("sip:alice@example.org", "Alice", PART_CONNECTED, false);
	add("sip:alice@example.org", "Alice", PART_CONNECTED, false);
	render(false);
	golden("two-endpoints");
	assert_int_equal(count("<user "), 1);
	assert_int_equal(count("<endpoint "), 2);
	assert_non_null(strstr(xml, "<user-count>1</user-count>"));
	/* distinct endpoint entities */
	assert_non_null(strstr(xml, "endpoint entity=\"sip:ep@10.0.0.1:5060\""));
	assert_non_null(strstr(xml, "endpoint entity=\"sip:ep@10.0.0.2:5060\""));
}

static void test_views(void **state)
{
	struct participant *anon, *hid;

	(void)state;
	add("sip:open@example.org", "Open", PART_CONNECTED, false);
	anon = add("sip:secret@example.org", "Secret", PART_CONNECTED, false);
	part_set_privacy(anon, true, false);
	hid = add("sip:ghost@example.org", "Ghost", PART_CONNECTED, false);
	part_set_privacy(hid, false, true);
	add_with(&(struct part_new){.uri = "sip:waiting@example.org",
				    .display = "Wait", .pending = true},
		 PART_DIALING_IN);

	render(false);
	golden("views");
	assert_null(strstr(xml, "secret@example.org"));
	assert_null(strstr(xml, "Secret"));
	assert_null(strstr(xml, "call-2"));           /* no dialog ids */
	assert_non_null(strstr(xml, "sip:anonymous-2@anonymous.invalid"));
	assert_null(strstr(xml, "ghost"));
	assert_null(strstr(xml, "Ghost"));
	assert_null(strstr(xml, "waiting"));
	assert_null(strstr(xml, "<status>pending</status>"));
	assert_non_null(strstr(xml, "<user-count>2</user-count>"));

	render(true);                                   /* moderators */
	golden("views-moderator");
	assert_non_null(strstr(xml, "sip:secret@example.org"));
	assert_non_null(strstr(xml, "sip:ghost@example.org"));
	assert_non_null(strstr(xml, "sip:waiting@example.org"));
	assert_non_null(strstr(xml, "<status>pending</status>"));
	/* pending is not in the conference yet: not counted */
	assert_non_null(strstr(xml, "<user-count>3</user-count>"));
}

/* Referred by someone (REFER) and leaving at someone's request */
static void test_referred_and_removed(void **state)
{
	struct participant *b;

	(void)state;
	add_with(&(struct part_new){.uri = "sip:a@example.org",
				    .display = "A", .dial_out = true,
				    .referred_by = "sip:boss@example.org"},
		 PART_CONNECTED);
	b = add("sip:b@example.org", "B", PART_CONNECTED, false);
	part_remove_by(b, "sip:boss@example.org");
	render(false);
	golden("referred-and-removed");
	assert_non_null(strstr(xml, "<referred><when>"));
	assert_non_null(strstr(xml, "<by>sip:boss@example.org</by></referred>"));
	assert_non_null(strstr(xml, "<status>disconnecting</status>"));
	assert_non_null(strstr(xml, "<disconnection-method>booted"
			       "</disconnection-method>"));
}

static void test_json_equivalent(void **state)
{
	struct notify_view view = {.moderator = false};
	struct odict *doc = NULL, *back = NULL;
	char json[8192];

	(void)state;
	add("sip:a@example.org", "A \"quoted\"", PART_CONNECTED, false);
	assert_int_equal(notify_doc_full(&doc, c, 3, &view), 0);
	re_snprintf(json, sizeof(json), "%H", json_print, doc);
	assert_int_equal(json_decode_odict(&back, 16, json, strlen(json), 16),
			 0);
	assert_non_null(odict_lookup(back, "conference-info"));
	assert_non_null(strstr(json, "\"@version\":3"));
	assert_non_null(strstr(json, "\"user\":[{\"@entity\":"
			       "\"sip:a@example.org\""));
	mem_deref(back);
	mem_deref(doc);
}

/* The next NOTIFY body in a view for a subscriber whose last render is
 * *last, the way the notifier builds it; *last becomes the new render */
static int next_doc_view(struct notify_render **last, uint32_t version,
			 bool *partial, const struct notify_view *view)
{
	struct notify_render *r = NULL;
	struct mbuf *mb = NULL;
	char head[512];
	int err = notify_render_alloc(&r, c, view);

	err = err ? err : notify_render_delta(&mb, partial, r, *last, !*last);
	err = err ? err : notify_render_head(head, sizeof(head), r, *partial,
					     version);
	if (!err)
		re_snprintf(xml, sizeof(xml), "%s%b", head, mbuf_buf(mb),
			    mbuf_get_left(mb));
	mem_deref(mb);
	if (!err || err == ENODATA) {
		mem_deref(*last);
		*last = r;
	}
	else {
		mem_deref(r);
	}
	return err;
}

static int next_doc(struct notify_render **last, uint32_t version,
		    bool *partial)
{
	return next_doc_view(last, version, partial,
			     &(struct notify_view){.moderator = false});
}

static void test_partial_documents(void **state)
{
	struct notify_render *snap = NULL;
	struct participant *a, *b;
	struct part_settings st = {0};
	bool partial = true;

	(void)state;
	a = add("sip:a@example.org", "A", PART_CONNECTED, false);
	assert_int_equal(next_doc(&snap, 1, &partial), 0);
	validate();
	golden("partial-first-full");
	assert_false(partial);                       /* first: full */
	assert_int_equal(next_doc(&snap, 2, &partial), ENODATA);

	b = add("sip:b@example.org", "B", PART_CONNECTED, false);
	assert_int_equal(next_doc(&snap, 2, &partial), 0);
	validate();
	golden("partial-join");
	assert_true(partial);
	assert_non_null(strstr(xml, "state=\"partial\" version=\"2\""));
	assert_non_null(strstr(xml, "<users state=\"partial\"><user entity="
			       "\"sip:b@example.org\" state=\"full\">"));
	assert_null(strstr(xml, "sip:a@example.org"));  /* unchanged */
	assert_non_null(strstr(xml, "<user-count>2</user-count>"));
	assert_null(strstr(xml, "conference-description")); /* unchanged */

	st.muted = true;
	part_update_settings(a, &st);
	assert_int_equal(next_doc(&snap, 3, &partial), 0);
	validate();
	golden("partial-mute");
	assert_true(partial);
	assert_non_null(strstr(xml, "muted-via-focus"));
	assert_null(strstr(xml, "sip:b@example.org"));
	assert_null(strstr(xml, "conference-state")); /* count unchanged */

	part_set_ep(b, NULL);
	part_gone(b, 0, NULL);
	assert_int_equal(next_doc(&snap, 4, &partial), 0);
	validate();
	golden("partial-leave");
	assert_non_null(strstr(xml, "<user entity=\"sip:b@example.org\" "
			       "state=\"deleted\"></user>"));
	render(false);          /* the views' full documents stay valid */
	mem_deref(snap);
}

static void test_render_matches_tree(void **state)
{
	struct notify_view view = {.moderator = false};
	struct notify_render *r = NULL, *r2 = NULL;
	struct odict *doc = NULL;
	struct mbuf *mb = NULL, *mb2 = NULL;
	struct participant *p;
	bool partial = true;
	char tree[16384], head[512];

	(void)state;
	add("sip:a@example.org", "A & <b>", PART_CONNECTED, false);
	p = add("sip:c@example.org", NULL, PART_ON_HOLD, false);
	part_set_privacy(p, true, false);
	assert_int_equal(notify_doc_full(&doc, c, 42, &view), 0);
	re_snprintf(tree, sizeof(tree), "%H", notify_xml_print, doc);
	assert_int_equal(notify_render_alloc(&r, c, &view), 0);
	assert_int_equal(notify_render_delta(&mb, &partial, r, NULL, false),
			 0);
	assert_false(partial);
	assert_int_equal(notify_render_head(head, sizeof(head), r, false, 42),
			 0);
	re_snprintf(xml, sizeof(xml), "%s%b", head, mbuf_buf(mb),
		    mbuf_get_left(mb));
	assert_string_equal(xml, tree);
	/* the same step again: the very same body, shared */
	assert_int_equal(notify_render_delta(&mb2, &partial, r, NULL, true),
			 0);
	assert_ptr_equal(mb, mb2);
	mb2 = mem_deref(mb2);
	/* nothing changed: nothing to send; forced: the full state again */
	assert_int_equal(notify_render_alloc(&r2, c, &view), 0);
	assert_int_equal(notify_render_delta(&mb2, &partial, r2, r, false),
			 ENODATA);
	assert_int_equal(notify_render_delta(&mb2, &partial, r2, r, true), 0);
	assert_false(partial);
	assert_int_equal(mbuf_get_left(mb2), mbuf_get_left(mb));
	mem_deref(mb2);
	mem_deref(mb);
	mem_deref(r2);
	mem_deref(r);
	mem_deref(doc);
}

/* Sidebars (RFC 4575 s. 5.9) ------------------------------------- */

static void move(struct participant *p, struct sidebar *sb)
{
	assert_int_equal(part_set_sidebar(p, sb), 0);
}

/* The conference's document lists every sidebar by reference and the
 * ones that say so by value, their members in the subscriber's view */
static void test_sidebars_in_document(void **state)
{
	struct sidebar *s1, *s2;
	struct participant *p;

	(void)state;
	add("sip:a@example.org", "A", PART_CONNECTED, false);
	s1 = part_fixture_sidebar(c, "s1", "Side <1> & co", true);
	s2 = part_fixture_sidebar(c, "s2", NULL, false);
	move(add("sip:b@example.org", "B", PART_CONNECTED, false), s1);
	p = add("sip:secret@example.org", "Secret", PART_CONNECTED, false);
	part_set_privacy(p, true, false);
	move(p, s1);
	p = add("sip:ghost@example.org", "Ghost", PART_CONNECTED, false);
	part_set_privacy(p, false, true);
	move(p, s1);
	move(add_with(&(struct part_new){.uri = "sip:waiting@example.org",
					 .display = "Wait", .pending = true},
		      PART_DIALING_IN), s1);
	move(add("sip:d@example.org", "D", PART_CONNECTED, false), s2);
	/* one user, two endpoints: one of them in the sidebar */
	add("sip:eve@example.org", "Eve", PART_CONNECTED, false);
	move(add("sip:eve@example.org", "Eve", PART_ON_HOLD, false), s1);

	render(false);
	golden("sidebars");
	assert_non_null(strstr(xml, "</users><sidebars-by-ref state=\"full\">"
			       "<entry><uri>sip:room+s1@example.org</uri>"
			       "<display-text>Side &lt;1&gt; &amp; co"
			       "</display-text></entry><entry><uri>"
			       "sip:room+s2@example.org</uri></entry>"
			       "</sidebars-by-ref><sidebars-by-val><entry "
			       "entity=\"sip:room+s1@example.org\" state="
			       "\"full\"><conference-description>"
			       "<display-text>Side &lt;1&gt; &amp; co"
			       "</display-text></conference-description>"
			       "<users><user entity=\"sip:b@example.org\""));
	assert_int_equal(count("<sidebars-by-val>"), 1);
	assert_null(strstr(xml, "entity=\"sip:room+s2@example.org\""));
	/* members are users of the conference still, and of the sidebar */
	assert_int_equal(count("<user entity=\"sip:b@example.org\""), 2);
	assert_int_equal(count("<user entity=\"sip:d@example.org\""), 1);
	assert_int_equal(count("<user entity=\"sip:a@example.org\""), 1);
	/* the same rules as the conference's users */
	assert_int_equal(count("<user entity=\"sip:anonymous-3@anonymous."
			       "invalid\""), 2);
	assert_null(strstr(xml, "Secret"));
	assert_null(strstr(xml, "ghost"));
	assert_null(strstr(xml, "waiting"));
	assert_non_null(strstr(xml, "<user-count>5</user-count>"));
	/* Eve: both endpoints in the conference, one in the sidebar */
	assert_int_equal(count("<user entity=\"sip:eve@example.org\""), 2);
	assert_int_equal(count("<endpoint entity=\"sip:ep@10.0.0.8:5060\""),
			 2);
	assert_int_equal(count("<endpoint entity=\"sip:ep@10.0.0.7:5060\""),
			 1);

	render(true);
	golden("sidebars-moderator");
	assert_int_equal(count("<user entity=\"sip:ghost@example.org\""), 2);
	assert_int_equal(count("<user entity=\"sip:waiting@example.org\""),
			 2);
	assert_int_equal(count("<user entity=\"sip:secret@example.org\""), 2);
	assert_int_equal(count("<status>pending</status>"), 2);
}

/* A subscriber to a sidebar's URI: the sidebar's own document */
static void test_sidebar_document(void **state)
{
	struct notify_view v = {.moderator = false};
	struct sidebar *sb;
	struct participant *p;

	(void)state;
	add("sip:a@example.org", "A", PART_CONNECTED, false);
	/* by reference in the conference's document: its own is whole */
	sb = part_fixture_sidebar(c, "huddle", "Huddle", false);
	move(add("sip:b@example.org", "B", PART_CONNECTED, false), sb);
	p = add("sip:secret@example.org", "Secret", PART_CONNECTED, false);
	part_set_privacy(p, true, false);
	move(p, sb);
	p = add("sip:ghost@example.org", "Ghost", PART_CONNECTED, false);
	part_set_privacy(p, false, true);
	move(p, sb);

	v.sidebar = sb;
	render_view(&v);
	golden("sidebar-doc");
	assert_non_null(strstr(xml, "<conference-info xmlns=\"urn:ietf:params:"
			       "xml:ns:conference-info\" entity=\"sip:room+"
			       "huddle@example.org\" state=\"full\" "
			       "version=\"7\"><conference-description>"
			       "<display-text>Huddle</display-text><conf-uris>"
			       "<entry><uri>sip:room+huddle@example.org</uri>"
			       "<purpose>participation</purpose></entry>"
			       "</conf-uris></conference-description>"));
	assert_non_null(strstr(xml, "<user-count>2</user-count><active>true"
			       "</active>"));
	assert_int_equal(count("<user "), 2);
	assert_non_null(strstr(xml, "<user entity=\"sip:b@example.org\""));
	assert_non_null(strstr(xml, "sip:anonymous-3@anonymous.invalid"));
	assert_null(strstr(xml, "sip:a@example.org"));
	assert_null(strstr(xml, "ghost"));
	assert_null(strstr(xml, "sidebars"));
	v.moderator = true;
	render_view(&v);
	assert_non_null(strstr(xml, "<user-count>3</user-count>"));
	assert_non_null(strstr(xml, "sip:ghost@example.org"));

	/* ended: what its subscribers get last, empty */
	v.sidebar = NULL;
	v.ended = "sip:room+huddle@example.org";
	render_view(&v);
	golden("sidebar-ended");
	assert_non_null(strstr(xml, "entity=\"sip:room+huddle@example.org\""));
	assert_non_null(strstr(xml, "<user-count>0</user-count><active>false"
			       "</active>"));
	assert_non_null(strstr(xml, "<users></users>"));
}

/* The next partial document of the conference both ways: the shared
 * renders of the SIP NOTIFYs (xml[], valid, as its golden document) and
 * the tree diff of the event stream, which must say the same */
static void next_partial(struct notify_render **last, struct notify_snap *snap,
			 uint32_t version, const char *name)
{
	struct notify_view view = {.moderator = false};
	struct odict *full = NULL, *doc = NULL;
	bool partial = false;
	char *tree = NULL;

	assert_int_equal(next_doc(last, version, &partial), 0);
	assert_true(partial);
	validate();
	if (name)
		golden(name);
	assert_int_equal(notify_doc_full(&full, c, version, &view), 0);
	assert_int_equal(notify_doc_diff(&doc, snap, full, &partial), 0);
	assert_true(partial);
	assert_int_equal(re_sdprintf(&tree, "%H", notify_xml_print, doc), 0);
	assert_string_equal(tree, xml);
	mem_deref(tree);
	mem_deref(doc);
	mem_deref(full);
}

static void test_sidebar_partials(void **state)
{
	struct notify_view view = {.moderator = false};
	struct sidebar_cfg cfg = {.display_text = "Huddle 2", .by_val = true};
	struct notify_render *last = NULL;
	struct notify_snap *snap = NULL;
	struct odict *full = NULL, *doc = NULL;
	struct sidebar *s1, *s2;
	struct participant *b;
	bool partial = true;
	uint32_t v = 1;

	(void)state;
	add("sip:a@example.org", "A", PART_CONNECTED, false);
	b = add("sip:b@example.org", "B", PART_CONNECTED, false);
	assert_int_equal(next_doc(&last, v, &partial), 0);
	assert_false(partial);
	assert_int_equal(notify_snap_alloc(&snap), 0);
	assert_int_equal(notify_doc_full(&full, c, v, &view), 0);
	assert_int_equal(notify_doc_diff(&doc, snap, full, &partial), 0);
	assert_false(partial);
	doc = mem_deref(doc);
	full = mem_deref(full);

	/* a sidebar: both lists, whole */
	s1 = part_fixture_sidebar(c, "s1", "Huddle", true);
	next_partial(&last, snap, ++v, "partial-sidebar-add");
	assert_non_null(strstr(xml, "<sidebars-by-ref state=\"full\">"));
	assert_non_null(strstr(xml, "<sidebars-by-val><entry entity=\"sip:"
			       "room+s1@example.org\" state=\"full\">"));
	assert_non_null(strstr(xml, "<users></users></entry>")); /* empty */
	assert_null(strstr(xml, "<users state="));   /* nobody changed */

	/* someone moves in: the entry's users, partial */
	move(b, s1);
	next_partial(&last, snap, ++v, "partial-sidebar-join");
	assert_non_null(strstr(xml, "<sidebars-by-val state=\"partial\">"
			       "<entry entity=\"sip:room+s1@example.org\" "
			       "state=\"partial\"><users state=\"partial\">"
			       "<user entity=\"sip:b@example.org\" "
			       "state=\"full\">"));
	assert_null(strstr(xml, "sidebars-by-ref"));
	assert_null(strstr(xml, "conference-description"));

	/* renamed: the list by reference whole, the entry's description */
	assert_int_equal(conf_sidebar_update(s1, &cfg), 0);
	next_partial(&last, snap, ++v, "partial-sidebar-rename");
	assert_non_null(strstr(xml, "<display-text>Huddle 2</display-text>"
			       "</entry></sidebars-by-ref>"));
	assert_non_null(strstr(xml, "state=\"partial\"><conference-"
			       "description><display-text>Huddle 2"
			       "</display-text></conference-description>"
			       "</entry>"));
	assert_null(strstr(xml, "<users"));

	/* from one sidebar to another: out of one entry, into the other */
	s2 = part_fixture_sidebar(c, "s2", "Other", true);
	next_partial(&last, snap, ++v, NULL);
	move(b, s2);
	next_partial(&last, snap, ++v, "partial-sidebar-move");
	assert_non_null(strstr(xml, "<entry entity=\"sip:room+s1@example.org\""
			       " state=\"partial\"><users state=\"partial\">"
			       "<user entity=\"sip:b@example.org\" state="
			       "\"deleted\"></user></users></entry>"));
	assert_non_null(strstr(xml, "<entry entity=\"sip:room+s2@example.org\""
			       " state=\"partial\"><users state=\"partial\">"
			       "<user entity=\"sip:b@example.org\" state="
			       "\"full\">"));

	/* back in the main conference */
	move(b, NULL);
	next_partial(&last, snap, ++v, "partial-sidebar-leave");
	assert_int_equal(count("state=\"deleted\""), 1);

	/* a sidebar goes: its entry deleted */
	assert_int_equal(conf_sidebar_remove(s1), 0);
	next_partial(&last, snap, ++v, "partial-sidebar-remove");
	assert_non_null(strstr(xml, "<entry entity=\"sip:room+s1@example.org\""
			       " state=\"deleted\"></entry>"));
	assert_null(strstr(xml, "<uri>sip:room+s1@example.org</uri>"));

	/* the last one: both lists deleted */
	assert_int_equal(conf_sidebar_remove(s2), 0);
	next_partial(&last, snap, ++v, "partial-sidebar-last");
	assert_non_null(strstr(xml, "<sidebars-by-ref state=\"deleted\">"));
	assert_non_null(strstr(xml, "<sidebars-by-val state=\"deleted\">"
			       "</sidebars-by-val>"));
	assert_int_equal(next_doc(&last, ++v, &partial), ENODATA);
	render(false);
	assert_null(strstr(xml, "sidebars"));
	mem_deref(snap);
	mem_deref(last);
}

/* A sidebar's subscriber: members joining and leaving are its users' */
static void test_sidebar_subscriber_partial(void **state)
{
	struct notify_view view = {.moderator = false};
	struct notify_render *last = NULL;
	struct participant *a;
	bool partial = true;

	(void)state;
	view.sidebar = part_fixture_sidebar(c, "s1", "Huddle", false);
	a = add("sip:a@example.org", "A", PART_CONNECTED, false);
	assert_int_equal(next_doc_view(&last, 1, &partial, &view), 0);
	assert_false(partial);
	validate();
	assert_non_null(strstr(xml, "<users></users>"));
	/* someone joins the conference, not the sidebar: nothing for it */
	add("sip:b@example.org", "B", PART_CONNECTED, false);
	assert_int_equal(next_doc_view(&last, 2, &partial, &view), ENODATA);

	move(a, (struct sidebar *)view.sidebar);
	assert_int_equal(next_doc_view(&last, 2, &partial, &view), 0);
	assert_true(partial);
	validate();
	golden("sidebar-partial-join");
	assert_non_null(strstr(xml, "entity=\"sip:room+s1@example.org\" "
			       "state=\"partial\" version=\"2\">"));
	assert_non_null(strstr(xml, "<user-count>1</user-count>"));
	assert_non_null(strstr(xml, "<users state=\"partial\"><user entity="
			       "\"sip:a@example.org\" state=\"full\">"));

	move(a, NULL);
	assert_int_equal(next_doc_view(&last, 3, &partial, &view), 0);
	assert_true(partial);
	validate();
	assert_non_null(strstr(xml, "<user entity=\"sip:a@example.org\" "
			       "state=\"deleted\"></user>"));
	mem_deref(last);
}

/* Floor control (RFC 6501's <floor> in each endpoint's audio media) ---- */

#define FLOOR_TRUE "<floor xmlns=\"urn:ietf:params:xml:ns:xcon-conference-" \
	"info\" id=\"1\">true</floor>"
#define FLOOR_FALSE "<floor xmlns=\"urn:ietf:params:xml:ns:xcon-conference-" \
	"info\" id=\"1\">false</floor>"

static void floor_on(bool on)
{
	struct floor_policy fp = *conf_floor_policy(c, FLOOR_AUDIO);

	fp.enabled = on;
	fp.max_holders = 2;
	assert_int_equal(conf_set_floor_policy(c, FLOOR_AUDIO, &fp), 0);
}

static struct floor_request *floor_ask(struct participant *p)
{
	struct floor_request *r = NULL;

	assert_int_equal(conf_floor_request(c, FLOOR_AUDIO, p, NULL, 2, NULL,
					    &r), 0);
	return r;
}

/* Off: no floor element (it decides nothing); on: each endpoint's audio
 * says whether it holds the floor, valid against the RFC 4575 schema */
static void test_floor_element(void **state)
{
	struct participant *a, *b;

	(void)state;
	a = add("sip:a@example.org", "A", PART_CONNECTED, false);
	b = add("sip:b@example.org", "B", PART_CONNECTED, false);
	add("sip:c@example.org", "C", PART_DIALING_IN, false); /* no media */
	render(false);
	assert_null(strstr(xml, "<floor"));
	floor_on(true);
	assert_int_equal(floor_request_decide(floor_ask(a), FLOOR_GRANTED,
					      NULL), 0);
	(void)floor_ask(b);                        /* waits */
	render(false);
	golden("floor");
	assert_int_equal(count(FLOOR_TRUE), 1);
	assert_int_equal(count(FLOOR_FALSE), 1);
	assert_non_null(strstr(xml, "<status>sendrecv</status>" FLOOR_TRUE
			       "</media>"));
	render(true);                           /* the same for moderators */
	assert_int_equal(count(FLOOR_TRUE), 1);
	floor_on(false);
	render(false);
	assert_null(strstr(xml, "<floor"));
}

/* A grant, a revocation, floor control off: partial NOTIFYs carry the
 * users whose floor changed, and only those */
static void test_floor_partials(void **state)
{
	struct notify_render *snap = NULL;
	struct participant *a, *b;
	struct floor_request *ra;
	bool partial = true;

	(void)state;
	a = add("sip:a@example.org", "A", PART_CONNECTED, false);
	b = add("sip:b@example.org", "B", PART_CONNECTED, false);
	floor_on(true);
	ra = floor_ask(a);
	assert_int_equal(next_doc(&snap, 1, &partial), 0);
	assert_false(partial);
	assert_int_equal(count(FLOOR_FALSE), 2);

	assert_int_equal(floor_request_decide(ra, FLOOR_GRANTED, NULL), 0);
	assert_int_equal(next_doc(&snap, 2, &partial), 0);
	validate();
	golden("partial-floor-grant");
	assert_true(partial);
	assert_non_null(strstr(xml, "<user entity=\"sip:a@example.org\" "
			       "state=\"full\">"));
	assert_null(strstr(xml, "sip:b@example.org"));
	assert_int_equal(count(FLOOR_TRUE), 1);

	assert_int_equal(floor_request_decide(ra, FLOOR_REVOKED, NULL), 0);
	assert_int_equal(next_doc(&snap, 3, &partial), 0);
	validate();
	assert_true(partial);
	assert_null(strstr(xml, "sip:b@example.org"));
	assert_int_equal(count(FLOOR_FALSE), 1);
	assert_int_equal(count(FLOOR_TRUE), 0);

	(void)floor_ask(b);
	assert_int_equal(next_doc(&snap, 4, &partial), ENODATA);
	floor_on(false);                 /* everyone's floor element goes */
	assert_int_equal(next_doc(&snap, 4, &partial), 0);
	validate();
	assert_null(strstr(xml, "<floor"));
	assert_non_null(strstr(xml, "sip:a@example.org"));
	assert_non_null(strstr(xml, "sip:b@example.org"));
	mem_deref(snap);
}

/* Video: the conference's available media lists it (its mode as the
 * display text), each endpoint with video has a second media element
 * (the codec we send, our SSRC, its direction), and the speaker everyone
 * sees, and who is pinned, carry caucus's attributes; schema-valid; a
 * conference without video lists none */
static void test_video_media(void **state)
{
	struct part_video v = {.codec = "VP8", .direction = "sendrecv",
			       .tx_ssrc = 4242, .sends = true};
	struct participant *a, *b;
	struct conf_video cv;

	(void)state;
	a = add("sip:a@example.org", "A", PART_CONNECTED, false);
	b = add("sip:b@example.org", "B", PART_CONNECTED, false);
	part_set_video(a, &v);
	v.tx_ssrc = 4343;
	re_snprintf(v.direction, sizeof(v.direction), "sendonly");
	part_set_video(b, &v);
	conf_video_pin(c, b);
	render(false);
	golden("video");
	assert_non_null(strstr(xml, "<entry label=\"video\">"
			       "<display-text>switched</display-text>"
			       "<type>video</type><status>sendrecv</status>"));
	assert_int_equal(count("<type>video</type>"), 3);
	assert_non_null(strstr(xml, "<media id=\"2\"><display-text>VP8"
			       "</display-text><type>video</type><label>video"
			       "</label><src-id>4242</src-id><status>sendrecv"
			       "</status></media>"));
	assert_non_null(strstr(xml, "<src-id>4343</src-id><status>recvonly"));
	assert_int_equal(count("video-speaker=\"true\""), 1);
	assert_int_equal(count("video-pinned=\"true\""), 1);
	assert_ptr_equal(conf_video_shown(c), a);
	cv = *conf_video(c);
	re_snprintf(cv.status, sizeof(cv.status), "none");
	assert_int_equal(conf_set_video(c, &cv), 0);
	render(false);
	assert_null(strstr(xml, "label=\"video\""));
}

/* Distributed mixing (spec s. 6.4): where the policy lets endpoints mix
 * for themselves, each endpoint's audio <media> says who mixes for it,
 * in caucus's namespace (schema-valid); the mode is a new version; the
 * policy back to focus makes everyone "focus" and the documents as
 * before */
#define MIXING(m) "<caucus xmlns=\"" NOTIFY_EXT_NS "\" mixing=\"" m \
	"\"></caucus>"

static void test_mixing_media(void **state)
{
	static struct policy pol;
	struct participant *a, *b;
	uint32_t v;

	(void)state;
	pol = *conf_policy(c);
	a = add("sip:a@example.org", "A", PART_CONNECTED, false);
	b = add("sip:b@example.org", "B", PART_CONNECTED, false);
	part_set_mixing(a, true);            /* said so; not honoured */
	assert_int_equal(part_mixing(a), PART_MIXING_FOCUS);
	render(false);
	assert_null(strstr(xml, "mixing="));
	pol.mixing = POLICY_MIXING_DISTRIBUTED;
	v = conf_version(c);
	assert_int_equal(conf_set_policy(c, &pol), 0);
	assert_int_equal(part_mixing(a), PART_MIXING_SELF);
	assert_int_equal(part_mixing(b), PART_MIXING_FOCUS);
	assert_true(conf_version(c) > v);
	render(false);
	assert_int_equal(count(MIXING("self")), 1);
	assert_int_equal(count(MIXING("focus")), 1);
	assert_non_null(strstr(xml, "</status>" MIXING("self") "</media>"));
	/* b says so too: a new version */
	v = conf_version(c);
	part_set_mixing(b, true);
	assert_true(conf_version(c) > v);
	v = conf_version(c);
	part_set_mixing(b, true);            /* nothing new */
	assert_int_equal(conf_version(c), v);
	render(false);
	assert_int_equal(count(MIXING("self")), 2);
	pol.mixing = POLICY_MIXING_FOCUS;
	assert_int_equal(conf_set_policy(c, &pol), 0);
	assert_int_equal(part_mixing(a), PART_MIXING_FOCUS);
	render(false);
	assert_null(strstr(xml, "mixing="));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty_conference, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_every_status, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_users_group_endpoints,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_views, setup, teardown),
		cmocka_unit_test_setup_teardown(test_referred_and_removed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_equivalent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_partial_documents, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_render_matches_tree,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sidebars_in_document,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sidebar_document,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sidebar_partials,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sidebar_subscriber_partial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_floor_element, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_video_media, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_floor_partials, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mixing_media, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
