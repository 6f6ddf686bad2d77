/*
 * Callers and their keypads: the PIN lobby, the keypad commands of the
 * conference's table (policy_apps.c, docs/keypad.md), and the entry and
 * exit announcements. A caller's state (struct caller) is made when its
 * participant is first seen connected and goes when it leaves. Digits
 * arrive here however they came (RFC 4733, SIP INFO: part_dtmf()), and
 * every conference change is looked at for joins and leaves: a change of
 * one participant's (conf_changed_part) at that one alone, so that a
 * join or a leave costs the same in a conference of thousands, any
 * other at everyone.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "apps/apps_int.h"
#include "conf/conf.h"
#include "conf/part.h"
#include "conf/policy.h"
#include "util/log.h"

#define KEY_WAIT_MS 3000          /* between the keys of one sequence */
#define GAIN_STEP_DB 3.0
#define GAIN_MAX_DB 12.0


static void caller_free(struct caller *k)
{
	tmr_cancel(&k->key_tmr);
	tmr_cancel(&k->pin_tmr);
	list_unlink(&k->le);
	hash_unlink(&k->he);
	apps_jobs_forget(k->a, k);
	apps_pcm_put(k->name);
	mem_deref(k->p);
	free(k);
}

static uint32_t key_of(const struct participant *p)
{
	return hash_fast((const char *)&p, sizeof(p));
}

static bool same_p(struct le *le, void *arg)
{
	return ((struct caller *)le->data)->p == arg;
}

static struct caller *caller_find(const struct apps *a,
				  const struct participant *p)
{
	return list_ledata(hash_lookup(a->caller_by, key_of(p), same_p,
				       (void *)p));
}

static struct caller *caller_get(struct apps *a, struct participant *p)
{
	struct caller *k = caller_find(a, p);

	if (k)
		return k;
	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->a = a;
	k->p = mem_ref(p);
	tmr_init(&k->key_tmr);
	tmr_init(&k->pin_tmr);
	list_append(&a->callers, &k->le, k);
	hash_append(a->caller_by, key_of(p), &k->he, k);
	return k;
}

bool keypad_present(const struct participant *p)
{
	const struct part_privacy *pv = part_privacy(p);

	return part_status(p) == PART_CONNECTED && !pv->hidden &&
		!pv->pending && !pv->lobby;
}

struct count {
	unsigned n, max;
};

static bool count_h(struct participant *p, void *arg)
{
	struct count *n = arg;

	if (keypad_present(p))
		n->n++;
	return n->n >= n->max;
}

/* Those present, counted up to max (no further: more than one is often
 * all that is asked, and a large roster need not be walked for it) */
static unsigned present_upto(const struct conf *c, unsigned max)
{
	struct count n = {.max = max};

	(void)conf_apply_parts(c, count_h, &n);
	return n.n;
}

static unsigned present_count(const struct conf *c)
{
	return present_upto(c, UINT_MAX);
}

static const char *spoken_name(const struct participant *p)
{
	if (part_privacy(p)->anonymous)
		return "An anonymous participant";
	return part_display(p) && part_display(p)[0] ? part_display(p) :
		"A caller";
}

void keypad_name_item(struct apps *a, const struct participant *p,
		      struct apps_item *it)
{
	const struct caller *k = caller_find(a, p);

	memset(it, 0, sizeof(*it));
	if (k && k->name && !part_privacy(p)->anonymous) {
		it->kind = APPS_PCM;      /* as it said it */
		it->pcm = k->name;
		return;
	}
	it->kind = APPS_TEXT;
	re_snprintf(it->what, sizeof(it->what), "%s", spoken_name(p));
}

/* --- keypad commands --- */

struct roll {
	struct apps *a;
	const struct participant *self;
	struct apps_item it[APPS_ITEMS_MAX];
	unsigned n, others;
};

static bool roll_h(struct participant *q, void *arg)
{
	struct roll *r = arg;

	if (q == r->self || !keypad_present(q))
		return false;
	/* room for "and N more" after the names */
	if (r->n < APPS_ITEMS_MAX - 1)
		keypad_name_item(r->a, q, &r->it[r->n++]);
	else
		r->others++;
	return false;
}

/* Who is here, said to the one who asked: their names as they said
 * them, else their display names spoken (up to six), then how many
 * more */
