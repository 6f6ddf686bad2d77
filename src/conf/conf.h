/*
 * Conferences and their rosters: the live state of the focus, and the
 * reconciler that turns differences between what should be (the policy:
 * the conference exists, this participant should be dialled, that one
 * removed) and what is (dialogs) into actions. Every entry point (SIP, the
 * API, timers) changes state here and calls conf_reconcile(); nothing else
 * decides who is in a conference. The actions themselves (dial, hang up,
 * re-apply media settings) are carried out by the SIP module through
 * struct conf_ops. Signalling thread only.
 */
#ifndef CAUCUS_CONF_H
#define CAUCUS_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <re.h>
#include "conf/part.h"

struct confs;
struct conf;
struct participant;
struct conf_msg;
struct store;

struct conf_ops {
	/* Start a dial-out to p's URI. Returns 0 or an errno; on error the
	 * participant is marked failed. */
	int  (*dial)(struct participant *p, void *arg);
	/* End p's call (BYE, or CANCEL while dialling). Must lead to
	 * part_gone() eventually. */
	void (*hangup)(struct participant *p, void *arg);
	/* p's media settings changed: re-apply them to its mixer stream. */
	void (*media)(struct participant *p, void *arg);
	/* The conference's media changed: offer p the new media
	 * (re-INVITE). */
	void (*reoffer)(struct participant *p, void *arg);
	/* Deliver an instant message to p (page mode). 0: sent. */
	int  (*message)(struct participant *p, const struct conf_msg *m,
			void *arg);
	/* Move p's call into conference to (the dial-in lobby): a new
	 * participant there carries the call, p leaves. 0, or an errno
	 * (p stays where it is) */
	int  (*move)(struct participant *p, struct conf *to, void *arg);
	/* The conference's video (who is shown, its mode or layout)
	 * changed: re-apply it to its video room (NULL: no video) */
	void (*video)(struct conf *c, void *arg);
	/* Steer p's camera (H.224 to its camera control stream): 0, ENOENT
	 * when it has none (NULL: no video) */
	int  (*camera)(struct participant *p, const char *action, unsigned n,
		       void *arg);
};

/* An instant message to the conference (from a participant or from the
 * API), kept in a short history. */
struct conf_msg {
	struct le le;
	uint32_t id;
	int64_t at;               /* unix seconds */
	char *from;               /* sender's URI as others may see it
				   * (anonymous senders: an anonymous URI) */
	char *display;            /* NULL: none (anonymous, or not given) */
	char *ctype;              /* of text, e.g. text/plain */
	char *text;               /* NUL-terminated; len bytes */
	size_t len;
	bool cpim;                /* came wrapped in message/cpim */
	const struct participant *sender;  /* during the fan-out only */
};
#define CONF_MSGS_MAX 100
#define CONF_ANON_URI "sip:anonymous@anonymous.invalid"

/* Records a message and sends it to every participant in the conference
 * but its sender (sender NULL: from the conference itself). *sentp: how
 * many it went to. */
int  conf_message(struct conf *c, struct participant *sender,
		  const char *ctype, const char *text, size_t len, bool cpim,
		  unsigned *sentp);
/* The recent messages, oldest first (struct conf_msg) */
const struct list *conf_messages(const struct conf *c);

/* Called when a conference is created, after every change of its state
 * (after the version went up), and once more with destroyed set when it
 * is destroyed. */
typedef void (conf_change_h)(struct conf *c, bool destroyed, void *arg);

struct confs_cfg {
	const char *domain;      /* host[:port] of conference URIs */
	const char *http_base;   /* http://host:port of the policy URIs */
	const char *node;        /* this node's name in a cluster
				  * (conf_remote.h); NULL or "": not
				  * clustered */
};

int  confs_alloc(struct confs **csp, const struct confs_cfg *cfg,
		 struct store *store);
/* Loads every conference from the store. */
int  confs_load(struct confs *cs);
void confs_set_ops(struct confs *cs, const struct conf_ops *ops, void *arg);
/* This node's name in a cluster; "" when not clustered. conf_node: the
 * same, of the registry c is in (the node serving c's own participants) */
