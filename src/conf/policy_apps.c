/*
 * The applications' part of a conference policy (policy.h): the PINs of
 * the lobby, the prompts' language, which built-in announcements play,
 * automatic recording, and the keypad table. Pure data and functions,
 * parsed as strictly as the rest of the policy: a bad member is named and
 * nothing is applied.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "conf/policy.h"
#include "util/json.h"

const char *const policy_key_names[POLICY_KEY_NACTIONS] = {
	[POLICY_KEY_MUTE] = "mute",
	[POLICY_KEY_HAND] = "hand",
	[POLICY_KEY_ROLL_CALL] = "roll_call",
	[POLICY_KEY_COUNT] = "count",
	[POLICY_KEY_LISTEN_UP] = "listen_up",
	[POLICY_KEY_LISTEN_DOWN] = "listen_down",
	[POLICY_KEY_TALK_UP] = "talk_up",
	[POLICY_KEY_TALK_DOWN] = "talk_down",
	[POLICY_KEY_OPERATOR] = "operator",
	[POLICY_KEY_HELP] = "help",
	[POLICY_KEY_MAIN] = "main",
	[POLICY_KEY_LOCK] = "lock",
	[POLICY_KEY_MUTE_ALL] = "mute_all",
	[POLICY_KEY_UNMUTE_ALL] = "unmute_all",
	[POLICY_KEY_EJECT_LAST] = "eject_last",
	[POLICY_KEY_RECORD] = "record",
	[POLICY_KEY_EXTEND] = "extend",
	[POLICY_KEY_FLOOR] = "floor",
	[POLICY_KEY_FLOOR_TAKE] = "floor_take",
	[POLICY_KEY_WHISPER] = "whisper",
	[POLICY_KEY_VISIT] = "visit",
};

/* The default table (docs/keypad.md): star and a digit for everyone,
 * pound and a digit for moderators */
static const struct policy_key default_keys[] = {
	{"*1", POLICY_KEY_MUTE}, {"*2", POLICY_KEY_HAND},
	{"*3", POLICY_KEY_ROLL_CALL}, {"*5", POLICY_KEY_COUNT},
	{"*4", POLICY_KEY_LISTEN_DOWN}, {"*6", POLICY_KEY_LISTEN_UP},
	{"*7", POLICY_KEY_TALK_DOWN}, {"*9", POLICY_KEY_TALK_UP},
	{"*0", POLICY_KEY_OPERATOR}, {"**", POLICY_KEY_HELP},
	{"#1", POLICY_KEY_LOCK}, {"#2", POLICY_KEY_MUTE_ALL},
	{"#3", POLICY_KEY_UNMUTE_ALL}, {"#4", POLICY_KEY_EJECT_LAST},
	{"#5", POLICY_KEY_RECORD}, {"#6", POLICY_KEY_EXTEND},
	{"*8", POLICY_KEY_MAIN}, {"#7", POLICY_KEY_FLOOR},
	{"#8", POLICY_KEY_FLOOR_TAKE}, {"#9", POLICY_KEY_WHISPER},
	{"#0", POLICY_KEY_VISIT},
};

#define NDEFAULT (sizeof(default_keys) / sizeof(default_keys[0]))

static const char *const announce_words[] = {"off", "tone", "name"};
static const char *const formats[] = {"ogg", "wav"};

void policy_apps_default(struct policy_apps *a)
{
	memset(a, 0, sizeof(*a));
	strcpy(a->language, "en");
	a->entry = POLICY_ANNOUNCE_TONE;
	a->exit = POLICY_ANNOUNCE_TONE;
	a->only_participant = true;
	a->locked = true;
	a->recording = true;
	a->wait_moderator = true;
	memcpy(a->keys, default_keys, sizeof(default_keys));
	a->nkeys = NDEFAULT;
}

static int bad(char *detail, size_t dsz, const char *fmt, const char *f)
{
	snprintf(detail, dsz, fmt, f);
	return EINVAL;
}

bool policy_apps_key(const char *key)
{
	return !strcmp(key, "pin") || !strcmp(key, "moderator_pin") ||
		!strcmp(key, "language") || !strcmp(key, "announcements") ||
		!strcmp(key, "recording") || !strcmp(key, "keypad");
}

