/*
 * Fuzz target: far-end camera control frames (src/video/h224.c). The
 * first byte picks the path:
 *   even: the rest is an RTP payload from a peer: h224_parse answers 0,
 *         EBADMSG or ENOTSUP; a frame it takes builds again into one
 *         that parses to the same (build(parse(x)) is parse(x)), and
 *         prints;
 *   odd:  the second byte is a number and the rest a name (a string of
 *         its own), as the API passes them to h224_action_parse; a name it takes makes a
 *         frame that parses to the same action, and prints.
 * A check that fails traps; the input is copied to a buffer of its exact
 * size, so a read past the end is caught.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "video/h224.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static bool same(const struct h224_fecc *a, const struct h224_fecc *b)
{
	return a->action == b->action && a->pan == b->pan &&
		a->tilt == b->tilt && a->zoom == b->zoom &&
		a->focus == b->focus && a->timeout == b->timeout &&
		a->preset == b->preset && a->source == b->source &&
		a->dst == b->dst && a->src == b->src;
}

/* f builds, the frame parses back to f, and f prints */
static void rebuild(const struct h224_fecc *f)
{
	uint8_t buf[16];
	struct h224_fecc back;
	char name[64];
	size_t n = h224_build(buf, sizeof(buf), f);

	CHECK(n >= 11 && n <= 12);
	CHECK(h224_build(buf, n - 1, f) == 0);
	CHECK(h224_parse(buf, n, &back) == 0);
	CHECK(same(&back, f));
	CHECK(re_snprintf(name, sizeof(name), "%H", h224_print, f) > 0);
}

static void frame(const uint8_t *buf, size_t len)
{
	struct h224_fecc f;
	int err = h224_parse(buf, len, &f);

	CHECK(err == 0 || err == EBADMSG || err == ENOTSUP);
	if (!err)
		rebuild(&f);
}

static void name(const uint8_t *buf, size_t len, unsigned n)
{
	char *s = malloc(len + 1);
	struct h224_fecc f = {0};

	if (!s)
		return;
	memcpy(s, buf, len);
	s[len] = 0;
	if (!h224_action_parse(&f, s, n))
		rebuild(&f);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		if (size >= 2)
			name(data + 2, size - 2, data[1]);
		return 0;
	}
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	frame(copy, size - 1);
	free(copy);
	return 0;
}