static void roll_call(struct apps *a, struct caller *k)
{
	struct conf *c = part_conf(k->p);
	struct roll r = {.a = a, .self = k->p};

	r.it[0].kind = APPS_TEXT;
	re_snprintf(r.it[0].what, sizeof(r.it[0].what), "In the conference:");
	r.n = 1;
	(void)conf_apply_parts(c, roll_h, &r);
	if (r.n == 1)
		re_snprintf(r.it[0].what, sizeof(r.it[0].what),
			    "Nobody else is here.");
	if (r.others) {
		r.it[r.n].kind = APPS_TEXT;
		re_snprintf(r.it[r.n++].what, sizeof(r.it[0].what),
			    "and %u more.", r.others);
	}
	(void)apps_job_play(a, c, k->p, r.it, r.n, NULL, NULL, NULL);
}

/* "<name> has joined.", "<name> has left." to everyone */
static void name_news(struct apps *a, struct caller *k, const char *what)
{
	struct apps_item it[2];

	keypad_name_item(a, k->p, &it[0]);
	memset(&it[1], 0, sizeof(it[1]));
	it[1].kind = APPS_TEXT;
	re_snprintf(it[1].what, sizeof(it[1].what), "%s", what);
	(void)apps_job_play(a, part_conf(k->p), NULL, it, 2, NULL, NULL,
			    NULL);
}

static void volume(struct caller *k, bool listen, bool up)
{
	struct part_settings s = *part_settings(k->p);
	double *g = listen ? &s.gain_out_db : &s.gain_in_db;

	*g += up ? GAIN_STEP_DB : -GAIN_STEP_DB;
	if (*g > GAIN_MAX_DB)
		*g = GAIN_MAX_DB;
	if (*g < -GAIN_MAX_DB)
		*g = -GAIN_MAX_DB;
	part_update_settings(k->p, &s);
	(void)apps_say(k->a, part_conf(k->p), k->p, up ? "up" : "down",
		       NULL, NULL);
}

static void operator_call(struct caller *k)
{
	struct conf *c = part_conf(k->p);
	struct part_new n = {.uri = k->a->operator_uri, .dial_out = true,
			     .display = "Operator",
			     .referred_by = part_uri(k->p)};

	if (!k->a->operator_uri || part_add(c, &n, NULL)) {
		(void)apps_say(k->a, c, k->p, "no-operator", NULL, NULL);
		return;
	}
	log_info("apps", "msg=\"operator called\" conf=%s pid=%s uri=%s",
		 conf_id(c), part_id(k->p), k->a->operator_uri);
	conf_reconcile(c);
	(void)apps_say(k->a, c, k->p, "operator", NULL, NULL);
}

/* The keys: the built-in prompt for the default table (a file may
 * replace it), else this conference's table spoken, the keys it gives
 * everyone (and moderators' to moderators) */
static void help(struct apps *a, struct caller *k)
{
	static const char *const words[POLICY_KEY_NACTIONS] = {
		[POLICY_KEY_MUTE] = "mute", [POLICY_KEY_HAND] = "your hand",
		[POLICY_KEY_ROLL_CALL] = "who is here",
		[POLICY_KEY_COUNT] = "how many are here",
		[POLICY_KEY_LISTEN_UP] = "louder",
		[POLICY_KEY_LISTEN_DOWN] = "softer",
		[POLICY_KEY_TALK_UP] = "talk louder",
		[POLICY_KEY_TALK_DOWN] = "talk softer",
		[POLICY_KEY_OPERATOR] = "the operator",
		[POLICY_KEY_HELP] = "these keys", [POLICY_KEY_LOCK] = "lock",
		[POLICY_KEY_MUTE_ALL] = "mute all",
		[POLICY_KEY_UNMUTE_ALL] = "unmute all",
		[POLICY_KEY_EJECT_LAST] = "remove the last caller",
		[POLICY_KEY_RECORD] = "record",
		[POLICY_KEY_EXTEND] = "extend the time",
	};
	struct conf *c = part_conf(k->p);
	const struct policy_apps *pa = &conf_policy(c)->apps;
	struct policy_apps def;
	bool mod = !strcmp(part_role(k->p), "moderator") ||
		!strcmp(part_role(k->p), "administrator");
	struct apps_item it[APPS_ITEMS_MAX];
	unsigned n = 0;
	size_t len = 0;

	policy_apps_default(&def);
	if (pa->nkeys == def.nkeys &&
	    !memcmp(pa->keys, def.keys, sizeof(def.keys)) && !mod) {
		(void)apps_say(a, c, k->p, "help", NULL, NULL);
		return;
	}
	memset(it, 0, sizeof(it));
	/* a few keys a sentence, a sentence an item */
	for (size_t i = 0; i < pa->nkeys; i++) {
		const struct policy_key *key = &pa->keys[i];
		char *t;

		if (key->action >= POLICY_KEY_FIRST_MODERATOR && !mod)
			continue;
		if (len > sizeof(it[0].what) - 64) {
			if (++n == APPS_ITEMS_MAX)
				break;
			len = 0;
		}
		t = it[n].what;
		it[n].kind = APPS_TEXT;
		for (const char *d = key->seq; *d; d++)
			len += (size_t)re_snprintf(t + len,
						   sizeof(it[n].what) - len,
						   "%s ", *d == '*' ? "star" :
						   *d == '#' ? "pound" :
						   (char[2]){*d, 0});
		len += (size_t)re_snprintf(t + len, sizeof(it[n].what) - len,
					   "%s. ", words[key->action]);
	}
	if (n < APPS_ITEMS_MAX && len)
		n++;
	if (!n) {
		it[0].kind = APPS_TEXT;
		re_snprintf(it[0].what, sizeof(it[0].what), "No keys are set "
			    "for this conference.");
		n = 1;
	}
	(void)apps_job_play(a, c, k->p, it, n, NULL, NULL, NULL);
}

