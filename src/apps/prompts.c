/*
 * The prompts caucus ships: their English words, spoken by espeak-ng
 * (media/tts.c) at first start and cached; the tones, made here; and the
 * files an operator puts in the prompts folder, which win over the
 * built-in words (docs/applications.md lists the names). Pure, any
 * thread.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "apps/apps_int.h"
#include "util/json.h"

static const struct {
	const char *name, *text;
} builtin[] = {
	{"welcome", "Welcome to the conference."},
	{"enter-pin", "Please enter the conference PIN, then press pound."},
	{"pin-wrong", "That PIN is not correct. Please try again."},
	{"pin-goodbye", "That PIN is not correct. Goodbye."},
	{"pin-timeout", "No PIN was entered. Goodbye."},
	{"enter-number", "Please enter the conference number, then press "
	 "pound."},
	{"number-wrong", "There is no conference with that number. Please "
	 "try again."},
	{"number-goodbye", "There is no conference with that number. "
	 "Goodbye."},
	{"no-move", "That conference cannot be reached from here. Please "
	 "call it directly. Goodbye."},
	{"no-entry", "You may not join that conference. Goodbye."},
	{"locked-goodbye", "The conference is locked. Goodbye."},
	{"only-participant", "You are the only participant in this "
	 "conference."},
	{"locked", "The conference is locked."},
	{"unlocked", "The conference is unlocked."},
	{"recording-started", "This conference is now being recorded."},
	{"recording-stopped", "The recording has stopped."},
	{"wait-moderator", "Please wait. The conference will begin when the "
	 "moderator lets you in."},
	{"muted", "You are muted."},
	{"unmuted", "You are no longer muted."},
	{"hand-raised", "Your hand is raised."},
	{"hand-lowered", "Your hand is lowered."},
	{"all-muted", "Everyone but the moderators is now muted."},
	{"all-unmuted", "Everyone may speak now."},
	{"extended", "The conference has been extended by ten minutes."},
	{"no-end", "This conference has no end time to extend."},
	{"operator", "Calling the operator."},
	{"no-operator", "There is no operator to call."},
	{"moderator-only", "That key is for moderators only."},
	{"ejected", "The last participant to join has been removed."},
	{"nobody-to-eject", "There is nobody to remove."},
	{"say-name", "After the tone, please say your name."},
	{"help", "Star one: mute or unmute. Star two: raise or lower your "
	 "hand. Star three: who is here. Star five: how many are here. "
	 "Star four and star six: listening volume. Star seven and star "
	 "nine: talking volume. Star eight: back to the main conference. "
	 "Star zero: the operator."},
	{"floor-given", "You have the floor. Everyone can hear you."},
	{"floor-taken", "The floor has been taken back."},
	{"no-hands", "Nobody has raised a hand."},
	{"whisper-on", "You are whispering. Only one participant hears "
	 "you."},
	{"whisper-off", "You are speaking to the conference again."},
	{"whisper-to-you", "A moderator is speaking to you privately."},
	{"back-in-main", "You are back in the main conference."},
	{"no-sidebars", "There are no sidebars."},
	{"breakout-over", "The breakout rooms are closed. You are back in "
	 "the main conference."},
};

#define NBUILTIN (sizeof(builtin) / sizeof(builtin[0]))

const char *prompt_text(const char *name)
{
	for (size_t i = 0; i < NBUILTIN; i++)
		if (!strcmp(builtin[i].name, name))
			return builtin[i].text;
	return NULL;
}

const char *prompt_name(unsigned i)
{
	return i < NBUILTIN ? builtin[i].name : NULL;
}

bool prompt_name_valid(const char *name)
{
	size_t n = strlen(name);

	return n && n < 64 && name[0] != '.' && name[0] != '-' &&
		strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

/* Beeps: (Hz, ms) pairs, a frequency 0 is a pause; each beep fades in
 * and out over 5 ms, at about -12 dBFS */
static const struct {
	const char *name;
	uint16_t steps[6][2];
} tones[] = {
	{"entry", {{523, 120}, {0, 40}, {784, 160}}},
	{"exit", {{784, 120}, {0, 40}, {523, 160}}},
	{"beep", {{1000, 250}}},
	{"up", {{880, 80}}},
	{"down", {{440, 80}}},
};

bool prompt_is_tone(const char *name)
{
	for (size_t t = 0; t < sizeof(tones) / sizeof(tones[0]); t++)
		if (!strcmp(tones[t].name, name))
			return true;
	return false;
}

