/*
 * The PIN lobby: a caller of a conference whose policy has a PIN (or a
 * moderator PIN) joins in the lobby (conf: part_enter), hearing only the
 * prompts said to it and heard by nobody, until it keys the PIN and
 * pound. The moderator PIN gives the moderator role. Each try has
 * pin_timeout_s (from the end of the prompt, and again from each key);
 * a wrong PIN or none in time is a try, and after pin_tries the caller
 * hears goodbye and the call ends. A moderator can let a caller in
 * without its PIN (approve), or send it away.
 * In the dial-in lobby (the conference named by the setting lobby_user,
 * lobby_only) the digits are a conference's number: the caller's call
 * moves on there (part_move) and keys that conference's PIN there.
 */
#include <errno.h>
#include <string.h>
#include "apps/apps_int.h"
#include "conf/conf.h"
#include "conf/part.h"
#include "util/log.h"


static void pin_timeout(void *arg);

static void pin_wait(struct job *j, int err, void *arg)
{
	struct caller *k = arg;

	(void)j;
	if (err != ECANCELED && !k->leaving)
		tmr_start(&k->pin_tmr, k->a->cfg.pin_timeout_s * 1000ull,
			  pin_timeout, k);
}

static void goodbye_done(struct job *j, int err, void *arg)
{
	struct participant *p = arg;

	(void)j;
	(void)err;
	if (part_in_conf(p))
		part_remove_by(p, "pin");
	mem_deref(p);
}

/* --- the caller's name, said after the tone, for roll call and the
 * entry and exit announcements --- */

#define NAME_SAMPLES (3 * MEDIA_APP_HZ)

static void name_said(struct job *j, int err, void *arg)
{
	struct caller *k = arg;

	k->naming = false;
	if (!err && j->pcm && j->n) {
		apps_pcm_put(k->name);
		k->name = apps_pcm_new(j->pcm, j->n);
	}
	log_info("apps", "msg=\"name recorded\" conf=%s pid=%s ms=%zu",
		 conf_id(part_conf(k->p)), part_id(k->p),
		 k->name ? k->name->n * 1000 / MEDIA_APP_HZ : (size_t)0);
	part_set_lobby(k->p, false);
}

static void name_asked(struct job *j, int err, void *arg)
{
	struct caller *k = arg;

	(void)j;
	if (!part_in_conf(k->p))
		return;
	/* the caller's own voice for three seconds */
	if (err || !apps_job_rec(k->a, part_conf(k->p), k->p, "",
				 MEDIA_REC_WAV, NAME_SAMPLES, name_said, k)) {
		k->naming = false;
		part_set_lobby(k->p, false);
	}
}

static void name_start(struct caller *k)
{
	struct apps_item it[2] = {
		{.kind = APPS_PROMPT, .what = "say-name"},
		{.kind = APPS_TONE, .what = "beep"},
	};

	k->naming = true;
	if (apps_job_play(k->a, part_conf(k->p), k->p, it, 2, name_asked, k,
			  NULL)) {
		k->naming = false;
		part_set_lobby(k->p, false);
	}
}

/* Out of the lobby: the name asked for first, when the policy says so */
static void lobby_leave(struct caller *k)
{
	if (conf_policy(part_conf(k->p))->apps.name && !k->name)
		name_start(k);
	else
		part_set_lobby(k->p, false);
}

void lobby_start(struct caller *k)
{
	struct conf *c = part_conf(k->p);
	const struct policy_apps *pa = &conf_policy(c)->apps;

	k->lobby_started = true;
	if (conf_lobby_only(c)) {          /* the dial-in lobby */
		if (apps_say(k->a, c, k->p, "enter-number", pin_wait, k))
			pin_wait(NULL, 0, k);
		return;
	}
	if (!pa->pin[0] && !pa->moderator_pin[0]) {
		lobby_leave(k);            /* a name only */
		return;
	}
	if (apps_say(k->a, c, k->p, "enter-pin", pin_wait, k))
		pin_wait(NULL, 0, k);
}