static void action(struct caller *k, int act)
{
	struct apps *a = k->a;
	struct participant *p = k->p;
	struct conf *c = part_conf(p);
	struct part_settings s = *part_settings(p);
	char text[96];

	log_info("apps", "msg=\"keypad\" conf=%s pid=%s action=%s",
		 conf_id(c), part_id(p), policy_key_names[act]);
	if (act >= POLICY_KEY_FIRST_MODERATOR &&
	    strcmp(part_role(p), "moderator") &&
	    strcmp(part_role(p), "administrator")) {
		(void)apps_say(a, c, p, "moderator-only", NULL, NULL);
		return;
	}
	switch (act) {
	case POLICY_KEY_MUTE:
		s.muted = !s.muted;
		part_update_settings(p, &s);
		(void)apps_say(a, c, p, s.muted ? "muted" : "unmuted", NULL,
			       NULL);
		break;
	case POLICY_KEY_HAND:
		part_set_hand(p, !part_hand(p));
		(void)apps_say(a, c, p, part_hand(p) ? "hand-raised" :
			       "hand-lowered", NULL, NULL);
		break;
	case POLICY_KEY_ROLL_CALL:
		roll_call(a, k);
		break;
	case POLICY_KEY_COUNT:
		re_snprintf(text, sizeof(text), "There %s %u participant%s "
			    "in this conference.",
			    present_count(c) == 1 ? "is" : "are",
			    present_count(c),
			    present_count(c) == 1 ? "" : "s");
		(void)apps_say_text(a, c, p, text);
		break;
	case POLICY_KEY_LISTEN_UP:
	case POLICY_KEY_LISTEN_DOWN:
		volume(k, true, act == POLICY_KEY_LISTEN_UP);
		break;
	case POLICY_KEY_TALK_UP:
	case POLICY_KEY_TALK_DOWN:
		volume(k, false, act == POLICY_KEY_TALK_UP);
		break;
	case POLICY_KEY_OPERATOR:
		operator_call(k);
		break;
	case POLICY_KEY_HELP:
		help(a, k);
		break;
	case POLICY_KEY_MAIN:
		if (part_sidebar(p) && !part_set_sidebar(p, NULL))
			(void)apps_say(a, c, p, "back-in-main", NULL, NULL);
		break;
	default:
		keypad_moderator(k, act);
		break;
	}
}

static void keys_expired(void *arg)
{
	struct caller *k = arg;

	k->keys[0] = '\0';
}

static void key_digit(struct caller *k, char d)
{
	const struct policy_apps *pa = &conf_policy(part_conf(k->p))->apps;
	size_t n = strlen(k->keys);
	int act;

	k->keys[n] = d;
	k->keys[n + 1] = '\0';
	act = policy_apps_action(pa, k->keys);
	if (act) {
		k->keys[0] = '\0';
		tmr_cancel(&k->key_tmr);
		action(k, act);
		return;
	}
	if (n + 1 < sizeof(k->keys) - 1 && policy_apps_prefix(pa, k->keys)) {
		tmr_start(&k->key_tmr, KEY_WAIT_MS, keys_expired, k);
		return;
	}
	/* no such sequence: this key may start one */
	k->keys[0] = '\0';
	tmr_cancel(&k->key_tmr);
	if (n)
		key_digit(k, d);
}

