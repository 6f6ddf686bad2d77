/*
 * The moderators' keypad commands (docs/keypad.md): lock, mute all,
 * eject, record, extend, the floor, whisper and visiting the sidebars.
 * keypad.c has checked the role. Signalling thread.
 */
#include <stdlib.h>
#include <string.h>
#include "apps/apps_int.h"
#include "conf/conf.h"
#include "conf/part.h"
#include "conf/policy.h"

#define EXTEND_S 600

struct mute_all {
	bool mute;
};

static bool mute_h(struct participant *p, void *arg)
{
	const struct mute_all *m = arg;
	struct part_settings s = *part_settings(p);

	if (!strcmp(part_role(p), "moderator") ||
	    !strcmp(part_role(p), "administrator"))
		return false;
	s.muted = m->mute;
	part_update_settings(p, &s);
	return false;
}

static bool latest_h(struct participant *p, void *arg)
{
	struct participant **best = arg;

	if (part_status(p) == PART_CONNECTED && !part_privacy(p)->lobby &&
	    strcmp(part_role(p), "moderator") &&
	    strcmp(part_role(p), "administrator") &&
	    (!*best || part_joined_at(p) > part_joined_at(*best) ||
	     (part_joined_at(p) == part_joined_at(*best) &&
	      atoi(part_id(p)) > atoi(part_id(*best)))))
		*best = p;
	return false;
}

/* The participant whose hand went up first (NULL: no hand is up) */
static bool first_hand_h(struct participant *p, void *arg)
{
	struct participant **best = arg;

	if (part_hand(p) && part_in_conf(p) &&
	    (!*best || part_hand_since(p) < part_hand_since(*best)))
		*best = p;
	return false;
}

static bool floor_take_h(struct participant *p, void *arg)
{
	(void)arg;
	part_set_floor(p, false);
	return false;
}

struct vnext {
	const struct sidebar *at;
	bool passed;
};

/* The first sidebar after v->at (any, from the main conference) */
static bool visit_next_h(struct sidebar *sb, void *arg)
{
	struct vnext *v = arg;

	if (v->passed)
		return true;
	v->passed = sb == v->at;
	return false;
}

/* A moderator's visit: the next sidebar after the one it is in (the
 * first from the main conference), the main conference after the last */
static void visit(struct apps *a, struct participant *p)
{
	struct conf *c = part_conf(p);
	struct sidebar *at = part_sidebar(p), *to = NULL;
	struct vnext v = {.at = at, .passed = !at};
	char text[160];

	if (!conf_sidebar_count(c)) {
		(void)apps_say(a, c, p, "no-sidebars", NULL, NULL);
		return;
	}
	to = conf_apply_sidebars(c, visit_next_h, &v);
	if (part_set_sidebar(p, to))
		return;
	if (!to) {
		(void)apps_say(a, c, p, "back-in-main", NULL, NULL);
		return;
	}
	re_snprintf(text, sizeof(text), "You are in %s.",
		    sidebar_display_text(to)[0] ?
		    sidebar_display_text(to) : sidebar_id(to));
	(void)apps_say_text(a, c, p, text);
}

void keypad_moderator(struct caller *k, int act)
{
	struct apps *a = k->a;
	struct participant *p = k->p;
	struct conf *c = part_conf(p);
	struct policy np = *conf_policy(c);
	struct mute_all m;
	struct participant *last = NULL;
	char rid[64];

	switch (act) {
	case POLICY_KEY_LOCK:
		np.locked = !np.locked;
		if (conf_set_policy(c, &np))
			break;
		if (np.apps.locked)
			(void)apps_say(a, c, p, np.locked ? "locked" :
				       "unlocked", NULL, NULL);
		break;
	case POLICY_KEY_MUTE_ALL:
	case POLICY_KEY_UNMUTE_ALL:
		m.mute = act == POLICY_KEY_MUTE_ALL;
		(void)conf_apply_parts(c, mute_h, &m);
		(void)apps_say(a, c, NULL, m.mute ? "all-muted" :
			       "all-unmuted", NULL, NULL);
		break;
	case POLICY_KEY_EJECT_LAST:
		(void)conf_apply_parts(c, latest_h, &last);
		if (last && last != p) {
			part_remove_by(last, part_uri(p));
			(void)apps_say(a, c, p, "ejected", NULL, NULL);
		}
		else {
			(void)apps_say(a, c, p, "nobody-to-eject", NULL,
				       NULL);
		}
		break;
	case POLICY_KEY_RECORD:
		if (record_on(a, c))
			(void)apps_record_stop(a, c, NULL);
		else
			(void)apps_record_start(a, c, NULL, false, rid,
						 sizeof(rid));
		break;
	case POLICY_KEY_FLOOR:
		(void)conf_apply_parts(c, first_hand_h, &last);
		if (!last) {
			(void)apps_say(a, c, p, "no-hands", NULL, NULL);
			break;
		}
		part_set_floor(last, true);
		(void)apps_say(a, c, last, "floor-given", NULL, NULL);
		break;
	case POLICY_KEY_FLOOR_TAKE:
		(void)conf_apply_parts(c, floor_take_h, NULL);
		(void)apps_say(a, c, p, "floor-taken", NULL, NULL);
		break;
	case POLICY_KEY_WHISPER:
		/* barge out, or in to the first raised hand */
		if (part_whisper(p, NULL)) {
			(void)part_set_whisper(p, NULL, PART_LISTEN_ROOM);
			(void)apps_say(a, c, p, "whisper-off", NULL, NULL);
			break;
		}
		(void)conf_apply_parts(c, first_hand_h, &last);
		if (!last || last == p) {
			(void)apps_say(a, c, p, "no-hands", NULL, NULL);
			break;
		}
		if (part_set_whisper(p, last, PART_LISTEN_ROOM))
			break;
		(void)apps_say(a, c, p, "whisper-on", NULL, NULL);
		(void)apps_say(a, c, last, "whisper-to-you", NULL, NULL);
		break;
	case POLICY_KEY_VISIT:
		visit(a, p);
		break;
	case POLICY_KEY_EXTEND:
		if (!np.end) {
			(void)apps_say(a, c, p, "no-end", NULL, NULL);
			break;
		}
		np.end += EXTEND_S;
		if (!conf_set_policy(c, &np))
			(void)apps_say(a, c, NULL, "extended", NULL, NULL);
		break;
	}
}