const char *confs_node(const struct confs *cs);
const char *conf_node(const struct conf *c);
/* Up to CONF_MAX_OBSERVERS modules observe changes (the notifier, the
 * API's event stream, the focus, the applications, the cluster). */
#define CONF_MAX_OBSERVERS 8
int  confs_add_change_handler(struct confs *cs, conf_change_h *h, void *arg);
void confs_remove_change_handler(struct confs *cs, conf_change_h *h,
				 void *arg);
/* A keypad digit (DTMF) from a participant, whichever way it came (RFC
 * 4733 event, SIP INFO, in-band tone): the SIP side reports it with
 * part_dtmf(), one module (the applications', its keypad and PIN lobby)
 * takes it */
typedef void (conf_dtmf_h)(struct participant *p, char digit, void *arg);
void confs_set_dtmf_handler(struct confs *cs, conf_dtmf_h *h, void *arg);
/* A participant's audio level (part_level), five times a second while
 * its room's levels are wanted: one module (the API's event stream)
 * takes it */
typedef void (conf_level_h)(struct participant *p, uint8_t level_dbov,
			    void *arg);
void confs_set_level_handler(struct confs *cs, conf_level_h *h, void *arg);
struct conf *confs_lookup(const struct confs *cs, const char *id);
typedef bool (conf_apply_h)(struct conf *c, void *arg);
struct conf *confs_apply(const struct confs *cs, conf_apply_h *h, void *arg);
unsigned confs_count(const struct confs *cs);
/* Hangs up everyone everywhere (shutdown); the store is not touched. */
void confs_hangup_all(struct confs *cs);
unsigned confs_participant_count(const struct confs *cs);

/* id may be NULL for a random one. EEXIST when taken, EINVAL for a bad
 * id, EIO when the store failed (nothing is created then). */
int  conf_create(struct confs *cs, const char *id, const char *display_text,
		 struct conf **cp);
/* The conference's policy (conf/policy.h): read it, replace it (stored
 * first; EIO when the store failed, nothing changed then), its ETag (a
 * hash of the document, quoted). Joins ask conf_admit(). */
struct policy;
struct policy_admission;
const struct policy *conf_policy(const struct conf *c);
int  conf_set_policy(struct conf *c, const struct policy *p);
void conf_policy_etag(const struct conf *c, char *buf, size_t sz);
void conf_admit(struct conf *c, const char *aor, bool authed,
		struct policy_admission *a);
/* people in the conference or on their way (not failed, not leaving) */
unsigned conf_present_count(const struct conf *c);
/* A conference made by the factory URI (RFC 4579 s. 5.4): a random id,
 * not stored, destroyed when its last participant leaves. */
int  conf_create_adhoc(struct confs *cs, const char *display_text,
		       struct conf **cp);
bool conf_adhoc(const struct conf *c);
/* The conference's audio as participants see it (RFC 4575 available-media
 * status): "sendrecv" (talk and listen, the default), "recvonly" (listen
 * only: a lecture), "sendonly" (talk only), "inactive", or "none" (no
 * audio stream: offered with port 0). Setting it stores it and re-INVITEs
 * everyone. EINVAL for another word, EIO when the store failed. */
const char *conf_audio(const struct conf *c);
int  conf_set_audio(struct conf *c, const char *status);
/* The audio and the video status at once (conf_video.h), stored
 * together, one re-INVITE each */
int  conf_set_media(struct conf *c, const char *audio, const char *video);
/* How c is mixed: how many of the loudest talkers at once (0: the
 * server's mixer_max_speakers) and at what rate, 8000, 16000 or 48000 Hz
 * (0: the server's mixer_rate). Setting them stores them and carries them
 * to the mixer (no re-INVITE: each codec keeps its own rate); EINVAL above
 * CONF_MAX_SPEAKERS or for another rate, EIO when the store failed */
#define CONF_MAX_SPEAKERS 16
/* The dial-in lobby (the setting lobby_user): a conference whose
 * callers all wait in the lobby to key a conference's number and are
 * then moved there (part_move). Not stored: set at each start. */
void conf_set_lobby_only(struct conf *c, bool on);
bool conf_lobby_only(const struct conf *c);
/* The conference is being recorded: the recording's URI (where the API
 * serves it; the RFC 4575 document lists it as a service URI with
 * purpose "recording"), or NULL when not. A change is a new version. */
