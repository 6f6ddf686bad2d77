/*
 * Far-end camera control frames (h224.h): H.281 messages in H.224 frames
 * as RFC 4573 (and H.323 Annex Q) carry them in RTP, one frame per
 * payload, without HDLC flags, bit stuffing and CRC. Pure functions: any
 * thread. The parser takes what a caller sends us (the forwarding thread
 * hands the frame over, the signalling thread parses it) and reads
 * nothing past len (tests/fuzz/fuzz_h224.c).
 *
 * The layout, checked against H.224 (01/2005) fig. 2 and H.281 s. 5 as
 * the implementations read them (OPAL's h224.cxx/h281.cxx, Wireshark's
 * packet-h224.c):
 *
 *   0  Q.922 address, 2 octets: DLCI 6 (low priority data) 0x00 0x61,
 *      or DLCI 7 (high priority) 0x00 0x71: |DLCI hi (6)|C/R|EA=0|
 *      |DLCI lo (4)|FECN|BECN|DE|EA=1|. Not 0x00 0x86: the EA bit is the
 *      last. FECC goes at low priority (CME at high); both are taken.
 *   2  Q.922 control: 0x03 (UI)
 *   3  destination terminal address, 16 bits (0: broadcast)
 *   5  source terminal address, 16 bits (0: broadcast)
 *   7  client id: |reserved|id (7)|: 0x01 FECC (H.281), 0x00 CME; 0x7e
 *      (extended) and 0x7f (non-standard) take more octets: ENOTSUP
 *   8  |ES|BS|C1|C0| segment (4)|: a frame in one segment has ES and BS
 *      both set (0xc0); segmented client data is not taken (ENOTSUP).
 *      (OPAL writes BS at 0x80, Wireshark reads ES there: with both set
 *      it does not matter.)
 *   9  H.281 request type: 1 start action, 2 continue, 3 stop, 4 select
 *      video source, 5 video source switched, 7 store as preset, 8
 *      activate preset (H.281 table 1 and OPAL; Wireshark's dissector
 *      says 6 and 7 for the presets, which OPAL and we take as 7 and 8)
 *  10  start, continue, stop: |P|R|T|U|Z|I|F|I|, two bits each for pan,
 *      tilt, zoom, focus: 00 none, 10 left/down/out/out, 11 right/up/in/
 *      in (01 is illegal: EBADMSG)
 *      select source, switched: |source (4)|res|res|M1|M0| (M1 M0 the
 *      video mode: 00 motion video, written so; read and ignored)
 *      presets: |preset (4)|reserved (4)|
 *  11  start only: |reserved (4)|timeout (4)|, in 50 ms; 0 is 800 ms
 *
 * Octets past the message are ignored (parse(build(x)) is x and
 * build(parse(y)) parses as y). A message type H.281 does not define
 * is ENOTSUP, one cut short EBADMSG.
 *
 * Terminal addresses: the struct's dst and src, 0 (broadcast) unless a
 * caller sets them; the parser takes any, in both directions.
 *
 * Names (h224_action_parse, h224_print): "pan_left", "pan_right",
 * "tilt_up", "tilt_down", "zoom_in", "zoom_out", "focus_in", "focus_out"
 * start that motion (several joined by '+' start them together; n is
 * the timeout, 0 to 15, in 50 ms); "stop" stops the motion f holds (an
 * H.281 receiver such as OPAL ignores a stop that does not name what it
 * is doing, so pass the struct of the start); "preset", "store_preset",
 * "source" take n (0 to 15). h224_print writes a name and, when there is
 * one, its number behind a space ("preset 3", "pan_left+tilt_up 4",
 * "stop"; tools/vidpeer splits it there), and "continue", "start" (no
 * motion), "source_switched n" for what only a camera sends.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "video/h224.h"

enum {
	Q922_ADDR_HI = 0x00, Q922_ADDR_LO = 0x61, Q922_ADDR_LO_HIGH = 0x71,
	Q922_UI = 0x03,
	CLIENT_FECC = 0x01, CLIENT_EXTENDED = 0x7e,
	SEG_SINGLE = 0xc0,       /* ES and BS */
	HDR_LEN = 9,             /* through the segment octet */
};

/* The four motions in the direction octet, from its high bits */
static const struct motion {
	const char *neg, *pos;     /* names of -1 and +1 */
	unsigned shift;
	size_t off;                /* its field in struct h224_fecc */
} motions[] = {
	{"pan_left",  "pan_right", 6, offsetof(struct h224_fecc, pan)},
	{"tilt_down", "tilt_up",   4, offsetof(struct h224_fecc, tilt)},
	{"zoom_out",  "zoom_in",   2, offsetof(struct h224_fecc, zoom)},
	{"focus_out", "focus_in",  0, offsetof(struct h224_fecc, focus)},
};
#define NMOTIONS (sizeof(motions) / sizeof(motions[0]))

