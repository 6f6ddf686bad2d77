/*
 * The mixer control package (src/mscp/mixpkg*.c, RFC 6505): documents
 * shaped as the RFC's examples parse, print, and parse again equal
 * (struct by struct); every bad document is refused whole with its
 * status and a reason that names what is wrong.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "mscp/mixpkg.h"

#define HEAD "<?xml version=\"1.0\"?>\n<mscmixer version=\"1.0\" " \
	"xmlns=\"urn:ietf:params:xml:ns:msc-mixer\">\n"
#define TAIL "\n</mscmixer>\n"

static const char *const examples[] = {
	HEAD "<createconference conferenceid=\"conference1\" "
	"reserved-talkers=\"2\" reserved-listeners=\"4\">\n"
	"  <audio-mixing type=\"nbest\" n=\"3\"/>\n"
	"  <subscribe>\n    <active-talkers-sub interval=\"4\"/>\n"
	"  </subscribe>\n</createconference>" TAIL,
	HEAD "<createconference/>" TAIL,
	HEAD "<response status=\"200\" reason=\"conference created\" "
	"conferenceid=\"conference1\"/>" TAIL,
	HEAD "<modifyconference conferenceid=\"conference1\">"
	"<audio-mixing n=\"2\"/></modifyconference>" TAIL,
	HEAD "<join id1=\"1536067209:913cd14c\" id2=\"conference1\">\n"
	"  <stream media=\"audio\" direction=\"sendrecv\">\n"
	"    <volume controltype=\"setgain\" value=\"-6\"/>\n"
	"  </stream>\n</join>" TAIL,
	HEAD "<join id1=\"1536067209~913cd14c\" id2=\"conference1\"/>" TAIL,
	HEAD "<modifyjoin id1=\"1536067209:913cd14c\" id2=\"conference1\">"
	"<stream media=\"audio\" direction=\"recvonly\"/>"
	"<stream media=\"audio\" direction=\"sendonly\" label=\"a1\">"
	"<volume controltype=\"setstate\" value=\"mute\"/></stream>"
	"</modifyjoin>" TAIL,
	HEAD "<unjoin id1=\"1536067209:913cd14c\" id2=\"conference1\"/>" TAIL,
	HEAD "<destroyconference conferenceid=\"conference1\"/>" TAIL,
	HEAD "<audit mixerid=\"conference1\" capabilities=\"false\"/>" TAIL,
	HEAD "<audit/>" TAIL,
	HEAD "<auditresponse status=\"200\">\n<capabilities><codecs>"
	"<codec name=\"PCMU\"/><codec name=\"opus\"/></codecs>"
	"</capabilities>\n<mixers>"
	"<conferenceaudit conferenceid=\"conference1\">"
	"<audio-mixing type=\"nbest\" n=\"2\"/><participants>"
	"<participant id=\"1536067209:913cd14c\"/>"
	"<participant id=\"a:b\"/></participants></conferenceaudit>"
	"<joinaudit id1=\"a:b\" id2=\"conference1\"/></mixers>"
	"</auditresponse>" TAIL,
	HEAD "<event>\n<active-talkers-notify conferenceid=\"conference1\">"
	"<active-talker connectionid=\"1536067209:913cd14c\"/>"
	"<active-talker connectionid=\"a:b\"/></active-talkers-notify>"
	"</event>" TAIL,
	HEAD "<event><unjoin-notify status=\"1\" reason=\"dialog ended\" "
	"id1=\"a:b\" id2=\"conference1\"/></event>" TAIL,
	HEAD "<event><conferenceexit conferenceid=\"conference1\" "
	"status=\"0\"/></event>" TAIL,
	/* values that need escaping, comments and blanks anywhere */
	HEAD "<!-- a comment --><response status=\"419\" "
	"reason=\"a &lt;b&gt; &amp; &quot;c&quot;\"/>  " TAIL,
};

static void reparse(const struct mixpkg_msg *m)
{
	struct mbuf *mb = mbuf_alloc(1024);
	struct mixpkg_msg *again = mem_zalloc(sizeof(*again), NULL);

	assert_int_equal(mixpkg_print(mb, m), 0);
	assert_int_equal(mixpkg_parse(again, mb->buf, mb->end), MIXPKG_OK);
	assert_memory_equal(again, m, sizeof(*m));
	mem_deref(again);
	mem_deref(mb);
}