/* A PIN: "" (none) or 1 to POLICY_PIN_MAX digits */
static int parse_pin(char *dst, const struct odict_entry *e, char *detail,
		     size_t dsz)
{
	size_t n = e->type == ODICT_STRING ? strlen(e->u.str) : 0;

	if (e->type != ODICT_STRING || n > POLICY_PIN_MAX ||
	    strspn(e->u.str, "0123456789") != n)
		return bad(detail, dsz, "field '%s' must be a string of up "
			   "to 16 digits (\"\": no PIN)", e->key);
	memset(dst, 0, POLICY_PIN_MAX + 1);
	memcpy(dst, e->u.str, n);
	return 0;
}

/* A language tag: 2 to 15 of a-z, A-Z, '-' */
static int parse_lang(char *dst, const struct odict_entry *e, char *detail,
		      size_t dsz)
{
	const char *ok = "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ-";
	size_t n = e->type == ODICT_STRING ? strlen(e->u.str) : 0;

	if (n < 2 || n > 15 || strspn(e->u.str, ok) != n ||
	    e->u.str[0] == '-')
		return bad(detail, dsz, "field '%s' must be a language tag "
			   "such as \"en\" or \"de\"", e->key);
	memset(dst, 0, 16);
	memcpy(dst, e->u.str, n);
	return 0;
}

static int word(const char *const *set, size_t n, const struct odict_entry *e)
{
	for (size_t i = 0; e->type == ODICT_STRING && i < n; i++)
		if (set[i] && !strcmp(set[i], e->u.str))
			return (int)i;
	return -1;
}

static int parse_announce(struct policy_apps *a, const struct odict_entry *e,
			  char *detail, size_t dsz)
{
	if (e->type != ODICT_OBJECT)
		return bad(detail, dsz, "field '%s' must be an object",
			   e->key);
	for (struct le *le = e->u.odict->lst.head; le; le = le->next) {
		const struct odict_entry *f = le->data;
		bool *flag = !strcmp(f->key, "only_participant") ?
			&a->only_participant :
			!strcmp(f->key, "count") ? &a->count :
			!strcmp(f->key, "locked") ? &a->locked :
			!strcmp(f->key, "recording") ? &a->recording :
			!strcmp(f->key, "wait_moderator") ?
			&a->wait_moderator :
			!strcmp(f->key, "name") ? &a->name : NULL;

		if (!strcmp(f->key, "entry") || !strcmp(f->key, "exit")) {
			int w = word(announce_words, 3, f);

			if (w < 0) {
				snprintf(detail, dsz, "field 'announcements."
					 "%s' must be off, tone or name",
					 f->key);
				return EINVAL;
			}
			*(!strcmp(f->key, "entry") ? &a->entry : &a->exit) =
				(uint8_t)w;
		}
		else if (flag && f->type == ODICT_BOOL) {
			*flag = f->u.boolean;
		}
		else {
			snprintf(detail, dsz, "field 'announcements.%s' %s",
				 f->key, flag ? "must be a boolean" :
				 "is unknown");
			return EINVAL;
		}
	}
	return 0;
}

static int parse_recording(struct policy_apps *a, const struct odict_entry *e,
			   char *detail, size_t dsz)
{
	if (e->type != ODICT_OBJECT)
		return bad(detail, dsz, "field '%s' must be an object",
			   e->key);
	for (struct le *le = e->u.odict->lst.head; le; le = le->next) {
		const struct odict_entry *f = le->data;

		if (!strcmp(f->key, "auto") && f->type == ODICT_BOOL) {
			a->record_auto = f->u.boolean;
		}
		else if (!strcmp(f->key, "format") && word(formats, 2, f) >= 0) {
			a->record_format = (uint8_t)word(formats, 2, f);
		}
		else {
			snprintf(detail, dsz, "field 'recording.%s' %s", f->key,
				 !strcmp(f->key, "auto") ? "must be a boolean" :
				 !strcmp(f->key, "format") ? "must be ogg or "
				 "wav" : "is unknown");
			return EINVAL;
		}
	}
	return 0;
}

static bool seq_valid(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 3 && strspn(s, "0123456789*#ABCD") == n;
}

/* "keypad": {"*1": "mute", ...} replaces the whole table; {} leaves
 * none (no keypad commands) */