static int8_t *motion_of(struct h224_fecc *f, const struct motion *m)
{
	return (int8_t *)((uint8_t *)f + m->off);
}

static int8_t motion_get(const struct h224_fecc *f, const struct motion *m)
{
	return *(const int8_t *)((const uint8_t *)f + m->off);
}

static bool moves(enum h224_action a)
{
	return a == H224_START || a == H224_CONTINUE || a == H224_STOP;
}

/* The direction octet; false: an illegal 01 pair */
static bool dir_read(struct h224_fecc *f, uint8_t b)
{
	static const int8_t val[4] = {0, 0, -1, 1};

	for (size_t i = 0; i < NMOTIONS; i++) {
		unsigned v = (b >> motions[i].shift) & 3;

		if (v == 1)
			return false;
		*motion_of(f, &motions[i]) = val[v];
	}
	return true;
}

/* false: a motion that is not -1, 0 or 1 */
static bool dir_write(const struct h224_fecc *f, uint8_t *b)
{
	*b = 0;
	for (size_t i = 0; i < NMOTIONS; i++) {
		int8_t v = motion_get(f, &motions[i]);

		if (v < -1 || v > 1)
			return false;
		if (v)
			*b |= (uint8_t)((v > 0 ? 3 : 2) << motions[i].shift);
	}
	return true;
}

/* The H.281 message at m (n octets) */
static int msg_read(struct h224_fecc *f, const uint8_t *m, size_t n)
{
	switch (m[0]) {
	case H224_START:
	case H224_CONTINUE:
	case H224_STOP:
		if (n < (m[0] == H224_START ? 3u : 2u))
			return EBADMSG;
		if (!dir_read(f, m[1]))
			return EBADMSG;
		if (m[0] == H224_START)
			f->timeout = m[2] & 0x0f;
		break;
	case H224_SELECT_SOURCE:
	case H224_SOURCE_SWITCHED:
		if (n < 2)
			return EBADMSG;
		f->source = m[1] >> 4;
		break;
	case H224_STORE_PRESET:
	case H224_ACTIVATE_PRESET:
		if (n < 2)
			return EBADMSG;
		f->preset = m[1] >> 4;
		break;
	default:
		return ENOTSUP;
	}
	f->action = (enum h224_action)m[0];
	return 0;
}

int h224_parse(const uint8_t *buf, size_t len, struct h224_fecc *f)
{
	uint8_t client;

	if (!buf || !f)
		return EINVAL;
	memset(f, 0, sizeof(*f));
	if (len < HDR_LEN || buf[0] != Q922_ADDR_HI ||
	    (buf[1] != Q922_ADDR_LO && buf[1] != Q922_ADDR_LO_HIGH) ||
	    buf[2] != Q922_UI)
		return EBADMSG;
	f->dst = (uint16_t)(buf[3] << 8 | buf[4]);
	f->src = (uint16_t)(buf[5] << 8 | buf[6]);
	/* an extended or non-standard id would move what follows: it is
	 * another client anyway, so no need to read on */
	client = buf[7] & 0x7f;
	if (client != CLIENT_FECC || (buf[8] & SEG_SINGLE) != SEG_SINGLE)
		return ENOTSUP;
	if (len == HDR_LEN)
		return EBADMSG;
	return msg_read(f, buf + HDR_LEN, len - HDR_LEN);
}

size_t h224_build(uint8_t *buf, size_t cap, const struct h224_fecc *f)
{
	uint8_t m[3];
	size_t n = 2;

	if (!buf || !f)
		return 0;
	m[0] = (uint8_t)f->action;
	if (moves(f->action)) {
		if (!dir_write(f, &m[1]))
			return 0;
		if (f->action == H224_START) {
			if (f->timeout > 15)
				return 0;
			m[2] = f->timeout;
			n = 3;
		}
	}
	else if (f->action == H224_SELECT_SOURCE ||
		 f->action == H224_SOURCE_SWITCHED) {
		if (f->source > 15)
			return 0;
		m[1] = (uint8_t)(f->source << 4);     /* motion video */
	}
	else if (f->action == H224_STORE_PRESET ||
		 f->action == H224_ACTIVATE_PRESET) {
		if (f->preset > 15)
			return 0;
		m[1] = (uint8_t)(f->preset << 4);
	}
	else {
		return 0;
	}
	if (cap < HDR_LEN + n)
		return 0;
	buf[0] = Q922_ADDR_HI;
	buf[1] = Q922_ADDR_LO;
	buf[2] = Q922_UI;
	buf[3] = (uint8_t)(f->dst >> 8);
	buf[4] = (uint8_t)f->dst;
	buf[5] = (uint8_t)(f->src >> 8);
	buf[6] = (uint8_t)f->src;
	buf[7] = CLIENT_FECC;
	buf[8] = SEG_SINGLE;
	memcpy(buf + HDR_LEN, m, n);
	return HDR_LEN + n;
}

