/*
 * Fuzz target: the Replaces header (src/sip/replaces.c). The first input
 * byte picks the entry point: odd, the header's value (an INVITE's
 * Replaces); even, the headers of a Refer-To URI (after its '?'), whose
 * unescaped Replaces must then parse too. Whatever comes: 0 or EBADMSG
 * (ENOSPC for a value too long), never a read past the input (ASan),
 * never a value with a line break or NUL taken, and what was taken lies
 * within the input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sip/replaces.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void value(const char *p, size_t n)
{
	struct replaces r;
	struct pl pl = {p, n};
	int err = replaces_parse(&r, &pl);

	if (err != 0 && err != EBADMSG)
		__builtin_trap();
	if (err)
		return;
	if (!r.to_tag.l || !r.from_tag.l || !r.call_id.l ||
	    r.call_id.p < p || r.from_tag.p + r.from_tag.l > p + n ||
	    r.to_tag.p + r.to_tag.l > p + n)
		__builtin_trap();
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0')
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, buf[REPLACES_VALUE_MAX];
	struct pl pl;
	int err;

	if (!size)
		return 0;
	/* a copy of exactly the input's size: a read past it is caught */
	in = malloc(size - 1 ? size - 1 : 1);
	if (!in)
		return 0;
	memcpy(in, data + 1, size - 1);
	if (data[0] & 1) {
		value(in, size - 1);
		free(in);
		return 0;
	}
	pl.p = in;
	pl.l = size - 1;
	err = replaces_uri_header(buf, sizeof(buf), &pl);
	if (err != 0 && err != EBADMSG && err != ENOSPC)
		__builtin_trap();
	if (!err && buf[0])
		value(buf, strlen(buf));
	free(in);
	return 0;
}
