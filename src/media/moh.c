/*
 * Music on hold (media.h): six notes of 300 ms, each a sine with a quiet
 * second harmonic under a raised-cosine envelope (no clicks at the note
 * edges). Computed per frame from the sample position; a mixer thread
 * calls it once per tick when someone waits.
 */
#include <math.h>
#include "media/media.h"

#define RATE 8000
#define NOTE_SAMPLES (RATE * 3 / 10)

static const float notes_hz[] = MEDIA_MOH_NOTES_HZ;
#define NNOTES (sizeof(notes_hz) / sizeof(notes_hz[0]))

void media_moh_frame(uint64_t pos, int16_t *out, size_t n)
{
	const float two_pi = 6.28318530718f;

	for (size_t i = 0; i < n; i++) {
		uint64_t at = pos + i;
		size_t note = (size_t)((at / NOTE_SAMPLES) % NNOTES);
		float k = (float)(at % NOTE_SAMPLES);
		float t = k / RATE, f = notes_hz[note];
		/* 0 at the note's edges, 1 in its middle */
		float env = 0.5f - 0.5f * cosf(two_pi * k / NOTE_SAMPLES);
		float v = sinf(two_pi * f * t) + 0.25f * sinf(two_pi * 2 * f * t);

		out[i] = (int16_t)lrintf(5200.0f * env * v);
	}
}