/* A wrong PIN, or none in time: another try, or goodbye */
static void pin_failed(struct caller *k, bool timeout)
{
	struct conf *c = part_conf(k->p);

	bool number = conf_lobby_only(c);

	k->digits[0] = '\0';
	if (++k->tries < k->a->cfg.pin_tries) {
		if (apps_say(k->a, c, k->p, number ? "number-wrong" :
			     "pin-wrong", pin_wait, k))
			pin_wait(NULL, 0, k);
		return;
	}
	log_info("apps", "msg=\"%s refused: goodbye\" conf=%s pid=%s "
		 "tries=%u timeout=%s", number ? "number" : "PIN", conf_id(c),
		 part_id(k->p), k->tries, timeout ? "yes" : "no");
	k->leaving = true;
	if (apps_say(k->a, c, k->p, timeout ? "pin-timeout" : number ?
		     "number-goodbye" : "pin-goodbye", goodbye_done,
		     mem_ref(k->p)))
		goodbye_done(NULL, 0, mem_ref(k->p));
}

static void moved_goodbye(struct job *j, int err, void *arg)
{
	struct participant *p = arg;

	(void)j;
	(void)err;
	if (part_in_conf(p))
		part_remove_by(p, "lobby");
	mem_deref(p);
}

/* The dial-in lobby: the number keyed is a conference's id; the caller
 * goes on there (and keys its PIN there, if it has one) */
static void number_check(struct caller *k)
{
	struct conf *c = part_conf(k->p);
	struct conf *to = k->digits[0] ? confs_lookup(k->a->cs, k->digits) :
		NULL;
	int err;

	tmr_cancel(&k->pin_tmr);
	if (!to || to == c || conf_lobby_only(to) || conf_destroyed(to)) {
		pin_failed(k, false);
		return;
	}
	log_info("apps", "msg=\"conference number keyed\" conf=%s pid=%s "
		 "to=%s", conf_id(c), part_id(k->p), conf_id(to));
	k->leaving = true;
	err = part_move(k->p, to);
	if (!err)
		return;            /* (k goes with its participant) */
	log_warn("apps", "msg=\"the caller cannot be moved to its "
		 "conference\" conf=%s pid=%s to=%s err=\"%m\"", conf_id(c),
		 part_id(k->p), conf_id(to), err);
	if (apps_say(k->a, c, k->p, err != EACCES ? "no-move" :
		     conf_policy(to)->locked ? "locked-goodbye" : "no-entry",
		     moved_goodbye, mem_ref(k->p)))
		moved_goodbye(NULL, 0, mem_ref(k->p));
}

static void pin_check(struct caller *k)
{
	const struct policy_apps *pa = &conf_policy(part_conf(k->p))->apps;
	bool mod = pa->moderator_pin[0] &&
		!strcmp(k->digits, pa->moderator_pin);

	tmr_cancel(&k->pin_tmr);
	/* (with a moderator PIN only, others get in with none) */
	if (!mod && strcmp(k->digits, pa->pin)) {
		pin_failed(k, false);
		return;
	}
	log_info("apps", "msg=\"PIN accepted\" conf=%s pid=%s role=%s",
		 conf_id(part_conf(k->p)), part_id(k->p),
		 mod ? "moderator" : part_role(k->p));
	k->digits[0] = '\0';
	if (mod)
		part_set_role(k->p, "moderator");
	lobby_leave(k);
}

static void pin_timeout(void *arg)
{
	struct caller *k = arg;

	if (k->digits[0] && conf_lobby_only(part_conf(k->p)))
		number_check(k);
	else if (k->digits[0])
		pin_check(k);
	else
		pin_failed(k, true);
}

void lobby_digit(struct caller *k, char d)
{
	size_t n = strlen(k->digits);

	if (k->leaving || k->naming)
		return;
	if (d == '#') {
		if (conf_lobby_only(part_conf(k->p)))
			number_check(k);
		else
			pin_check(k);
		return;
	}
	if (d == '*') {                   /* start again */
		k->digits[0] = '\0';
		return;
	}
	if (d < '0' || d > '9')
		return;
	tmr_start(&k->pin_tmr, k->a->cfg.pin_timeout_s * 1000ull,
		  pin_timeout, k);
	k->digits[n] = d;
	k->digits[n + 1] = '\0';
	if (n + 1 == POLICY_PIN_MAX) {
		if (conf_lobby_only(part_conf(k->p)))
			number_check(k);
		else
			pin_check(k);
	}
}

