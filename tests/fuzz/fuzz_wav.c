/*
 * Fuzz target: a WAV file as the applications read a prompt
 * (media_wav_parse, src/media/mfile.c), on any bytes: it is parsed,
 * decoded and resampled to 16 kHz, or refused; nothing may crash, read
 * out of bounds or leak. Inputs are capped at 1 MB so that a run spends
 * its time in the header walk, not in resampling long data.
 */
#include <stdint.h>
#include <stdlib.h>
#include "media/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a success gave is read at both ends, so that a buffer shorter
 * than n shows */
static volatile int16_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int16_t *pcm = NULL;
	size_t n = 0;

	if (size > (1u << 20))
		return 0;
	if (!media_wav_parse(data, size, &pcm, &n)) {
		if (!pcm)
			abort();
		if (n) {
			sink = pcm[0];
			sink = pcm[n - 1];
		}
	}
	free(pcm);
	return 0;
}