int  conf_set_recording(struct conf *c, const char *uri);
const char *conf_recording(const struct conf *c);
unsigned conf_max_speakers(const struct conf *c);
unsigned conf_mix_rate(const struct conf *c);
/* The rate its room mixes at now, as the mixer last reported it with its
 * participants' stats (the room follows its callers below the ceiling:
 * mixer_cfg.mix_hz); 0: nothing reported (no media here) */
unsigned conf_mix_hz_now(const struct conf *c);
int  conf_set_mix(struct conf *c, unsigned max_speakers, unsigned rate_hz);
/* Deletes from the store, hangs up everyone; the URI answers 404 at once. */
int  conf_destroy(struct conf *c);
bool conf_id_valid(const char *id);

const char *conf_id(const struct conf *c);
const char *conf_uri(const struct conf *c);
const char *conf_policy_uri(const struct conf *c);
const char *conf_display_text(const struct conf *c);
int64_t conf_created_at(const struct conf *c);
/* Who made the conference: the AoR of the INVITE to the factory URI
 * (ad-hoc), the API user's AoR or "admin" (the admin token); NULL when
 * not known (made before this was kept). Stored with the settings (an
 * ad-hoc conference is not stored). Setting it is a new version when it
 * changed. 0, ENOMEM */
const char *conf_created_by(const struct conf *c);
int  conf_set_created_by(struct conf *c, const char *by);
uint32_t conf_room(const struct conf *c);
uint32_t conf_version(const struct conf *c);
/* During a change's observers: the participant the change was of alone
 * (joined, left, its status, privacy or settings), or NULL when it may be
 * of others too (then look at everyone) */
struct participant *conf_changed_part(const struct conf *c);
unsigned conf_participant_count(const struct conf *c);
bool conf_destroyed(const struct conf *c);
typedef bool (part_apply_h)(struct participant *p, void *arg);
struct participant *conf_apply_parts(const struct conf *c, part_apply_h *h,
				     void *arg);
struct participant *conf_find_part(const struct conf *c, const char *pid);
/* The first participant with that AoR; live: only one whose call is up
 * (connected or on hold) */
struct participant *conf_find_uri(const struct conf *c, const char *uri,
				  bool live);
void conf_reconcile(struct conf *c);

/*
 * The media policy (conf/mediapol.h): read it, replace it (stored first;
 * EIO when the store failed, nothing changed then), its ETag. A change
 * is a new version and reaches the mixer on its next tick.
 */
struct mediapol;
const struct mediapol *conf_mediapol(const struct conf *c);
int  conf_set_mediapol(struct conf *c, const struct mediapol *mp);
void conf_mediapol_etag(const struct conf *c, char *buf, size_t sz);

/*
 * Sidebars (spec s. 5.6): a conference within the conference, with a URI
 * of its own that the same focus answers (sip:<conf>+<sidebar>@domain,
 * an alias), its own display text and its own policy (how its members
 * hear the main conference). Members of the main conference move in over
 * their existing dialog (part_set_sidebar: a virtual connection); a call
 * to the sidebar's URI joins the conference straight into it. Members
 * hear each other at full level, the main conference in the background
 * (or not at all), and are heard only in the sidebar; the main
 * conference does not hear them. Sidebars are stored with the
 * conference; membership is live.
 */
struct sidebar;
#define CONF_MAX_SIDEBARS 32
#define SIDEBAR_ID_MAX 32
struct sidebar_cfg {
	const char *id;           /* NULL: s1, s2, ... (conf_id_valid's
				   * characters, at most SIDEBAR_ID_MAX) */
	const char *display_text; /* NULL: none */
	bool bg;                  /* members hear the main conference */
	double bg_db;             /* at this gain (MEDIAPOL_GAIN_*_DB) */
	bool by_val;              /* the main conference's document lists
				   * its members (sidebars-by-val); false:
				   * only its URI (sidebars-by-ref) */
	uint32_t breakout_s;      /* a breakout room: ends (members back in
				   * the main conference) after this long;
				   * 0: lasts until deleted */
};
/* A sidebar with cfg's settings (the media policy's background gain is
 * the usual cfg->bg_db). EEXIST: the id is taken; EINVAL: a bad id or
 * gain; ENOSPC: CONF_MAX_SIDEBARS; EIO: the store failed (nothing made) */
