/*
 * Fuzz target: the jitter buffer (src/mixer/jbuf.c) fed arbitrary
 * packets. The input is a script: each step is one byte of what to do
 * and then its arguments, little endian:
 *   op & 3 == 0, 1: a packet: seq (2), ts (4), dur (2), pt (1), arrival
 *                   advance (1, in ms), len (1) and that many payload
 *                   bytes
 *   op & 3 == 2:    a 20 ms tick, then the timeline handed out until a
 *                   frame is full (jbuf_next), as playout does
 *   op & 3 == 3:    a clock of another rate from now on (8, 16, 48 kHz),
 *                   with a target from the next byte
 * Whatever comes, the buffer's own invariants hold: no more than its
 * slots, packets in timestamp order, what it hands out within a frame.
 */
#include <stdint.h>
#include <string.h>
#include "mixer/jbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct rd {
	const uint8_t *p;
	size_t n;
};

static unsigned get(struct rd *r, unsigned bytes)
{
	unsigned v = 0;

	for (unsigned i = 0; i < bytes && r->n; i++, r->n--)
		v |= (unsigned)*r->p++ << (8 * i);
	return v;
}

static void check(const struct jbuf *jb)
{
	if (jb->count > JB_SLOTS)
		__builtin_trap();
	for (unsigned i = 1; i < jb->count; i++)
		if ((int32_t)(jb->slot[jb->order[i]].ts -
			      jb->slot[jb->order[i - 1]].ts) < 0)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct jbuf jb;
	static const unsigned rates[] = {8000, 16000, 48000};
	struct rd r = {data, size};
	uint32_t arrival = 0;
	unsigned clock = 8000;

	jbuf_init(&jb, clock, 40);
	while (r.n) {
		unsigned op = get(&r, 1);

		if ((op & 3) < 2) {
			uint8_t payload[256];
			uint16_t seq = (uint16_t)get(&r, 2);
			uint32_t ts = get(&r, 4);
			uint32_t dur = get(&r, 2);
			uint8_t pt = (uint8_t)get(&r, 1);
			unsigned len;

			arrival += get(&r, 1) * (clock / 1000);
			len = get(&r, 1);
			len = len < r.n ? len : (unsigned)r.n;
			memcpy(payload, r.p, len);
			r.p += len;
			r.n -= len;
			(void)jbuf_put(&jb, seq, ts, dur, pt, JB_LEVEL_NONE,
				       payload, len, arrival);
		}
		else if ((op & 3) == 2) {
			uint32_t want = jb.frame;
			struct jb_out o;
			int guard = 64;

			arrival += jb.frame;
			if (!jbuf_tick(&jb))
				continue;
			while (want && guard--) {
				enum jb_next k = jbuf_next(&jb, want, &o);
				uint32_t got;

				if (k == JB_PACKET)
					got = o.pkt->dur > o.skip ?
						o.pkt->dur - o.skip : 0;
				else
					got = o.hole;
				if (k == JB_HOLE && o.dry)
					break;
				if (k == JB_HOLE && got > want)
					__builtin_trap();
				want = got >= want ? 0 : want - got;
			}
			(void)jbuf_peek(&jb);
			(void)jbuf_depth(&jb);
			(void)jbuf_target(&jb);
			(void)jbuf_jitter(&jb);
		}
		else {
			clock = rates[get(&r, 1) % 3];
			jbuf_init(&jb, clock, 20 + get(&r, 1) % 200);
		}
		check(&jb);
	}
	return 0;
}
