/* Private to the conf module: the objects behind conf.h's and part.h's
 * handles, for conf.c (conferences, roster, reconciler), part.c
 * (participants and their setters), conf_policy.c, conf_media.c and
 * conf_msg.c. Only these files write the fields; everyone else goes
 * through the setters. Signalling thread only. */
#ifndef CAUCUS_CONF_INT_H
#define CAUCUS_CONF_INT_H

#include "conf/conf.h"
#include "conf/conf_remote.h"
#include "conf/conf_video.h"
#include "conf/floor.h"
#include "conf/mediapol.h"
#include "conf/policy.h"

struct confs {
	struct list confl;
	struct store *store;
	char *domain;
	char *http_base;
	const struct conf_ops *ops;
	void *ops_arg;
	struct {
		conf_change_h *h;
		void *arg;
	} obs[CONF_MAX_OBSERVERS];
	conf_dtmf_h *dtmf_h;          /* keypad digits (part_dtmf) */
	void *dtmf_arg;
	conf_level_h *level_h;        /* audio levels (part_level) */
	void *level_arg;
	conf_breakout_h *breakout_h;  /* breakouts ended (sidebar.c) */
	void *breakout_arg;
	floor_change_h *floor_h;      /* a floor request changed (floor.c) */
	void *floor_arg;
	uint32_t next_room;
	conf_end_gate_h *end_gate;    /* may an empty conference end here
				       * (the cluster: its owner only) */
	void *end_gate_arg;
	bool syncing;                 /* applying what the store says
				       * (conf_sync.c): nothing written
				       * back, no invitations dialled */
	char *node;                   /* this node's name in a cluster
				       * (NULL: not clustered;
				       * conf_remote.c) */
};

struct conf {
	struct le le;
	struct confs *cs;
	char *id;
	char *uri;
	char *policy_uri;
	char *display_text;
	int64_t created_at;
	char *created_by;             /* who made it (NULL: not known) */
	struct list parts;
	uint32_t next_pid;
	uint32_t room;
	uint32_t version;
	bool destroyed;
	bool reconciling;
	bool again;
	bool adhoc;                   /* made by the factory URI: not stored,
				       * destroyed when the last one leaves */
	struct policy *policy;        /* never NULL */
	struct tmr end_tmr;           /* destroys at the policy's end */
	struct tmr idle_tmr;          /* destroys after idle_timeout_s empty */
	struct tmr empty_tmr;         /* the emptiness check after other
				       * nodes' shares changed */
	uint8_t max_speakers;         /* mixed at once; 0: the server's */
	uint32_t mix_rate;            /* Hz; 0: the server's */
	char audio[12];               /* conference media: the audio status
				       * as participants see it, or "none" */
	bool lobby_only;              /* the dial-in lobby */
	char *recording;              /* its URI while recorded (NULL:
				       * not) */
	struct list msgs;             /* struct conf_msg, oldest first */
	uint32_t next_msg;
	struct mediapol *mediapol;    /* never NULL */
	struct list sidebars;         /* struct sidebar, by creation */
	uint32_t next_sidebar;        /* for ids s1, s2, ... */
	struct tmr breakout_tmr;      /* brings everyone back */
	bool breakout;                /* breakouts run */
	struct floor_policy floor;    /* the audio floor's (floor.c) */
	struct list floor_reqs;       /* struct floor_request, not ended,
				       * in the floor's order */
	uint16_t next_floor_req;
	/* video (conf_video.c): the settings, who is shown (pids; "":
	 * nobody), since when, who was before (most recent first), who is
	 * pinned, the detector's timer, and a change for the forwarder
	 * (the reconciler calls ops->video) */
	struct conf_video video;
	char vid_shown[12];
	uint64_t vid_shown_at;        /* tmr_jiffies */
#define CONF_VIDEO_HIST 8
	char vid_hist[CONF_VIDEO_HIST][12];
	char vid_pin[12];
	struct tmr vid_tmr;
	bool vid_dirty;
	/* cascading (conf_remote.c): the other nodes' shares of the
	 * roster, one object each (its entries in one array), by node
	 * name */
	struct list remotes;
	/* kept by the setters (part_counts), so that joins and leaves need
	 * no pass over the roster: those present (in the roster, not
	 * failed, not leaving: conf_present_count) and those whispering */
	unsigned npresent;
	unsigned nwhisper;
	struct participant *changed;  /* the one participant a change is
				       * of, while the observers hear of it
				       * (NULL: not one) */
};

