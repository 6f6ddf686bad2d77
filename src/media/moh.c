/*
 * Music on hold (media.h): six notes of 300 ms, each a sine with a quiet
 * second harmonic under a raised-cosine envelope (no clicks at the note
 * edges). Computed per frame from the sample position; a mixer thread
 * calls it once per tick when someone waits.
 */
#include <math.h>
#include "media/media.h"


static const float notes_hz[] = MEDIA_MOH_NOTES_HZ;
#define NNOTES (sizeof(notes_hz) / sizeof(notes_hz[0]))

void media_moh_frame(uint64_t pos, unsigned hz, int16_t *out, size_t n)
{
	const float two_pi = 6.28318530718f;
	const uint64_t note_samples = hz * 3 / 10;

	for (size_t i = 0; i < n; i++) {
		uint64_t at = pos + i;
		size_t note = (size_t)((at / note_samples) % NNOTES);
		float k = (float)(at % note_samples);
		float t = k / (float)hz, f = notes_hz[note];
		/* 0 at the note's edges, 1 in its middle */
		float env = 0.5f - 0.5f * cosf(two_pi * k /
					       (float)note_samples);
		float v = sinf(two_pi * f * t) + 0.25f * sinf(two_pi * 2 * f * t);

		out[i] = (int16_t)lrintf(5200.0f * env * v);
	}
}