static void test_examples(void **state)
{
	struct mixpkg_msg *m = mem_zalloc(sizeof(*m), NULL);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(examples); i++) {
		uint16_t st = mixpkg_parse(m, examples[i],
					   strlen(examples[i]));

		print_message("%zu: %u %s\n", i, st, m->reason);
		assert_int_equal(st, MIXPKG_OK);
		reparse(m);
	}
	mem_deref(m);
}

static void test_fields(void **state)
{
	struct mixpkg_msg *m = mem_zalloc(sizeof(*m), NULL);

	(void)state;
	assert_int_equal(mixpkg_parse(m, examples[0], strlen(examples[0])),
			 MIXPKG_OK);
	assert_int_equal(m->kind, MIXPKG_CREATE);
	assert_string_equal(m->conf.id, "conference1");
	assert_int_equal(m->conf.reserved_talkers, 2);
	assert_int_equal(m->conf.reserved_listeners, 4);
	assert_true(m->conf.mixing);
	assert_int_equal(m->conf.n, 3);
	assert_true(m->conf.sub);
	assert_int_equal(m->conf.sub_interval_s, 4);

	assert_int_equal(mixpkg_parse(m, examples[4], strlen(examples[4])),
			 MIXPKG_OK);
	assert_int_equal(m->kind, MIXPKG_JOIN);
	assert_string_equal(m->id1, "1536067209:913cd14c");
	assert_int_equal(m->nstreams, 1);
	assert_int_equal(m->streams[0].vol, MIXPKG_VOL_GAIN);
	assert_int_equal(m->streams[0].gain_db, -6);

	assert_int_equal(mixpkg_parse(m, examples[6], strlen(examples[6])),
			 MIXPKG_OK);
	assert_int_equal(m->nstreams, 2);
	assert_int_equal(m->streams[0].dir, MIXPKG_RECVONLY);
	assert_int_equal(m->streams[1].vol, MIXPKG_VOL_MUTE);
	assert_string_equal(m->streams[1].label, "a1");

	assert_int_equal(mixpkg_parse(m, examples[10], strlen(examples[10])),
			 MIXPKG_OK);
	assert_true(m->capabilities && m->mixers);

	assert_int_equal(mixpkg_parse(m, examples[11], strlen(examples[11])),
			 MIXPKG_OK);
	assert_int_equal(m->ncodecs, 2);
	assert_int_equal(m->nlist, 2);
	assert_int_equal(m->njoins, 1);
	assert_int_equal(m->conf.n, 2);

	assert_int_equal(mixpkg_parse(m, examples[15], strlen(examples[15])),
			 MIXPKG_OK);
	assert_string_equal(m->reason, "a <b> & \"c\"");

	assert_true(mixpkg_is_connid("a:b"));
	assert_true(mixpkg_is_connid("a~b"));
	assert_false(mixpkg_is_connid("conference1"));
	assert_false(mixpkg_is_connid(":b"));
	assert_false(mixpkg_is_connid("a:"));
	assert_false(mixpkg_is_connid("a:b:c"));
	mem_deref(m);
}

struct bad {
	const char *doc;
	uint16_t code;
	const char *why;
};