int prompt_tone(const char *name, int16_t **pcm, size_t *n)
{
	for (size_t t = 0; t < sizeof(tones) / sizeof(tones[0]); t++) {
		size_t total = 0, k = 0;
		int16_t *out;

		if (strcmp(tones[t].name, name))
			continue;
		for (size_t i = 0; i < 6; i++)
			total += tones[t].steps[i][1] * MEDIA_APP_HZ / 1000;
		out = calloc(total ? total : 1, sizeof(*out));
		if (!out)
			return ENOMEM;
		for (size_t i = 0; i < 6; i++) {
			double f = tones[t].steps[i][0];
			size_t len = tones[t].steps[i][1] * MEDIA_APP_HZ / 1000;
			size_t ramp = MEDIA_APP_HZ / 200;

			for (size_t j = 0; j < len && f > 0; j++) {
				double env = 1.0;

				if (j < ramp)
					env = (double)j / ramp;
				else if (len - j < ramp)
					env = (double)(len - j) / ramp;
				out[k + j] = (int16_t)lrint(8000 * env *
					sin(2 * M_PI * f * j / MEDIA_APP_HZ));
			}
			k += len;
		}
		*pcm = out;
		*n = total;
		return 0;
	}
	return ENOENT;
}

int prompt_file(const char *dir, const char *name, const char *lang,
		char *path, size_t psz)
{
	static const char *const ext[] = {"wav", "ogg", "opus"};

	if (!dir || !dir[0] || !prompt_name_valid(name))
		return ENOENT;
	/* the conference's language first, then the folder itself */
	for (int l = 0; l < 2; l++) {
		for (size_t e = 0; e < 3; e++) {
			if (l == 0)
				re_snprintf(path, psz, "%s/%s/%s.%s", dir,
					    lang, name, ext[e]);
			else
				re_snprintf(path, psz, "%s/%s.%s", dir, name,
					    ext[e]);
			if (!access(path, R_OK))
				return 0;
		}
	}
	return ENOENT;
}

/* The prompt files of dir (lang: its language folder, or NULL) */
static int files_print(struct re_printf *pf, const char *dir,
		       const char *lang, bool *first)
{
	char path[600];
	DIR *d;
	int err = 0;

	re_snprintf(path, sizeof(path), "%s%s%s", dir, lang ? "/" : "",
		    lang ? lang : "");
	d = opendir(path);
	for (struct dirent *e; d && !err && (e = readdir(d));) {
		char name[64];
		const char *dot = strrchr(e->d_name, '.');
		size_t n = dot ? (size_t)(dot - e->d_name) : 0;

		if (!n || n >= sizeof(name) || (strcmp(dot, ".wav") &&
						 strcmp(dot, ".ogg") &&
						 strcmp(dot, ".opus")))
			continue;
		memcpy(name, e->d_name, n);
		name[n] = '\0';
		if (!prompt_name_valid(name))
			continue;
		err = re_hprintf(pf, "%s{\"name\":%H,\"file\":%H",
				 *first ? "" : ",", json_print_string, name,
				 json_print_string, e->d_name);
		if (!err && lang)
			err = re_hprintf(pf, ",\"language\":%H",
					 json_print_string, lang);
		err = err ? err : re_hprintf(pf, "}");
		*first = false;
	}
	if (d)
		closedir(d);
	return err;
}

static bool lang_valid(const char *s)
{
	size_t n = strlen(s);

	return n >= 2 && n < 16 && s[0] != '-' &&
		strspn(s, "abcdefghijklmnopqrstuvwxyz"
		       "ABCDEFGHIJKLMNOPQRSTUVWXYZ-") == n;
}

int apps_prompt_list(struct re_printf *pf, void *arg)
{
	const struct apps *a = arg;
	bool first = true;
	int err = re_hprintf(pf, "{\"builtin\":[");

	for (size_t i = 0; i < NBUILTIN && !err; i++)
		err = re_hprintf(pf, "%s{\"name\":\"%s\",\"text\":%H}",
				 i ? "," : "", builtin[i].name,
				 json_print_string, builtin[i].text);
	err = err ? err : re_hprintf(pf, "],\"tones\":[");
	for (size_t i = 0; i < sizeof(tones) / sizeof(tones[0]) && !err; i++)
		err = re_hprintf(pf, "%s\"%s\"", i ? "," : "",
				 tones[i].name);
	err = err ? err : re_hprintf(pf, "],\"files\":[");
	if (!err && a->prompts_dir) {
		DIR *d = opendir(a->prompts_dir);

		err = files_print(pf, a->prompts_dir, NULL, &first);
		/* and the language folders */
		for (struct dirent *e; d && !err && (e = readdir(d));)
			if (e->d_type == DT_DIR && lang_valid(e->d_name))
				err = files_print(pf, a->prompts_dir,
						  e->d_name, &first);
		if (d)
			closedir(d);
	}
	return err ? err : re_hprintf(pf, "]}");
}