/* A sidebar (conf.h), in its conference's list */
struct sidebar {
	struct le le;
	struct conf *conf;            /* no reference: it lives in c's list */
	char id[SIDEBAR_ID_MAX + 1];
	char *uri;
	char *display_text;
	bool bg;
	double bg_db;
	bool by_val;
	unsigned index;               /* 1 to CONF_MAX_SIDEBARS: the
				       * mixer's group */
	bool breakout;                /* made by conf_breakout_start */
	int64_t ends_at;              /* breakouts: unix seconds */
};

struct participant {
	struct le le;
	struct conf *conf;
	char pid[12];
	char *uri;
	char *display;
	bool dial_out;
	bool dial_started;
	bool removing;
	bool hangup_sent;
	bool settings_dirty;
	bool reoffer;                 /* conference media changed: re-INVITE */
	enum part_status status;
	uint16_t fail_code;
	char *fail_reason;
	char *referred_by;            /* who referred it (REFER, Referred-By) */
	char *removed_by;             /* who asked it to leave */
	char role[16];                /* RFC 4575 roles entry */
	struct part_settings set;
	struct part_media media;
	struct part_dialog dialog;
	struct part_privacy privacy;
	bool talking;                 /* by the mixer's detector */
	bool mixes_self;              /* its SDP said so (part_set_mixing) */
	uint8_t mixing;               /* enum part_mixing, as resolved */
	bool mcast;                   /* from the group (part_set_multicast) */
	bool hand;                    /* raised */
	uint32_t stream;              /* its mixer stream (0: none) */
	struct sidebar *sidebar;      /* the one it is in (NULL: main) */
	bool floor;                   /* heard in lecture mode */
	int64_t hand_since;           /* unix ms the hand went up */
	char whisper[12];             /* pid it whispers to ("": none) */
	uint8_t listen;               /* enum part_listen while whispering */
	struct part_stats stats;
	struct part_video video;
	struct part_video_stats vstats;
	uint64_t talk_since;          /* tmr_jiffies talking started (0:
				       * not talking) */
	int64_t joined_at;
	int64_t status_since;
	void *ep;
	struct tmr linger;
	struct tmr pend_tmr;          /* a pending join's expiry */
	/* a cascade link (conf_remote.c): which end it is, the other end's
	 * node and the child focus's URI (fixed sizes: part_set_link cannot
	 * fail, and they are what conf_remote carries) */
	enum part_link link;
	char link_node[CONF_NODE_MAX + 1];
	char link_focus[128];
	/* counted in its conference's npresent, nwhisper (part_counts) */
	bool in_present;
	bool in_whisper;
};

/* Who hears whom (conf_mix.c). q's stream or role changed: those whose
 * relations or whisper name it are told again */
void conf_mix_named(struct participant *q);
/* p left (out of the roster): whispers to it end */
void conf_mix_part_gone(struct participant *p);
/* Floors (floor.c): p left, its requests end; its hand went up or down
 * (a request with floor control on); the settings JSON's "floors" */
void conf_floor_part_gone(struct participant *p);
void conf_floor_hand(struct participant *p, bool raised);
void conf_floor_flush(struct conf *c);
int  floor_settings_apply(struct conf *c, const struct odict_entry *e);
int  floor_settings_print(struct re_printf *pf, const struct conf *c);
/* Video (conf_video.c): defaults; the settings JSON's "video"; p's
 * talking changed; p left (its place in who is shown); the timer */
