/*
 * A conference's policy (spec s. 4.2, 5.3): its lifespan, limits and the
 * admission rules, and the per-user entries. Pure data and functions: the
 * document is parsed strictly (a bad field is named, nothing is partly
 * applied), printed back as JSON, and consulted by policy_admit() for
 * every join. The reconciler and the SIP side act on the answer.
 */
#ifndef CAUCUS_POLICY_H
#define CAUCUS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <re.h>

#define POLICY_MAX_RULES 64
#define POLICY_MAX_USERS 256

enum policy_match { POLICY_MATCH_AOR, POLICY_MATCH_DOMAIN,
		    POLICY_MATCH_PATTERN };
enum policy_action { POLICY_ALLOW, POLICY_DENY, POLICY_MODERATE,
		     POLICY_AUTHENTICATE };

/* SRTP in a conference's calls: taken when offered (optional, the
 * default), refused unless offered (required), refused when offered
 * (off) */
enum policy_srtp { POLICY_SRTP_OPTIONAL, POLICY_SRTP_REQUIRED,
		   POLICY_SRTP_OFF };

/* Roles as bits, for access lists */
enum policy_role_bit {
	POLICY_ROLE_ADMINISTRATOR = 1, POLICY_ROLE_MODERATOR = 2,
	POLICY_ROLE_PARTICIPANT = 4, POLICY_ROLE_LISTENER = 8,
};

/* The parts of a policy that access lists name (spec s. 5.3: membership,
 * media and anonymity can have different moderators). CONTROL is the
 * access lists themselves: administrators only, never moderated. */
enum policy_part {
	POLICY_PART_LIFESPAN, POLICY_PART_MEMBERSHIP, POLICY_PART_PRIVACY,
	POLICY_PART_MEDIA, POLICY_NPARTS,
	POLICY_PART_CONTROL = POLICY_NPARTS,
};

/* Who may change a part directly, who may only ask (the change waits for
 * a moderator), and who moderates those requests; role bit sets */
struct policy_part_acl {
	uint8_t direct, moderated, moderators;
};

struct policy_rule {
	enum policy_match match;
	char value[128];          /* AoR, domain, or pattern with * and ? */
	enum policy_action action;
};

/* Who mixes what an endpoint hears (spec s. 6.4, docs/media-policy.md):
 * the focus, for everyone (the default), or, in a distributed
 * conference, each endpoint that says it mixes for itself (SDP
 * a=x-caucus-mixing:self): it gets the K loudest talkers as separate RTP
 * streams. A user entry may force its endpoint either way (default: as
 * the conference says). Part of the media part. */
enum policy_mixing { POLICY_MIXING_FOCUS, POLICY_MIXING_DISTRIBUTED };
enum policy_user_mixing { POLICY_USER_MIXING_DEFAULT,
			  POLICY_USER_MIXING_FOCUS, POLICY_USER_MIXING_SELF };

/* Distributed mixing over a multicast group (spec s. 6.4's "or a
 * multicast group where the network has one"; policy_mcast.c,
 * docs/media-policy.md): the talkers self-mixing endpoints hear are sent
 * once to the group instead of once per endpoint. group: "" (off) or
 * "239.255.1.2:5004" / "[ff05::1:3]:5004" as the document gave it
 * (checked: a multicast address, an even port 1024..65534); ttl: the
 * packets' TTL (hop limit), 1 by default (the local network); codec:
 * the one codec the group carries (PCMU by default; endpoints that
 * negotiated another keep unicast). Part of the media part. */
struct policy_mcast {
	char group[64];
	uint8_t ttl;
	char codec[8];            /* PCMU, PCMA, G722, opus */
};

struct policy_user {
	char aor[128];
	char role[16];            /* administrator, moderator, participant,
				   * listener */
	bool anonymous, hidden, muted;   /* muted: on entry, and when the
					  * entry's flag changes */
	bool invite;              /* must be present: the focus calls them
				   * when the entry says so */
	uint8_t mixing;           /* enum policy_user_mixing */
};

/* Phone callers' applications (policy_apps.c): the PIN lobby, the
 * prompts' language, the built-in announcements, recording, and the
 * keypad table */
#define POLICY_PIN_MAX 16
#define POLICY_KEYS_MAX 32
enum policy_announce { POLICY_ANNOUNCE_OFF, POLICY_ANNOUNCE_TONE,
		       POLICY_ANNOUNCE_NAME };