/* The actions that take a number, by name */
static const struct numbered {
	const char *name;
	enum h224_action action;
} numbered[] = {
	{"preset", H224_ACTIVATE_PRESET},
	{"store_preset", H224_STORE_PRESET},
	{"source", H224_SELECT_SOURCE},
	{"source_switched", H224_SOURCE_SWITCHED},
};
#define NNUMBERED (sizeof(numbered) / sizeof(numbered[0]))

/* One motion's name (len octets at s) into f; false: not one */
static bool motion_name(struct h224_fecc *f, const char *s, size_t len)
{
	for (size_t i = 0; i < NMOTIONS; i++) {
		const struct motion *m = &motions[i];
		int8_t *v = motion_of(f, m);

		if (strlen(m->neg) == len && !strncasecmp(s, m->neg, len))
			*v = -1;
		else if (strlen(m->pos) == len && !strncasecmp(s, m->pos, len))
			*v = 1;
		else
			continue;
		return true;
	}
	return false;
}

/* "pan_left+tilt_up": each at most once */
static int motions_parse(struct h224_fecc *f, const char *name)
{
	while (*name) {
		const char *end = strchr(name, '+');
		size_t len = end ? (size_t)(end - name) : strlen(name);
		struct h224_fecc one = {0};

		if (!motion_name(&one, name, len))
			return EINVAL;
		for (size_t i = 0; i < NMOTIONS; i++) {
			int8_t v = motion_get(&one, &motions[i]);

			if (!v)
				continue;
			if (motion_get(f, &motions[i]))
				return EINVAL;
			*motion_of(f, &motions[i]) = v;
		}
		name += len + (end ? 1 : 0);
		if (end && !*name)
			return EINVAL;
	}
	return 0;
}

int h224_action_parse(struct h224_fecc *f, const char *name, unsigned n)
{
	struct h224_fecc a = {0};
	int err;

	if (!f || !name || !*name)
		return EINVAL;
	a.dst = f->dst;
	a.src = f->src;
	if (!strcasecmp(name, "stop")) {
		a.action = H224_STOP;
		for (size_t i = 0; i < NMOTIONS; i++)
			*motion_of(&a, &motions[i]) =
				motion_get(f, &motions[i]);
		*f = a;
		return 0;
	}
	if (n > 15)
		return EINVAL;
	for (size_t i = 0; i < NNUMBERED; i++) {
		if (strcasecmp(name, numbered[i].name))
			continue;
		a.action = numbered[i].action;
		if (a.action == H224_SELECT_SOURCE ||
		    a.action == H224_SOURCE_SWITCHED)
			a.source = (uint8_t)n;
		else
			a.preset = (uint8_t)n;
		*f = a;
		return 0;
	}
	a.action = H224_START;
	a.timeout = (uint8_t)n;
	err = motions_parse(&a, name);
	if (err)
		return err;
	*f = a;
	return 0;
}

/* The motions joined by '+'; nothing when there are none */
static int motions_print(struct re_printf *pf, const struct h224_fecc *f)
{
	const char *sep = "";
	int err = 0;

	for (size_t i = 0; i < NMOTIONS && !err; i++) {
		int8_t v = motion_get(f, &motions[i]);

		if (!v)
			continue;
		err = re_hprintf(pf, "%s%s", sep,
				 v < 0 ? motions[i].neg : motions[i].pos);
		sep = "+";
	}
	return err;
}

static bool still(const struct h224_fecc *f)
{
	for (size_t i = 0; i < NMOTIONS; i++) {
		if (motion_get(f, &motions[i]))
			return false;
	}
	return true;
}

int h224_print(struct re_printf *pf, const struct h224_fecc *f)
{
	int err;

	if (!f)
		return 0;
	for (size_t i = 0; i < NNUMBERED; i++) {
		if (numbered[i].action == f->action)
			return re_hprintf(pf, "%s %u", numbered[i].name,
					  f->action == H224_SELECT_SOURCE ||
					  f->action == H224_SOURCE_SWITCHED ?
					  f->source : f->preset);
	}
	switch (f->action) {
	case H224_START:
		if (still(f))
			err = re_hprintf(pf, "start");
		else
			err = motions_print(pf, f);
		if (!err && f->timeout)
			err = re_hprintf(pf, " %u", f->timeout);
		return err;
	case H224_CONTINUE:
		return re_hprintf(pf, "continue");
	case H224_STOP:
		return re_hprintf(pf, "stop");
	default:
		return re_hprintf(pf, "?");
	}
}