int  conf_sidebar_add(struct conf *c, const struct sidebar_cfg *cfg,
		      struct sidebar **sbp);
/* Changes its display text, background and listing (cfg->id and
 * breakout_s are ignored) */
int  conf_sidebar_update(struct sidebar *sb, const struct sidebar_cfg *cfg);
/* Ends it: its members go back to the main conference (same dialogs);
 * callers who dialled its URI too */
int  conf_sidebar_remove(struct sidebar *sb);
struct sidebar *conf_sidebar_find(const struct conf *c, const char *id);
typedef bool (sidebar_apply_h)(struct sidebar *sb, void *arg);
struct sidebar *conf_apply_sidebars(const struct conf *c,
				    sidebar_apply_h *h, void *arg);
unsigned conf_sidebar_count(const struct conf *c);
const char *sidebar_id(const struct sidebar *sb);
const char *sidebar_uri(const struct sidebar *sb);
const char *sidebar_display_text(const struct sidebar *sb);
struct conf *sidebar_conf(const struct sidebar *sb);
/* how its members hear the main conference: false: not at all */
bool sidebar_bg(const struct sidebar *sb, double *db);
bool sidebar_by_val(const struct sidebar *sb);
/* its number in the conference (1, 2, ...: the mixer's group) */
unsigned sidebar_index(const struct sidebar *sb);
/* a breakout room (conf_breakout_start made it), and when it ends (unix
 * seconds; 0: not a breakout, or no time limit) */
bool sidebar_breakout(const struct sidebar *sb);
int64_t sidebar_ends_at(const struct sidebar *sb);
unsigned sidebar_member_count(const struct sidebar *sb);

/*
 * Breakouts: the conference's participants (those connected, not
 * pending, moderators and administrators staying in the main conference
 * unless listed) split into n sidebars "Breakout 1".."n", by lists of
 * participant ids (lists[i] for room i, NULL-terminated each) or round
 * robin (lists NULL); after duration_s (0: until ended) everyone comes
 * back, told so by an announcement. EBUSY: breakouts already run;
 * EINVAL: n is 0 or over CONF_MAX_SIDEBARS less the sidebars there are,
 * or a list names someone not there.
 */
int  conf_breakout_start(struct conf *c, unsigned n,
			 const char *const *const *lists,
			 uint32_t duration_s);
/* Ends them now: everyone back, the breakout sidebars removed */
int  conf_breakout_end(struct conf *c);
bool conf_breakout_active(const struct conf *c);
/* The applications' module is told when breakouts end (to announce it),
 * and when someone enters a sidebar by keypad */
typedef void (conf_breakout_h)(struct conf *c, void *arg);
void confs_set_breakout_handler(struct confs *cs, conf_breakout_h *h,
				void *arg);

/* In a cluster, a conference left empty (destroy_on_last_leave, ad-hoc,
 * idle_timeout_s) is ended by one node only, its owner: h says whether
 * this node may end c (NULL, the default: it may). Empty means empty on
 * every node (conf_remote.h). */
typedef bool (conf_end_gate_h)(const struct conf *c, void *arg);
void confs_set_end_gate(struct confs *cs, conf_end_gate_h *h, void *arg);
/* Ask again, from the loop, whether c is empty and may end (the gate's
 * answer changed) */
void conf_empty_check(struct conf *c);

/* The store changed under us (another node of a cluster made, changed
 * or deleted conference id; conf_sync.c): the conference is made here
 * when new, its settings applied through the setters when they differ
 * (nothing written back, no invitation dialled: the node that made the
 * change does that), ended here when gone from the store. 0, ENOMEM,
 * EIO */
int  confs_sync(struct confs *cs, const char *id);
/* The same for every conference (the change channel was lost) */
int  confs_sync_all(struct confs *cs);

/* A request URI's user part (a conference id, or <conf>+<sidebar>):
 * the conference and the sidebar (NULL: the main conference) */
struct conf *confs_lookup_user(const struct confs *cs, const char *user,
			       struct sidebar **sbp);


#endif
