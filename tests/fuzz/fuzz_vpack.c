/*
 * Fuzz target: the RTP payload formats of video as the composer takes a
 * sender's packets (src/video/vpack.c, vdepack_push): the first byte
 * picks the codec (VP8, H.264, VP9) and a frame size limit, the rest is
 * a run of packets, each a 2-byte length, a flags byte (bit 0: the RTP
 * marker, bits 1-2: how the sequence number moves: +1, +0, +2, back by
 * one), a timestamp step byte and the payload. A frame handed out must
 * be within the limit; a keyframe's frame must start a frame again
 * through vpack_frame (cut and put back together).
 */
#include <stdint.h>
#include <string.h>
#include "video/vpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sink(const uint8_t *pl, size_t len, bool last, void *arg)
{
	(void)pl;
	(void)last;
	*(size_t *)arg += len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vdepack *d = NULL;
	enum video_codec c;
	uint16_t seq = 100;
	uint32_t ts = 9000;
	size_t max;

	if (size < 1)
		return 0;
	c = (enum video_codec)(data[0] % VIDEO_NCODECS);
	max = 64 + (size_t)(data[0] >> 2) * 512;
	if (vdepack_alloc(&d, c, max))
		return 0;
	data++;
	size--;
	while (size >= 4) {
		size_t len = (size_t)data[0] << 8 | data[1];
		uint8_t flags = data[2], step = data[3];
		const uint8_t *frame;
		size_t flen, out = 0;
		bool key, need;

		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		switch ((flags >> 1) & 3) {
		case 0: seq++; break;
		case 2: seq += 2; break;
		case 3: seq--; break;
		default: break;
		}
		ts += step * 90u;
		if (vdepack_push(d, seq, ts, flags & 1, data, len, &frame,
				 &flen, &key, &need) == 1) {
			if (flen > max)
				__builtin_trap();
			(void)vpack_frame(c, frame, flen, key, seq, 1200, sink,
					  &out);
		}
		data += len;
		size -= len;
	}
	vdepack_free(d);
	return 0;
}
