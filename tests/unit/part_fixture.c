/* Participants for the unit tests (part_fixture.h) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <re.h>
#include "part_fixture.h"

struct participant *part_fixture_add(struct conf *c, void *ep,
				     const struct part_new *n,
				     enum part_status status,
				     const char *codec)
{
	struct participant *p = NULL;
	struct part_dialog d = {0};

	assert_int_equal(part_add(c, n, &p), 0);
	part_set_ep(p, ep);
	part_set_status(p, status);
	snprintf(d.call_id, sizeof(d.call_id), "call-%s", part_id(p));
	snprintf(d.from_tag, sizeof(d.from_tag), "ft%s", part_id(p));
	snprintf(d.to_tag, sizeof(d.to_tag), "tt%s", part_id(p));
	snprintf(d.contact, sizeof(d.contact), "sip:ep@10.0.0.%s:5060",
		 part_id(p));
	part_set_dialog(p, &d);
	if (status == PART_CONNECTED || status == PART_ON_HOLD) {
		struct part_media m = {0};

		snprintf(m.codec, sizeof(m.codec), "%s", codec);
		snprintf(m.direction, sizeof(m.direction), "%s",
			 status == PART_ON_HOLD ? "recvonly" : "sendrecv");
		m.tx_ssrc = 1000u + (unsigned)atoi(part_id(p));
		part_set_media(p, &m);
	}
	return p;
}

struct sidebar *part_fixture_sidebar(struct conf *c, const char *id,
				     const char *display, bool by_val)
{
	struct sidebar_cfg cfg = {.id = id, .display_text = display,
				  .by_val = by_val};
	struct sidebar *sb = NULL;

	assert_int_equal(conf_sidebar_add(c, &cfg, &sb), 0);
	assert_non_null(sb);
	return sb;
}
