/*
 * Fuzz target: the control channel's parser (src/mscp/cfw_parse.c) as
 * the channel runs it: the input as one stream, once whole and once in
 * pieces the input's first byte sizes; both must see the same messages
 * and errors. Every message parsed prints, and what it prints parses
 * back to the same bytes again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "mscp/cfw.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	struct mbuf *out;       /* messages printed, errors as codes */
};

static bool seen_h(struct cfw_msg *msg, const struct cfw_perr *perr,
		   void *arg)
{
	struct seen *s = arg;

	if (perr) {
		(void)mbuf_printf(s->out, "ERR %u %s %d\n", perr->code,
				  perr->tid, perr->fatal);
		return true;
	}
	{
		struct mbuf *a = mbuf_alloc(512), *b = mbuf_alloc(512);
		struct cfw_msg *m2 = NULL;
		struct cfw_perr p2;
		size_t used;

		if (!a || !b || cfw_msg_encode(a, msg))
			abort();
		if (cfw_msg_decode(&m2, &p2, a->buf, a->end, &used) ||
		    used != a->end || cfw_msg_encode(b, m2) ||
		    a->end != b->end || memcmp(a->buf, b->buf, a->end))
			abort();
		(void)mbuf_write_mem(s->out, a->buf, a->end);
		mem_deref(m2);
		mem_deref(a);
		mem_deref(b);
	}
	return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return libre_init();
}

static void run(const uint8_t *data, size_t size, size_t piece,
		struct mbuf *out)
{
	struct seen s = {.out = out};
	struct cfw_parser *p = NULL;

	if (cfw_parser_alloc(&p, seen_h, &s))
		abort();
	for (size_t off = 0; off < size; off += piece)
		if (cfw_parser_feed(p, data + off, size - off < piece ?
				    size - off : piece) == EPROTO)
			break;
	mem_deref(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mbuf *whole, *pieces;

	if (!size)
		return 0;
	whole = mbuf_alloc(1024);
	pieces = mbuf_alloc(1024);
	if (!whole || !pieces)
		abort();
	run(data + 1, size - 1, size, whole);
	run(data + 1, size - 1, (size_t)data[0] % 17 + 1, pieces);
	if (whole->end != pieces->end ||
	    memcmp(whole->buf, pieces->buf, whole->end))
		abort();
	mem_deref(whole);
	mem_deref(pieces);
	return 0;
}