void conf_video_init(struct conf *c);
int  conf_video_settings_apply(struct conf *c, const struct odict_entry *e);
int  conf_video_settings_print(struct re_printf *pf, const struct conf *c);
void conf_video_talking(struct participant *p);
void conf_video_part_gone(struct participant *p);
void conf_video_flush(struct conf *c);
/* Sidebars (sidebar.c): at load and save, in the settings JSON */
struct odict_entry;
int  sidebar_settings_apply(struct conf *c, const struct odict_entry *e);
int  sidebar_settings_print(struct re_printf *pf, const struct conf *c);
void sidebars_flush(struct conf *c);

/* A document's ETag: a hash of what print prints, quoted
 * (conf_policy.c; the policy's and the media policy's) */
void conf_doc_etag(char *buf, size_t sz, re_printf_h *print,
		   const void *doc);
/* The state changed: the version goes up and the observers hear of it.
 * conf_part_changed: the same for a change of p's alone (the observers
 * may ask conf_changed_part for it) */
void conf_changed(struct conf *c);
void conf_part_changed(struct participant *p);
/* p's place in the roster, status, leaving or whisper changed: its
 * conference's counts follow (call after every such change) */
void part_counts(struct participant *p);
/* The counts again by a pass over the roster (the unit tests hold the
 * kept ones to them) */
unsigned conf_present_recount(const struct conf *c);
unsigned conf_whisper_recount(const struct conf *c);
/* The stored settings JSON of a conference applied at load (ENOMEM: the
 * load must fail, not go on with the defaults; settings that cannot be
 * read are logged and the defaults kept), and written back after a
 * change (conf_media.c): its audio and its policy */
int  conf_settings_apply(struct conf *c, const char *settings);
/* The word of a media status (sendrecv, recvonly, sendonly, inactive,
 * none), or NULL for another */
const char *conf_media_status(const char *s);
int  conf_settings_save(struct conf *c);
/* The settings as they are stored (conf_settings_save writes this) */
int  conf_settings_json(const struct conf *c, char **jsonp);
/* A conference of the store made live (at start, and when another node
 * made it: conf_sync.c); arg is the struct confs */
struct store_conf;
int  conf_load_stored(const struct store_conf *sc, void *arg);
/* The policy's timers and per-user entries applied to the live state */
void conf_policy_enforce(struct conf *c, const struct policy *old);
/* Arms or cancels the idle timer as the roster empties or fills */
void conf_idle_check(struct conf *c);
/* Nobody is in c anywhere: no participant here but this node's link up
 * to the owner, and no other node's (conf_remote.c) */
bool conf_empty(const struct conf *c);
/* c may be ended here for being empty (destroy_on_last_leave, an ad-hoc
 * conference, idle_timeout_s): confs_set_end_gate's say */
bool conf_may_end(const struct conf *c);
/* (conf_empty_check, conf.h: the destroy-on-last-leave and idle checks
 * again from the loop, also when other nodes' shares changed under a
 * caller that holds c) */
/* part_add() in two steps: the record, all that can fail (not yet in
 * the roster, no id), then its entry into the roster, which cannot fail
 * (the policy's entry as it is then, the role and wait asked for, one new
 * version). conf_set_policy() makes its invitees' records before it
 * changes anything. */
int  part_make(struct conf *c, const struct part_new *n,
	       struct participant **pp);
void part_enter(struct participant *p, const struct part_new *n);
/* For a participant being added (part_enter), which then bumps the
 * version once: the policy's entry for its URI (role, privacy, muted), and the
 * wait for a moderator (pending, muted, deaf, the expiry timer) */
void part_entry_apply(struct participant *p);
void part_pending_start(struct participant *p, uint32_t timeout_s);
/* Settings without a reconcile: true when they changed (the version went
 * up and the mixer is due an update) */
bool part_settings_set(struct participant *p, const struct part_settings *s);

#endif