#define B(body) HEAD body TAIL
static const struct bad bads[] = {
	{"", 400, "empty"},
	{"<mscmixer", 400, "well-formed"},
	{"<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY a \"aaaa\">]>"
	 "<mscmixer version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:"
	 "msc-mixer\"><audit mixerid=\"&a;\"/></mscmixer>", 400, "DTD"},
	{"<foo/>", 400, "not an mscmixer"},
	{"<mscmixer version=\"1.0\"><audit/></mscmixer>", 400,
	 "not an mscmixer"},
	{"<mscmixer version=\"2.0\" xmlns=\"urn:ietf:params:xml:ns:msc-mixer\">"
	 "<audit/></mscmixer>", 400, "version"},
	{"<mscmixer xmlns=\"urn:ietf:params:xml:ns:msc-mixer\"><audit/>"
	 "</mscmixer>", 400, "missing attribute: version"},
	{B(""), 400, "empty mscmixer"},
	{B("<audit/><audit/>"), 400, "unexpected element"},
	{B("<dance/>"), 400, "unknown element: dance"},
	{B("<createconference color=\"red\"/>"), 400,
	 "unknown attribute: color"},
	{B("<join id1=\"a:b\"/>"), 400, "missing attribute: id2"},
	{B("<join id1=\"a:b\" id2=\"c\"><stream media=\"text\"/></join>"), 400,
	 "not audio or video"},
	{B("<join id1=\"a:b\" id2=\"c\"><stream media=\"audio\" "
	   "direction=\"both\"/></join>"), 400, "not a direction"},
	{B("<join id1=\"a:b\" id2=\"c\"><stream media=\"audio\"><volume "
	   "controltype=\"setgain\" value=\"loud\"/></stream></join>"), 400,
	 "setgain"},
	{B("<join id1=\"a:b\" id2=\"c\"><stream media=\"audio\"><volume "
	   "controltype=\"setgain\" value=\"-200\"/></stream></join>"), 400,
	 "setgain"},
	{B("<join id1=\"a:b\" id2=\"c\"><stream media=\"audio\"><volume "
	   "controltype=\"setstate\" value=\"quiet\"/></stream></join>"), 400,
	 "setstate"},
	{B("<join id1=\"a:b\" id2=\"c\"><stream media=\"audio\"><volume "
	   "controltype=\"automatic\"/></stream></join>"), 435, "automatic"},
	{B("<join id1=\"a:b\" id2=\"c\"><stream media=\"audio\"><clamp/>"
	   "</stream></join>"), 435, "clamp"},
	{B("<createconference><audio-mixing type=\"controller\"/>"
	   "</createconference>"), 435, "controller"},
	{B("<createconference><video-layouts/></createconference>"), 435,
	 "video-layouts"},
	{B("<createconference><x:foo xmlns:x=\"urn:other\"/>"
	   "</createconference>"), 428, "another namespace: foo"},
	{B("<createconference xmlns:x=\"urn:other\" x:foo=\"1\"/>"), 428,
	 "another namespace: foo"},
	{B("<join id1=\"a:b\" id2=\"c\">hello</join>"), 400, "text inside"},
	{B("<createconference reserved-talkers=\"-1\"/>"), 400,
	 "reserved-talkers"},
	{B("<createconference><audio-mixing/><audio-mixing/>"
	   "</createconference>"), 400, "audio-mixing"},
	{B("<response status=\"20\"/>"), 400, "not a status code"},
	{B("<unjoin id1=\"a:b\" id2=\"c\"><stream media=\"audio\"/>"
	   "</unjoin>"), 400, "unexpected element: stream"},
	{B("<event><conferenceexit conferenceid=\"c\" status=\"0\"/>"
	   "<conferenceexit conferenceid=\"c\" status=\"0\"/></event>"), 400,
	 "unexpected element"},
	{B("<event/>"), 400, "an event names one"},
	{B("<destroyconference conferenceid=\"\"/>"), 400, "not an id"},
	{B("<destroyconference conferenceid=\"a b\"/>"), 400, "not an id"},
	{B("<audit capabilities=\"maybe\"/>"), 400, "not a boolean"},
	{B("<destroyconference/>"), 400, "missing attribute: conferenceid"},
	{B("<join id1=\"a:b\" id2=\"c\"><stream media=\"audio\"/>"
	   "<stream media=\"audio\"/><stream media=\"audio\"/>"
	   "<stream media=\"audio\"/><stream media=\"audio\"/></join>"), 400,
	 "too many"},
};

static void test_bad(void **state)
{
	struct mixpkg_msg *m = mem_zalloc(sizeof(*m), NULL);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bads); i++) {
		uint16_t st = mixpkg_parse(m, bads[i].doc,
					   strlen(bads[i].doc));

		print_message("%zu: %u %s\n", i, st, m->reason);
		assert_int_equal(st, bads[i].code);
		assert_non_null(strstr(m->reason, bads[i].why));
		/* nothing but the reason is left of a refused document */
		assert_int_equal(m->kind, MIXPKG_NONE);
	}
	mem_deref(m);
}

/* A document over the size limit, and one nested past the shape */
static void test_limits(void **state)
{
	struct mixpkg_msg *m = mem_zalloc(sizeof(*m), NULL);
	struct mbuf *mb = mbuf_alloc(MIXPKG_DOC_MAX + 64);

	(void)state;
	mbuf_write_str(mb, HEAD "<audit/><!--");
	while (mb->end <= MIXPKG_DOC_MAX)
		mbuf_write_u8(mb, 'x');
	mbuf_write_str(mb, "-->" TAIL);
	assert_int_equal(mixpkg_parse(m, mb->buf, mb->end), MIXPKG_SYNTAX);
	assert_non_null(strstr(m->reason, "too big"));
	mbuf_reset(mb);
	mbuf_write_str(mb, HEAD "<createconference><subscribe>"
		       "<active-talkers-sub><a><b><c/></b></a>"
		       "</active-talkers-sub></subscribe></createconference>"
		       TAIL);
	assert_int_equal(mixpkg_parse(m, mb->buf, mb->end), MIXPKG_SYNTAX);
	mem_deref(mb);
	mem_deref(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
