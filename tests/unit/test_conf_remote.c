/* Cascaded conferences (conf_remote.h): the setters bump the version only
 * on a change; a node's share is replaced or removed whole; entries are
 * found by "<pid>@<node>"; cascade links both ways. The RFC 4575 documents
 * of a main focus and of a child node (both views, validated against the
 * schema with xmllint, compared with golden documents), the partial
 * documents of another node's participant joining, changing and leaving
 * (and none for a change the view hides), and the API: the participant
 * list and one participant over HTTP on loopback, the views of another
 * node's participants, and a change of one left to that node. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "api/api_int.h"
#include "api/api_remote.h"
#include "conf/conf.h"
#include "conf/conf_remote.h"
#include "notify/notify.h"
#include "store/store.h"
#include "util/json.h"

static char dir[64];
static struct store *st;
static struct confs *cs;
static struct conf *c;
static char xml[32768];
static int ep_dummy;

static int dial_none(struct participant *p, void *arg)
{
	(void)arg;
	part_set_ep(p, &ep_dummy);
	return 0;
}

static void act_none(struct participant *p, void *arg)
{
	(void)p;
	(void)arg;
}

static const struct conf_ops ops = {
	.dial = dial_none, .hangup = act_none, .media = act_none,
};

/* conferences of node `node` (NULL: not clustered) */
static int setup_node(const char *node)
{
	char path[128];
	struct confs_cfg cfg = {.domain = "example.org",
				.http_base = "http://h:8080", .node = node};

	libre_init();
	snprintf(dir, sizeof(dir), "/tmp/caucus-remote-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/c.db", dir);
	if (store_open(&st, path) || confs_alloc(&cs, &cfg, st))
		return -1;
	confs_set_ops(cs, &ops, NULL);
	return conf_create(cs, "room", "Room", &c);
}

static int setup_a(void **state)
{
	(void)state;
	return setup_node("a");
}