/* What a keypad sequence does (the words in policy_key_names) */
enum policy_key_action {
	POLICY_KEY_MUTE = 1, POLICY_KEY_HAND, POLICY_KEY_ROLL_CALL,
	POLICY_KEY_COUNT, POLICY_KEY_LISTEN_UP, POLICY_KEY_LISTEN_DOWN,
	POLICY_KEY_TALK_UP, POLICY_KEY_TALK_DOWN, POLICY_KEY_OPERATOR,
	POLICY_KEY_HELP, POLICY_KEY_MAIN,
	/* moderators only from here on */
	POLICY_KEY_LOCK, POLICY_KEY_MUTE_ALL, POLICY_KEY_UNMUTE_ALL,
	POLICY_KEY_EJECT_LAST, POLICY_KEY_RECORD, POLICY_KEY_EXTEND,
	POLICY_KEY_FLOOR, POLICY_KEY_FLOOR_TAKE, POLICY_KEY_WHISPER,
	POLICY_KEY_VISIT,
	POLICY_KEY_NACTIONS
};
#define POLICY_KEY_FIRST_MODERATOR POLICY_KEY_LOCK
extern const char *const policy_key_names[POLICY_KEY_NACTIONS];
struct policy_key {
	char seq[4];              /* one to three of 0-9 * # A-D */
	uint8_t action;           /* enum policy_key_action */
};
struct policy_apps {
	char pin[POLICY_PIN_MAX + 1];            /* digits; "": none */
	char moderator_pin[POLICY_PIN_MAX + 1];  /* gives the role */
	char language[16];        /* of the prompts ("en") */
	uint8_t entry, exit;      /* enum policy_announce */
	bool only_participant;    /* "you are the only participant" */
	bool count;               /* the participant count on entry */
	bool locked;              /* "the conference is locked" (lock and
				   * unlock, and to a caller refused) */
	bool recording;           /* "recording has started" / stopped */
	bool wait_moderator;      /* "waiting for the moderator" */
	bool name;                /* record each caller's name at entry */
	bool record_auto;         /* recorded from the first join */
	uint8_t record_format;    /* media.h's enum media_rec_format */
	struct policy_key keys[POLICY_KEYS_MAX];
	size_t nkeys;
};

struct policy {
	int64_t start, end;       /* unix seconds; 0: none */
	bool destroy_on_last_leave;
	uint32_t idle_timeout_s;  /* destroy after this long empty; 0: never */
	bool allow_unauthenticated;   /* callers without digest credentials
				       * (a stored user must always prove
				       * who they are) */
	uint32_t max_participants;    /* 0: no limit */
	bool locked;              /* nobody new joins */
	enum policy_action default_action;
	struct policy_rule rules[POLICY_MAX_RULES];
	size_t nrules;
	struct policy_user users[POLICY_MAX_USERS];
	size_t nusers;
	struct policy_part_acl acl[POLICY_NPARTS];
	uint32_t change_ttl_s;    /* how long a requested change waits */
	/* what users may set for themselves before joining */
	uint8_t self_roles;       /* role bits they may request */
	bool self_anonymous, self_hidden;
	bool reveal_anonymous;    /* moderators see who anonymous people are
				   * (false: only server administrators) */
	enum policy_srtp srtp;    /* media encryption of the calls */
	enum policy_mixing mixing;
	struct policy_mcast mcast;
	struct policy_apps apps;
};

/* The open conference: everyone may join, no limits */
void policy_default(struct policy *p);
/* A policy document (JSON object) into *p. EINVAL with the field and
 * why in detail; *p is untouched then. With base, fields the document
 * does not name keep base's values (PATCH); without, they get defaults
 * (PUT). */
int  policy_parse(struct policy *p, const struct policy *base,
		  const char *json, size_t len, char *detail, size_t dsz);
/* The policy as a JSON document (re_printf %H) */
int  policy_print(struct re_printf *pf, const struct policy *p);

/* What a join gets */
struct policy_admission {
	bool allowed;
	bool pending;             /* allowed, but waits for a moderator */
	bool need_auth;           /* refused until the caller authenticates
				   * (scode 401) */
	uint16_t scode;           /* when refused: 403 or 486 */
	const char *reason;       /* when refused: why, for the reason phrase */
	const struct policy_user *user;   /* the per-user entry, or NULL */
	const char *role;
};
/* May aor join now, with `present` people in the conference? The first
 * rule that matches decides; when none does, a per-user entry admits its
 * user, else default_action decides. Moderators and administrators (by
 * entry) pass the lock and the limit; the lifespan and deny rules hold
 * for everyone. */