static int parse_keys(struct policy_apps *a, const struct odict_entry *e,
		      char *detail, size_t dsz)
{
	size_t n = 0;

	if (e->type != ODICT_OBJECT)
		return bad(detail, dsz, "field '%s' must be an object",
			   e->key);
	for (struct le *le = e->u.odict->lst.head; le; le = le->next) {
		const struct odict_entry *f = le->data;
		int w = word(policy_key_names, POLICY_KEY_NACTIONS, f);

		if (!seq_valid(f->key))
			return bad(detail, dsz, "field 'keypad.%s': a key "
				   "sequence is one to three of 0-9 * # A-D",
				   f->key);
		if (w <= 0) {
			snprintf(detail, dsz, "field 'keypad.%s' must name an "
				 "action (see docs/keypad.md)", f->key);
			return EINVAL;
		}
		if (n == POLICY_KEYS_MAX)
			return bad(detail, dsz, "field '%s' may hold at most "
				   "32 sequences", e->key);
		for (size_t i = 0; i < n; i++) {
			size_t l1 = strlen(a->keys[i].seq), l2 = strlen(f->key);
			size_t l = l1 < l2 ? l1 : l2;

			/* one sequence may not start another: which was
			 * meant could not be told */
			if (!strncmp(a->keys[i].seq, f->key, l))
				return bad(detail, dsz, "field 'keypad.%s' "
					   "clashes with a shorter or equal "
					   "sequence", f->key);
		}
		memset(&a->keys[n], 0, sizeof(a->keys[n]));
		strcpy(a->keys[n].seq, f->key);
		a->keys[n++].action = (uint8_t)w;
	}
	for (size_t i = n; i < POLICY_KEYS_MAX; i++)
		memset(&a->keys[i], 0, sizeof(a->keys[i]));
	a->nkeys = n;
	return 0;
}

int policy_apps_parse(struct policy *p, const struct odict_entry *e,
		      char *detail, size_t dsz)
{
	struct policy_apps *a = &p->apps;

	if (!strcmp(e->key, "pin"))
		return parse_pin(a->pin, e, detail, dsz);
	if (!strcmp(e->key, "moderator_pin"))
		return parse_pin(a->moderator_pin, e, detail, dsz);
	if (!strcmp(e->key, "language"))
		return parse_lang(a->language, e, detail, dsz);
	if (!strcmp(e->key, "announcements"))
		return parse_announce(a, e, detail, dsz);
	if (!strcmp(e->key, "recording"))
		return parse_recording(a, e, detail, dsz);
	return parse_keys(a, e, detail, dsz);
}

static const char *tf(bool b)
{
	return b ? "true" : "false";
}

int policy_apps_print(struct re_printf *pf, const struct policy *p)
{
	const struct policy_apps *a = &p->apps;
	int err = re_hprintf(pf, "\"pin\":%H,\"moderator_pin\":%H,"
			     "\"language\":%H,\"announcements\":{"
			     "\"entry\":\"%s\",\"exit\":\"%s\","
			     "\"only_participant\":%s,\"count\":%s,"
			     "\"locked\":%s,\"recording\":%s,"
			     "\"wait_moderator\":%s,\"name\":%s},"
			     "\"recording\":{\"auto\":%s,\"format\":\"%s\"},"
			     "\"keypad\":{",
			     json_print_string, a->pin, json_print_string,
			     a->moderator_pin, json_print_string,
			     a->language, announce_words[a->entry],
			     announce_words[a->exit],
			     tf(a->only_participant), tf(a->count),
			     tf(a->locked), tf(a->recording),
			     tf(a->wait_moderator), tf(a->name),
			     tf(a->record_auto), formats[a->record_format]);

	for (size_t i = 0; i < a->nkeys && !err; i++)
		err = re_hprintf(pf, "%s%H:\"%s\"", i ? "," : "",
				 json_print_string, a->keys[i].seq,
				 policy_key_names[a->keys[i].action]);
	return err ? err : re_hprintf(pf, "}");
}

int policy_apps_action(const struct policy_apps *a, const char *seq)
{
	for (size_t i = 0; i < a->nkeys; i++)
		if (!strcmp(a->keys[i].seq, seq))
			return a->keys[i].action;
	return 0;
}

bool policy_apps_prefix(const struct policy_apps *a, const char *prefix)
{
	size_t n = strlen(prefix);

	for (size_t i = 0; i < a->nkeys; i++)
		if (strlen(a->keys[i].seq) > n &&
		    !strncmp(a->keys[i].seq, prefix, n))
			return true;
	return false;
}