static int setup_b(void **state)
{
	(void)state;
	return setup_node("b");
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

/* A local call as the SIP side reports it: dialog, Contact
 * sip:ep@10.0.0.PID, and once in, its audio (PCMU, SSRC 1000 + PID) */
static struct participant *local(const char *uri, const char *name,
				 enum part_status status)
{
	struct part_new n = {.uri = uri, .display = name};
	struct participant *p = NULL;
	struct part_dialog d = {0};
	struct part_media m = {0};

	assert_int_equal(part_add(c, &n, &p), 0);
	part_set_ep(p, &ep_dummy);
	part_set_status(p, status);
	snprintf(d.call_id, sizeof(d.call_id), "call-%s", part_id(p));
	snprintf(d.from_tag, sizeof(d.from_tag), "ft%s", part_id(p));
	snprintf(d.to_tag, sizeof(d.to_tag), "tt%s", part_id(p));
	snprintf(d.contact, sizeof(d.contact), "sip:ep@10.0.0.%s:5060",
		 part_id(p));
	part_set_dialog(p, &d);
	if (status == PART_CONNECTED) {
		snprintf(m.codec, sizeof(m.codec), "PCMU");
		snprintf(m.direction, sizeof(m.direction), "sendrecv");
		m.tx_ssrc = 1000u + (unsigned)atoi(part_id(p));
		part_set_media(p, &m);
	}
	return p;
}

/* Another node's participant as it published it: connected, Opus, its
 * Contact sip:<pid>@10.9.0.1 unless contact is "" */
static struct conf_remote remote(const char *node, const char *pid,
				 const char *uri, const char *display)
{
	struct conf_remote r;

	memset(&r, 0, sizeof(r));
	snprintf(r.node, sizeof(r.node), "%s", node);
	snprintf(r.pid, sizeof(r.pid), "%s", pid);
	snprintf(r.uri, sizeof(r.uri), "%s", uri);
	snprintf(r.display, sizeof(r.display), "%s", display);
	snprintf(r.contact, sizeof(r.contact), "sip:%s@10.9.0.1:5060", pid);
	snprintf(r.role, sizeof(r.role), "participant");
	snprintf(r.codec, sizeof(r.codec), "opus");
	r.status = PART_CONNECTED;
	r.joined_at = 1700000000;
	return r;
}

/* Setters ------------------------------------------------------------ */

static void test_set_remotes(void **state)
{
	struct conf_remote v[2], w[2];
	uint32_t ver;

	(void)state;
	v[0] = remote("b", "1", "sip:bob@example.org", "Bob");
	v[1] = remote("b", "2", "sip:carol@example.org", "Carol");
	ver = conf_version(c);
	assert_int_equal(conf_set_remotes(c, "b", v, 2), 0);
	assert_int_equal(conf_version(c), ver + 1);
	assert_int_equal(conf_remote_count(c), 2);

	/* the same again, even with other bytes past a string's end: no
	 * change, no version */
	memcpy(w, v, sizeof(v));
	memset(w[1].display + 6, 'x', sizeof(w[1].display) - 7);
	assert_int_equal(conf_set_remotes(c, "b", w, 2), 0);
	assert_int_equal(conf_version(c), ver + 1);

	/* one field of one entry: a change */
	w[1].muted = true;
	assert_int_equal(conf_set_remotes(c, "b", w, 2), 0);
	assert_int_equal(conf_version(c), ver + 2);
	assert_true(conf_find_remote(c, "2@b")->muted);

	/* replaced whole: fewer entries */
	assert_int_equal(conf_set_remotes(c, "b", w, 1), 0);
	assert_int_equal(conf_version(c), ver + 3);
	assert_int_equal(conf_remote_count(c), 1);
	assert_null(conf_find_remote(c, "2@b"));

	/* refused, nothing changed: a bad node name, this node's own, an
	 * entry of another node, a pid the id cannot carry, an unterminated
	 * string, no entity */
	assert_int_equal(conf_set_remotes(c, "b/x", v, 1), EINVAL);
	assert_int_equal(conf_set_remotes(c, "a", v, 1), EINVAL);
	assert_int_equal(conf_set_remotes(c, NULL, v, 1), EINVAL);
	assert_int_equal(conf_set_remotes(c, "c", v, 1), EINVAL);
	w[0] = v[0];
	snprintf(w[0].pid, sizeof(w[0].pid), "1@b");
	assert_int_equal(conf_set_remotes(c, "b", w, 1), EINVAL);
	w[0] = v[0];
	memset(w[0].uri, 'u', sizeof(w[0].uri));
	assert_int_equal(conf_set_remotes(c, "b", w, 1), EINVAL);
	w[0] = v[0];
	w[0].uri[0] = '\0';
	assert_int_equal(conf_set_remotes(c, "b", w, 1), EINVAL);
	assert_int_equal(conf_version(c), ver + 3);
	assert_int_equal(conf_remote_count(c), 1);

	/* the node serves nobody here any more: gone, once */
	assert_int_equal(conf_set_remotes(c, "b", NULL, 0), 0);
	assert_int_equal(conf_version(c), ver + 4);
	assert_int_equal(conf_remote_count(c), 0);
	assert_int_equal(conf_set_remotes(c, "b", NULL, 0), 0);
	assert_int_equal(conf_version(c), ver + 4);
}

static bool collect(const struct conf_remote *r, void *arg)
{
	char *out = arg;

	strcat(out, r->pid);
	strcat(out, "@");
	strcat(out, r->node);
	strcat(out, " ");
	return false;
}

static bool stop_at_2c(const struct conf_remote *r, void *arg)
{
	(void)arg;
	return !strcmp(r->pid, "2") && !strcmp(r->node, "c");
}

static void test_order_find_clear(void **state)
{
	struct conf_remote vc[2], vb[1], vd[1];
	char order[128] = "";
	uint32_t ver;

	(void)state;
	vc[0] = remote("c", "7", "sip:x@example.org", "X");
	vc[1] = remote("c", "2", "sip:y@example.org", "Y");
	vb[0] = remote("b", "1", "sip:z@example.org", "Z");
	vd[0] = remote("d", "1", "sip:w@example.org", "W");
	/* arriving c, d, b: listed b, c, d, each in the order given */
	assert_int_equal(conf_set_remotes(c, "c", vc, 2), 0);
	assert_int_equal(conf_set_remotes(c, "d", vd, 1), 0);
	assert_int_equal(conf_set_remotes(c, "b", vb, 1), 0);
	assert_null(conf_apply_remotes(c, collect, order));
	assert_string_equal(order, "1@b 7@c 2@c 1@d ");
	assert_ptr_equal(conf_apply_remotes(c, stop_at_2c, NULL),
			 conf_find_remote(c, "2@c"));
	/* a replaced share keeps its place */
	vc[0].hand = true;
	assert_int_equal(conf_set_remotes(c, "c", vc, 2), 0);
	order[0] = '\0';
	(void)conf_apply_remotes(c, collect, order);
	assert_string_equal(order, "1@b 7@c 2@c 1@d ");

	assert_string_equal(conf_find_remote(c, "7@c")->uri,
			    "sip:x@example.org");
	assert_string_equal(conf_find_remote(c, "1@d")->display, "W");
	assert_null(conf_find_remote(c, "1@c"));
	assert_null(conf_find_remote(c, "7@"));
	assert_null(conf_find_remote(c, "7"));
	assert_null(conf_find_remote(c, "@c"));
	assert_null(conf_find_remote(c, "7@e"));
	assert_null(conf_find_remote(c, NULL));

	ver = conf_version(c);
	conf_clear_remotes(c);
	assert_int_equal(conf_version(c), ver + 1);
	assert_int_equal(conf_remote_count(c), 0);
	conf_clear_remotes(c);
	assert_int_equal(conf_version(c), ver + 1);
}

static void test_links(void **state)
{
	struct participant *p = local("sip:room@b.example.org", "",
				      PART_CONNECTED);
	char longnode[80];
	const char *node = "?", *focus = "?";
	uint32_t ver = conf_version(c);

	(void)state;
	assert_int_equal(part_link(p, &node, &focus), PART_LINK_NONE);
	assert_string_equal(node, "");
	assert_string_equal(focus, "");
	assert_int_equal(part_link(p, NULL, NULL), PART_LINK_NONE);

	part_set_link(p, PART_LINK_DOWN, "b", "sip:room@b.example.org");
	assert_int_equal(conf_version(c), ver + 1);
	assert_int_equal(part_link(p, &node, &focus), PART_LINK_DOWN);
	assert_string_equal(node, "b");
	assert_string_equal(focus, "sip:room@b.example.org");
	part_set_link(p, PART_LINK_DOWN, "b", "sip:room@b.example.org");
	assert_int_equal(conf_version(c), ver + 1);

	/* the other way, the other end */
	part_set_link(p, PART_LINK_UP, "main", "sip:room@a.example.org");
	assert_int_equal(conf_version(c), ver + 2);
	assert_int_equal(part_link(p, &node, &focus), PART_LINK_UP);
	assert_string_equal(node, "main");

	/* too long for its field: kept cut, and no change the next time */
	memset(longnode, 'n', sizeof(longnode) - 1);
	longnode[sizeof(longnode) - 1] = '\0';
	part_set_link(p, PART_LINK_UP, longnode, "sip:room@a.example.org");
	assert_int_equal(conf_version(c), ver + 3);
	part_set_link(p, PART_LINK_UP, longnode, "sip:room@a.example.org");
	assert_int_equal(conf_version(c), ver + 3);
	(void)part_link(p, &node, NULL);
	assert_int_equal(strlen(node), CONF_NODE_MAX);

	/* no link: nothing kept of it */
	part_set_link(p, PART_LINK_NONE, "x", "sip:y@z");
	assert_int_equal(conf_version(c), ver + 4);
	assert_int_equal(part_link(p, &node, &focus), PART_LINK_NONE);
	assert_string_equal(node, "");
	assert_string_equal(focus, "");
	part_set_link(p, PART_LINK_NONE, NULL, NULL);
	assert_int_equal(conf_version(c), ver + 4);
	assert_string_equal(confs_node(cs), "a");
	assert_string_equal(conf_node(c), "a");
}

/* Documents ---------------------------------------------------------- */

static void validate(void)
{
	const char *sd = getenv("CAUCUS_SCHEMA_DIR");
	char path[128], cmd[512], err[1024] = "";
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
	if (!system(cmd))
		return;
	snprintf(path, sizeof(path), "%s/err.txt", dir);
	f = fopen(path, "r");
	if (f) {
		err[fread(err, 1, sizeof(err) - 1, f)] = '\0';
		fclose(f);
	}
	fail_msg("schema: %s\n%s", err, xml);
}

static void render(bool moderator)
{
	struct notify_view view = {.moderator = moderator};
	struct odict *doc = NULL;

	assert_int_equal(notify_doc_full(&doc, c, 7, &view), 0);
	re_snprintf(xml, sizeof(xml), "%H", notify_xml_print, doc);
	mem_deref(doc);
	validate();
}

/* xml[] one element a line, the local joins' times (which differ from
 * run to run) as TIME, compared with tests/unit/golden/<name>.xml
 * (CAUCUS_UPDATE_GOLDEN=1 writes it) */
static void golden(const char *name)
{
	static char want[32768], got[32768];
	const char *gd = getenv("CAUCUS_GOLDEN_DIR");
	const char *upd = getenv("CAUCUS_UPDATE_GOLDEN");
	char path[512];
	size_t o = 0;
	FILE *f;

	if (!gd)
		fail_msg("CAUCUS_GOLDEN_DIR is not set (ctest sets it)");
	for (const char *p = xml; *p && o + 8 < sizeof(got); p++) {
		if (!strncmp(p, "<when>", 6) && strncmp(p, "<when>2023-", 11)) {
			o += (size_t)snprintf(got + o, sizeof(got) - o,
					      "<when>TIME");
			p = strstr(p, "</when>") - 1;
			continue;
		}
		got[o++] = *p;
		if (p[0] == '>' && p[1] == '<')
			got[o++] = '\n';
	}
	got[o++] = '\n';
	got[o] = '\0';
	snprintf(path, sizeof(path), "%s/%s.xml", gd, name);
	f = fopen(path, upd && !strcmp(upd, "1") ? "w" : "r");
	if (!f)
		fail_msg("no golden document %s (CAUCUS_UPDATE_GOLDEN=1 "
			 "writes it)", path);
	if (upd && !strcmp(upd, "1")) {
		fputs(got, f);
		fclose(f);
		return;
	}
	want[fread(want, 1, sizeof(want) - 1, f)] = '\0';
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

/* Where needle is in xml[] (asserted there) */
static size_t at(const char *needle)
{
	const char *p = strstr(xml, needle);

	if (!p)
		fail_msg("no %s in\n%s", needle, xml);
	return (size_t)(p - xml);
}

/* Node a, the main focus: Ann here; b's link into it; b serves Bob (hand
 * raised), Carol (anonymous) and Dave (hidden, muted); c serves Erin
 * (pending), Ann again (a second call of her AoR) and Fred (failed) */
static void main_focus(void)
{
	struct participant *link;
	struct conf_remote vb[3], vc[3];

	local("sip:ann@example.org", "Ann", PART_CONNECTED);
	link = local("sip:caucus@b.example.org", "b link", PART_CONNECTED);
	part_set_link(link, PART_LINK_DOWN, "b", "sip:room@b.example.org");
	vb[0] = remote("b", "1", "sip:bob@example.org", "Bob");
	vb[0].hand = true;
	vb[1] = remote("b", "2", "sip:carol@example.org", "Carol");
	vb[1].anonymous = true;
	vb[2] = remote("b", "3", "sip:dave@example.org", "Dave");
	vb[2].hidden = true;
	vb[2].muted = true;
	vc[0] = remote("c", "1", "sip:erin@example.org", "Erin");
	vc[0].pending = true;
	vc[0].status = PART_DIALING_IN;
	vc[0].codec[0] = '\0';
	vc[1] = remote("c", "2", "sip:ann@example.org", "Ann");
	vc[1].contact[0] = '\0';
	snprintf(vc[1].role, sizeof(vc[1].role), "moderator");
	vc[2] = remote("c", "3", "sip:fred@example.org", "Fred");
	vc[2].status = PART_FAILED;
	vc[2].codec[0] = '\0';
	assert_int_equal(conf_set_remotes(c, "c", vc, 3), 0);
	assert_int_equal(conf_set_remotes(c, "b", vb, 3), 0);
}

static void test_document_main(void **state)
{
	(void)state;
	main_focus();
	render(false);
	golden("cascade-main");
	/* the local ones first, then b's, then c's */
	assert_true(at("entity=\"sip:ann@example.org\"") <
		    at("entity=\"sip:room@b.example.org\""));
	assert_true(at("entity=\"sip:room@b.example.org\"") <
		    at("entity=\"sip:bob@example.org\""));
	assert_true(at("entity=\"sip:bob@example.org\"") <
		    at("entity=\"sip:fred@example.org\""));
	/* b's link: its focus's URI, its node's name */
	assert_non_null(strstr(xml, "<user entity=\"sip:room@b.example.org\" "
			       "state=\"full\"><display-text>b</display-text>"
			       "<roles><entry>participant</entry></roles>"
			       "<cascaded-focus>sip:room@b.example.org"
			       "</cascaded-focus><endpoint "
			       "entity=\"sip:ep@10.0.0.2:5060\""));
	/* each endpoint names its node */
	assert_int_equal(count("node=\"a\""), 2);
	assert_int_equal(count("node=\"b\""), 2);
	assert_int_equal(count("node=\"c\""), 2);
	assert_non_null(strstr(xml, "<endpoint entity=\"sip:1@10.9.0.1:5060\" "
			       "state=\"full\"><display-text>Bob"
			       "</display-text><status>connected</status>"));
	assert_non_null(strstr(xml, "<display-text>opus</display-text>"));
	assert_non_null(strstr(xml, "node=\"b\" hand-raised=\"true\""));
	/* anonymous: a URI of its own, nothing that names her */
	assert_non_null(strstr(xml, "<user entity=\"sip:anonymous-2.b@"
			       "anonymous.invalid\" state=\"full\"><roles>"));
	assert_null(strstr(xml, "carol"));
	assert_null(strstr(xml, "Carol"));
	assert_null(strstr(xml, "sip:2@10.9.0.1"));
	/* hidden and pending: not for others */
	assert_null(strstr(xml, "dave"));
	assert_null(strstr(xml, "erin"));
	assert_null(strstr(xml, "<status>pending</status>"));
	/* Ann's two calls, here and on c: one user, two endpoints (c's
	 * has no Contact: her AoR) */
	assert_int_equal(count("<user entity=\"sip:ann@example.org\""), 1);
	assert_non_null(strstr(xml, "<endpoint entity=\"sip:ann@example.org\" "
			       "state=\"full\"><display-text>Ann"));
	/* failed: disconnected, not counted; Ann, Bob, Carol: 3 (links are
	 * not people) */
	assert_non_null(strstr(xml, "<status>disconnected</status>"));
	assert_non_null(strstr(xml, "<user-count>3</user-count>"));

	render(true);
	golden("cascade-main-moderator");
	assert_non_null(strstr(xml, "entity=\"sip:carol@example.org\""));
	assert_non_null(strstr(xml, "entity=\"sip:dave@example.org\""));
	assert_non_null(strstr(xml, "<status>muted-via-focus</status>"));
	assert_non_null(strstr(xml, "entity=\"sip:erin@example.org\""));
	assert_non_null(strstr(xml, "<status>pending</status>"));
	/* Dave is in; Erin still waits */
	assert_non_null(strstr(xml, "<user-count>4</user-count>"));
}

/* Node b, a child: Bob here, and b's own link up to a (listed by a, not
 * here); a serves Ann and c's link into a */
static void test_document_child(void **state)
{
	struct participant *up;
	struct conf_remote va[2];

	(void)state;
	local("sip:bob@example.org", "Bob", PART_CONNECTED);
	up = local("sip:room@a.example.org", "", PART_CONNECTED);
	part_set_link(up, PART_LINK_UP, "a", "sip:room@b.example.org");
	va[0] = remote("a", "1", "sip:ann@example.org", "Ann");
	va[1] = remote("a", "4", "sip:caucus@c.example.org", "c");
	snprintf(va[1].focus, sizeof(va[1].focus), "sip:room@c.example.org");
	assert_int_equal(conf_set_remotes(c, "a", va, 2), 0);
	render(false);
	golden("cascade-child");
	assert_null(strstr(xml, "a.example.org"));
	assert_null(strstr(xml, "10.0.0.2"));
	assert_non_null(strstr(xml, "<user entity=\"sip:room@c.example.org\" "
			       "state=\"full\"><display-text>c</display-text>"
			       "<roles><entry>participant</entry></roles>"
			       "<cascaded-focus>sip:room@c.example.org"
			       "</cascaded-focus>"));
	assert_int_equal(count("<user "), 3);
	assert_non_null(strstr(xml, "<user-count>2</user-count>"));
	assert_int_equal(count("node=\"b\""), 1);
	assert_int_equal(count("node=\"a\""), 2);
}

/* The next NOTIFY body in a view for a subscriber whose last render is
 * *last, the way the notifier makes it; *last becomes the new one */
static int next_doc(struct notify_render **last, uint32_t version,
		    bool moderator, bool *partial)
{
	struct notify_view view = {.moderator = moderator};
	struct notify_render *r = NULL;
	struct mbuf *mb = NULL;
	char head[512];
	int err = notify_render_alloc(&r, c, &view);

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

static void test_partials(void **state)
{
	struct notify_render *snap = NULL, *msnap = NULL;
	struct conf_remote v[2];
	bool partial = false;

	(void)state;
	local("sip:ann@example.org", "Ann", PART_CONNECTED);
	assert_int_equal(next_doc(&snap, 1, false, &partial), 0);
	assert_false(partial);
	assert_int_equal(next_doc(&msnap, 1, true, &partial), 0);

	/* b's Bob joins */
	v[0] = remote("b", "1", "sip:bob@example.org", "Bob");
	assert_int_equal(conf_set_remotes(c, "b", v, 1), 0);
	assert_int_equal(next_doc(&snap, 2, false, &partial), 0);
	validate();
	golden("partial-remote-join");
	assert_true(partial);
	assert_non_null(strstr(xml, "<users state=\"partial\"><user entity="
			       "\"sip:bob@example.org\" state=\"full\">"));
	assert_null(strstr(xml, "ann"));
	assert_non_null(strstr(xml, "<user-count>2</user-count>"));

	/* muted on b */
	v[0].muted = true;
	assert_int_equal(conf_set_remotes(c, "b", v, 1), 0);
	assert_int_equal(next_doc(&snap, 3, false, &partial), 0);
	validate();
	golden("partial-remote-mute");
	assert_true(partial);
	assert_non_null(strstr(xml, "<status>muted-via-focus</status>"));
	assert_null(strstr(xml, "conference-state"));

	/* a hidden one joins b: news for moderators only */
	v[1] = remote("b", "2", "sip:dave@example.org", "Dave");
	v[1].hidden = true;
	assert_int_equal(conf_set_remotes(c, "b", v, 2), 0);
	assert_int_equal(next_doc(&snap, 4, false, &partial), ENODATA);
	assert_int_equal(next_doc(&msnap, 2, true, &partial), 0);
	assert_true(partial);
	assert_non_null(strstr(xml, "sip:dave@example.org"));
	assert_null(strstr(xml, "sip:ann@example.org"));

	/* b serves nobody any more */
	assert_int_equal(conf_set_remotes(c, "b", NULL, 0), 0);
	assert_int_equal(next_doc(&snap, 4, false, &partial), 0);
	validate();
	golden("partial-remote-leave");
	assert_non_null(strstr(xml, "<user entity=\"sip:bob@example.org\" "
			       "state=\"deleted\"></user>"));
	assert_null(strstr(xml, "dave"));
	assert_int_equal(next_doc(&msnap, 3, true, &partial), 0);
	assert_non_null(strstr(xml, "<user entity=\"sip:dave@example.org\" "
			       "state=\"deleted\"></user>"));
	mem_deref(msnap);
	mem_deref(snap);
}

/* The tree diff (the API's event stream) says the same */
static void test_partial_tree(void **state)
{
	struct notify_view view = {.moderator = false};
	struct notify_snap *snap = NULL;
	struct odict *full = NULL, *doc = NULL;
	struct conf_remote v = remote("c", "5", "sip:eve@example.org", "Eve");
	bool partial = true;

	(void)state;
	assert_int_equal(notify_snap_alloc(&snap), 0);
	assert_int_equal(notify_doc_full(&full, c, 1, &view), 0);
	assert_int_equal(notify_doc_diff(&doc, snap, full, &partial), 0);
	assert_false(partial);
	full = mem_deref(full);
	doc = mem_deref(doc);

	assert_int_equal(conf_set_remotes(c, "c", &v, 1), 0);
	assert_int_equal(notify_doc_full(&full, c, 2, &view), 0);
	assert_int_equal(notify_doc_diff(&doc, snap, full, &partial), 0);
	assert_true(partial);
	re_snprintf(xml, sizeof(xml), "%H", notify_xml_print, doc);
	validate();
	assert_non_null(strstr(xml, "<user entity=\"sip:eve@example.org\" "
			       "state=\"full\">"));
	full = mem_deref(full);
	doc = mem_deref(doc);

	conf_clear_remotes(c);
	assert_int_equal(notify_doc_full(&full, c, 3, &view), 0);
	assert_int_equal(notify_doc_diff(&doc, snap, full, &partial), 0);
	re_snprintf(xml, sizeof(xml), "%H", notify_xml_print, doc);
	validate();
	assert_non_null(strstr(xml, "<user entity=\"sip:eve@example.org\" "
			       "state=\"deleted\">"));
	mem_deref(full);
	mem_deref(doc);
	mem_deref(snap);
}

/* The API ------------------------------------------------------------ */

static char json[16384];

/* The participants as the API lists them to r (admin, or a caller with
 * no role) */
static void list_json(bool admin)
{
	struct api a = {.confs = cs};
	struct api_req r = {.api = &a, .admin = admin};
	struct odict *od = NULL;

	assert_int_equal(api_conf_json(&od, c, &r), 0);
	re_snprintf(json, sizeof(json), "%H", json_print, od);
	mem_deref(od);
}

static void test_api_views(void **state)
{
	(void)state;
	main_focus();
	list_json(true);
	/* local ones first, with their node; the link says so */
	assert_non_null(strstr(json, "\"id\":\"1\""));
	assert_true(strstr(json, "\"id\":\"2\"") <
		    strstr(json, "\"id\":\"1@b\""));
	assert_non_null(strstr(json, "\"link\":\"down\",\"link_node\":\"b\""));
	assert_non_null(strstr(json, "\"id\":\"1@b\",\"node\":\"b\","
			       "\"remote\":true,\"uri\":\"sip:bob@example.org\""
			       ",\"display_name\":\"Bob\",\"status\":"
			       "\"connected\",\"role\":\"participant\","
			       "\"muted\":false,\"deaf\":false,\"joined_at\":"
			       "1700000000,\"hand_raised\":true,\"media\":"
			       "{\"codec\":\"opus\"}}"));
	assert_non_null(strstr(json, "\"anonymous\":true"));
	assert_non_null(strstr(json, "\"hidden\":true"));
	assert_non_null(strstr(json, "\"id\":\"1@c\""));
	assert_non_null(strstr(json, "\"pending\":true"));
	assert_non_null(strstr(json, "\"status\":\"failed\""));
	assert_non_null(strstr(json, "\"node\":\"a\""));

	/* no role in it: no hidden, no pending, anonymous anonymised */
	list_json(false);
	assert_non_null(strstr(json, "\"id\":\"1@b\""));
	assert_null(strstr(json, "\"id\":\"3@b\""));
	assert_null(strstr(json, "dave"));
	assert_null(strstr(json, "\"id\":\"1@c\""));
	assert_null(strstr(json, "carol"));
	assert_non_null(strstr(json, "\"id\":\"2@b\",\"node\":\"b\","
			       "\"remote\":true,\"uri\":\"sip:anonymous@"
			       "anonymous.invalid\",\"display_name\":"
			       "\"Anonymous\""));
	assert_null(strstr(json, "\"anonymous\":true"));
}

/* One request to the API over loopback: its status, its body in json[] */
struct http_x {
	struct tcp_conn *tc;
	const char *req;
	struct mbuf *rsp;
};

static void http_estab(void *arg)
{
	struct http_x *x = arg;
	struct mbuf mb = {.buf = (uint8_t *)x->req, .size = strlen(x->req),
			  .end = strlen(x->req)};

	assert_int_equal(tcp_send(x->tc, &mb), 0);
}

static bool http_done(const struct mbuf *mb)
{
	const char *b = (const char *)mb->buf;
	const char *end = memmem(b, mb->end, "\r\n\r\n", 4);
	const char *cl = memmem(b, mb->end, "Content-Length: ", 16);

	return end && cl && mb->end >= (size_t)(end + 4 - b) +
		strtoul(cl + 16, NULL, 10);
}

static void http_recv(struct mbuf *mb, void *arg)
{
	struct http_x *x = arg;

	(void)mbuf_write_mem(x->rsp, mbuf_buf(mb), mbuf_get_left(mb));
	if (http_done(x->rsp))
		re_cancel();
}

static void http_close(int err, void *arg)
{
	(void)err;
	(void)arg;
	re_cancel();
}

static void http_timeout(void *arg)
{
	(void)arg;
	re_cancel();
}

static int http(const struct sa *srv, const char *met, const char *path)
{
	char req[512];
	struct http_x x = {.req = req, .rsp = mbuf_alloc(1024)};
	struct tmr t;
	const char *body;
	int status = 0;

	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		 "Content-Type: application/json\r\nContent-Length: %zu\r\n"
		 "\r\n%s", met, path, strcmp(met, "PATCH") ? (size_t)0 : 15,
		 strcmp(met, "PATCH") ? "" : "{\"muted\":true}\n");
	tmr_init(&t);
	tmr_start(&t, 5000, http_timeout, NULL);
	assert_int_equal(tcp_connect(&x.tc, srv, http_estab, http_recv,
				     http_close, &x), 0);
	(void)re_main(NULL);
	tmr_cancel(&t);
	x.tc = mem_deref(x.tc);
	assert_true(http_done(x.rsp));
	(void)mbuf_write_u8(x.rsp, 0);
	sscanf((const char *)x.rsp->buf, "HTTP/1.1 %d", &status);
	body = strstr((const char *)x.rsp->buf, "\r\n\r\n");
	snprintf(json, sizeof(json), "%s", body ? body + 4 : "");
	mem_deref(x.rsp);
	return status;
}

static void test_api_http(void **state)
{
	struct api_cfg cfg = {.addr = "127.0.0.1", .port = 0,
			      .max_body = 65536};
	const char *base = "/v1/conferences/room/participants";
	struct api *a = NULL;
	struct sa srv;
	char path[128];
	uint32_t ver;
	int status;

	(void)state;
	main_focus();
	assert_int_equal(api_alloc(&a, &cfg, cs, NULL, NULL, NULL), 0);
	assert_int_equal(tcp_sock_local_get(http_sock_tcp(a->sock), &srv), 0);

	assert_int_equal(http(&srv, "GET", base), 200);
	assert_non_null(strstr(json, "\"id\":\"1@c\""));
	snprintf(path, sizeof(path), "%s/1@b", base);
	assert_int_equal(http(&srv, "GET", path), 200);
	assert_non_null(strstr(json, "{\"id\":\"1@b\",\"node\":\"b\","
			       "\"remote\":true"));
	/* the '@' escaped, as encodeURIComponent does */
	snprintf(path, sizeof(path), "%s/2%%40c", base);
	assert_int_equal(http(&srv, "GET", path), 200);
	assert_non_null(strstr(json, "\"id\":\"2@c\""));
	assert_non_null(strstr(json, "\"role\":\"moderator\""));
	snprintf(path, sizeof(path), "%s/9@b", base);
	assert_int_equal(http(&srv, "GET", path), 404);
	snprintf(path, sizeof(path), "%s/1@x", base);
	assert_int_equal(http(&srv, "GET", path), 404);
	/* local ones as before, with their node */
	snprintf(path, sizeof(path), "%s/1", base);
	assert_int_equal(http(&srv, "GET", path), 200);
	assert_non_null(strstr(json, "\"node\":\"a\""));

	/* changes are the serving node's (api_remote_forward): nothing
	 * changes here, and with no cluster to reach b by, the answer is
	 * an error naming it */
	ver = conf_version(c);
	snprintf(path, sizeof(path), "%s/1@b", base);
	status = http(&srv, "PATCH", path);
	assert_true(status >= 500 && status < 600);
	assert_non_null(strstr(json, "node b"));
	status = http(&srv, "DELETE", path);
	assert_true(status >= 500 && status < 600);
	assert_non_null(strstr(json, "node b"));
	snprintf(path, sizeof(path), "%s/9@b", base);
	assert_int_equal(http(&srv, "DELETE", path), 404);
	assert_int_equal(conf_version(c), ver);
	assert_false(conf_find_remote(c, "1@b")->muted);
	mem_deref(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_set_remotes, setup_a,
						teardown),
		cmocka_unit_test_setup_teardown(test_order_find_clear, setup_a,
						teardown),
		cmocka_unit_test_setup_teardown(test_links, setup_a, teardown),
		cmocka_unit_test_setup_teardown(test_document_main, setup_a,
						teardown),
		cmocka_unit_test_setup_teardown(test_document_child, setup_b,
						teardown),
		cmocka_unit_test_setup_teardown(test_partials, setup_a,
						teardown),
		cmocka_unit_test_setup_teardown(test_partial_tree, setup_a,
						teardown),
		cmocka_unit_test_setup_teardown(test_api_views, setup_a,
						teardown),
		cmocka_unit_test_setup_teardown(test_api_http, setup_a,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