void keypad_dtmf(struct participant *p, char digit, void *arg)
{
	struct apps *a = arg;
	struct caller *k;

	if (!part_in_conf(p) || part_status(p) != PART_CONNECTED)
		return;
	k = caller_get(a, p);
	if (!k)
		return;
	if (part_privacy(p)->lobby)
		lobby_digit(k, digit);
	else if (!part_privacy(p)->pending)
		key_digit(k, digit);
}

/* --- joins and leaves --- */

static void entered(struct apps *a, struct caller *k)
{
	struct conf *c = part_conf(k->p);
	const struct policy_apps *pa = &conf_policy(c)->apps;
	/* the number is said (count), else only one or more matters */
	unsigned n = pa->count ? present_count(c) :
		pa->only_participant ? present_upto(c, 2) : 0;
	char text[300];

	k->announced = true;
	if (pa->entry == POLICY_ANNOUNCE_TONE) {
		(void)apps_say(a, c, NULL, "entry", NULL, NULL);
	}
	else if (pa->entry == POLICY_ANNOUNCE_NAME) {
		name_news(a, k, "has joined.");
	}
	if (n <= 1 && pa->only_participant) {
		(void)apps_say(a, c, k->p, "only-participant", NULL, NULL);
	}
	else if (n > 1 && pa->count) {
		re_snprintf(text, sizeof(text), "There are %u participants "
			    "in this conference.", n);
		(void)apps_say_text(a, c, k->p, text);
	}
}

static void left(struct apps *a, struct caller *k)
{
	struct conf *c = part_conf(k->p);
	const struct policy_apps *pa = &conf_policy(c)->apps;

	if (conf_destroyed(c) || !k->announced)
		return;
	if (pa->exit == POLICY_ANNOUNCE_TONE) {
		(void)apps_say(a, c, NULL, "exit", NULL, NULL);
	}
	else if (pa->exit == POLICY_ANNOUNCE_NAME) {
		name_news(a, k, "has left.");
	}
}

struct seen {
	struct apps *a;
};

static bool seen_h(struct participant *p, void *arg)
{
	struct apps *a = ((struct seen *)arg)->a;
	const struct part_privacy *pv = part_privacy(p);
	struct caller *k;

	if (part_status(p) != PART_CONNECTED)
		return false;
	k = caller_get(a, p);
	if (!k)
		return false;
	if (pv->lobby && !k->lobby_started)
		lobby_start(k);
	else if (!pv->lobby && pv->pending && !k->told_wait) {
		k->told_wait = true;
		if (conf_policy(part_conf(p))->apps.wait_moderator)
			(void)apps_say(a, part_conf(p), p, "wait-moderator",
				       NULL, NULL);
	}
	else if (keypad_present(p) && !k->announced) {
		entered(a, k);
	}
	return false;
}

static bool gone_from(const struct participant *p)
{
	return !part_in_conf(p) || part_status(p) == PART_DISCONNECTING ||
		part_status(p) == PART_FAILED;
}

/* A change of p's alone (conf_changed_part): p is the only one who may
 * have come or gone */
static void part_changed(struct apps *a, struct participant *p)
{
	struct seen s = {.a = a};
	struct caller *k = caller_find(a, p);

	if (k && gone_from(p)) {
		left(a, k);
		caller_free(k);
		return;
	}
	if (part_in_conf(p))
		(void)seen_h(p, &s);
}

void keypad_conf_changed(struct apps *a, struct conf *c, bool destroyed)
{
	struct seen s = {.a = a};
	struct le *le = a->callers.head;
	struct participant *p = destroyed ? NULL : conf_changed_part(c);

	if (p) {
		part_changed(a, p);
		return;
	}

	/* the callers of c who left */
	while (le) {
		struct caller *k = le->data;

		le = le->next;
		if (part_conf(k->p) != c)
			continue;
		if (destroyed || gone_from(k->p)) {
			if (!destroyed)
				left(a, k);
			caller_free(k);
		}
	}
	if (!destroyed)
		(void)conf_apply_parts(c, seen_h, &s);
}

void keypad_free(struct apps *a)
{
	while (a->callers.head)
		caller_free(a->callers.head->data);
}