void policy_admit(const struct policy *p, const char *aor, bool authed,
		  int64_t now, unsigned present, struct policy_admission *a);
/* Must aor authenticate before anything else is decided? (the first
 * matching rule says authenticate, or unauthenticated callers are not
 * allowed) */
bool policy_needs_auth(const struct policy *p, const char *aor);
/* Is aor one of the conference's people at all: named by an entry (and
 * not denied by a rule before it), or not denied by the rules? (The lock,
 * the limit and the lifespan decide when they may join, not whether they
 * belong.) */
bool policy_member(const struct policy *p, const char *aor);
/* The role aor has in the conference: its entry's, else participant */
const char *policy_role_of(const struct policy *p, const char *aor);
/* May aor's endpoint mix for itself, when it says it does? (its entry's
 * mixing, else the conference's); does the policy let anyone? */
bool policy_self_mixing(const struct policy *p, const char *aor);
bool policy_mixing_any(const struct policy *p);
/* The multicast group (policy_mcast.c): defaults; the members
 * "mixing_multicast", "mixing_multicast_ttl", "mixing_multicast_codec"
 * parsed (EINVAL naming the field), printed (after a comma, without
 * braces); the group as an address (false: none) */
void policy_mcast_default(struct policy_mcast *m);
bool policy_mcast_key(const char *key);
int  policy_mcast_parse(struct policy *p, const struct odict_entry *e,
			char *detail, size_t dsz);
int  policy_mcast_print(struct re_printf *pf, const struct policy *p);
bool policy_mcast_group(const struct policy *p, struct sa *group);

/* Access lists (policy_acl.c) */
int  policy_role_bit(const char *role);           /* 0: no such role */
/* The parts in which a and b differ, as bits (1 << enum policy_part) */
unsigned policy_diff(const struct policy *a, const struct policy *b);
enum policy_verdict { POLICY_CHANGE_DIRECT, POLICY_CHANGE_MODERATED,
		      POLICY_CHANGE_FORBIDDEN };
/* May someone with role bits `role` change `parts` of p? Forbidden names
 * the first part refused in *why. */
enum policy_verdict policy_may_change(const struct policy *p, unsigned role,
				      unsigned parts, const char **why);
/* May role approve or reject a requested change of parts? */
bool policy_may_moderate(const struct policy *p, unsigned role,
			 unsigned parts);
const char *policy_part_name(enum policy_part part);
/* The defaults of the access lists and self service */
void policy_acl_default(struct policy *p);
/* Parse/print the "changes" and "self_service" members (policy.c calls) */
struct odict_entry;
int  policy_acl_parse(struct policy *p, const struct odict_entry *e,
		      char *detail, size_t dsz);
int  policy_self_parse(struct policy *p, const struct odict_entry *e,
		       char *detail, size_t dsz);
int  policy_acl_print(struct re_printf *pf, const struct policy *p);
/* The applications' part (policy_apps.c): defaults (the keypad table
 * of docs/keypad.md), the "pin", "moderator_pin", "language",
 * "announcements", "recording" and "keypad" members, printed as those
 * members (without braces, after a comma); the keypad action of seq
 * (0: none; actions from POLICY_KEY_FIRST_MODERATOR on are for
 * moderators, which the keypad checks) */
void policy_apps_default(struct policy_apps *a);
int  policy_apps_parse(struct policy *p, const struct odict_entry *e,
		       char *detail, size_t dsz);
bool policy_apps_key(const char *key);
int  policy_apps_print(struct re_printf *pf, const struct policy *p);
int  policy_apps_action(const struct policy_apps *a, const char *seq);
/* true when some sequence of the table starts with prefix */
bool policy_apps_prefix(const struct policy_apps *a, const char *prefix);
/* The per-user entry of aor (AoRs compare case-insensitively), or NULL */
const struct policy_user *policy_user_find(const struct policy *p,
					   const char *aor);
/* The entry of aor in p, made (a participant) when there is none; NULL
 * when p lists as many users as it can, or aor is too long for one */
struct policy_user *policy_user_get(struct policy *p, const char *aor);
/* Glob match with * and ?, case-insensitive (exposed for the tests) */
bool policy_glob(const char *pattern, const char *s);

#endif
