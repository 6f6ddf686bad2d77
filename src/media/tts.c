/*
 * Text to speech for the conference applications' prompts (see
 * media.h): espeak-ng speaks the text at its own rate (22050 Hz), the
 * result is resampled to MEDIA_APP_HZ, its silent ends are cut and its
 * peak is set to speech level.
 *
 * espeak-ng keeps its voice, its callback and its buffers in globals, so
 * this file does too and runs on one thread only: the applications' I/O
 * thread. It is initialised on the first call (loading its data takes
 * tens of milliseconds) and never terminated.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <espeak-ng/speak_lib.h>
#include "media/media.h"

/* Silence longer than this at either end is cut, and what counts as
 * silence (about -54 dBFS; espeak-ng's pauses are digital zeros) */
#define EDGE_MS 100
#define SILENCE 64
/* The peak the speech is scaled to: -6 dBFS */
#define PEAK 16384
/* A language tag longer than this is not one */
#define LANG_MAX 15

/* What the synthesis callback collects, at espeak-ng's rate */
struct speech {
	int16_t *pcm;
	size_t n, size;
	size_t max;
	int err;
};

/* espeak-ng's rate once initialised; its failure is kept, as trying
 * again would load its data again */
static int engine_hz;
static int engine_err;
/* The collection under way: the callback has no other way to it that
 * holds for every event list espeak-ng hands over */
static struct speech *speech_cur;

static int synth_h(short *wav, int n, espeak_EVENT *events)
{
	struct speech *s = speech_cur;
	size_t size;
	int16_t *p;

	(void)events;
	if (!s || !wav || n <= 0)
		return 0;
	if (s->n + (size_t)n > s->max) {
		s->err = EFBIG;
		return 1;   /* stops the synthesis */
	}
	if (s->n + (size_t)n > s->size) {
		size = s->size + s->size / 2 + (size_t)n;
		p = realloc(s->pcm, size * sizeof(*p));
		if (!p) {
			s->err = ENOMEM;
			return 1;
		}
		s->pcm = p;
		s->size = size;
	}
	memcpy(s->pcm + s->n, wav, (size_t)n * sizeof(*wav));
	s->n += (size_t)n;
	return 0;
}

static int engine_init(void)
{
	int hz;

	if (engine_hz || engine_err)
		return engine_err;
	/* DONT_EXIT: without it espeak-ng exits the process when its data
	 * is missing */
	hz = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL,
			       espeakINITIALIZE_DONT_EXIT);
	if (hz < 8000 || hz > 48000) {
		engine_err = ENOENT;
		return engine_err;
	}
	engine_hz = hz;
	espeak_SetSynthCallback(synth_h);
	return 0;
}

/* Picks a voice by language, the way espeak-ng matches "de-DE" to its
 * "de". Only letters, digits and '-' are passed on: espeak-ng takes a
 * voice name as a path below its data folder. */
static int voice_try(const char *lang)
{
	espeak_VOICE v;
	char l[LANG_MAX + 1];
	size_t i;

	for (i = 0; lang[i] && i < LANG_MAX; i++) {
		char c = lang[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (c == '_')
			c = '-';
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			   c == '-'))
			return EINVAL;
		l[i] = c;
	}
	if (!i || lang[i])
		return EINVAL;
	l[i] = '\0';
	memset(&v, 0, sizeof(v));
	v.languages = l;
	if (espeak_SetVoiceByProperties(&v) == EE_OK)
		return 0;
	/* "pt-xx" as "pt" */
	if (strchr(l, '-')) {
		*strchr(l, '-') = '\0';
		if (espeak_SetVoiceByProperties(&v) == EE_OK)
			return 0;
	}
	return ENOENT;
}

static int voice_set(const char *lang)
{
	if (lang && *lang && !voice_try(lang))
		return 0;
	return voice_try("en") ? ENOENT : 0;
}

/* Cuts silence longer than EDGE_MS from both ends of pcm (n samples at
 * MEDIA_APP_HZ), in place; all silence leaves nothing */
static void trim(int16_t *pcm, size_t *n)
{
	size_t edge = MEDIA_APP_HZ * EDGE_MS / 1000, first, last;

	for (first = 0; first < *n && abs(pcm[first]) < SILENCE; first++)
		;
	if (first == *n) {
		*n = 0;
		return;
	}
	for (last = *n - 1; abs(pcm[last]) < SILENCE; last--)
		;
	first = first > edge ? first - edge : 0;
	last = *n - 1 - last > edge ? last + edge : *n - 1;
	*n = last + 1 - first;
	memmove(pcm, pcm + first, *n * sizeof(*pcm));
}

/* Scales pcm so that its peak is PEAK */
static void normalise(int16_t *pcm, size_t n)
{
	int peak = 0;
	double gain;

	for (size_t i = 0; i < n; i++) {
		if (abs(pcm[i]) > peak)
			peak = abs(pcm[i]);
	}
	if (!peak)
		return;
	gain = (double)PEAK / peak;
	for (size_t i = 0; i < n; i++) {
		long s = lrint(pcm[i] * gain);

		pcm[i] = (int16_t)(s > 32767 ? 32767 : s < -32768 ? -32768 : s);
	}
}

int media_tts_render(const char *text, const char *lang, int16_t **pcm,
		     size_t *n)
{
	struct speech s = {0};
	size_t len;
	int err;

	if (!text || !pcm || !n)
		return EINVAL;
	len = strnlen(text, MEDIA_TTS_MAX_TEXT + 1);
	if (!len)
		return EINVAL;
	if (len > MEDIA_TTS_MAX_TEXT)
		return E2BIG;
	err = engine_init();
	if (err)
		return err;
	err = voice_set(lang);
	if (err)
		return err;
	s.max = (size_t)engine_hz * (MEDIA_APP_MAX_SAMPLES / MEDIA_APP_HZ);
	speech_cur = &s;
	if (espeak_Synth(text, len + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8,
			 NULL, NULL) != EE_OK && !s.err)
		s.err = EIO;
	speech_cur = NULL;
	err = s.err;
	if (!err)
		err = media_resample_to_app(s.pcm, s.n, (unsigned)engine_hz,
					    pcm, n);
	free(s.pcm);
	if (err)
		return err;
	trim(*pcm, n);
	normalise(*pcm, *n);
	return 0;
}
