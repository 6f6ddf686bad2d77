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
#include "mixer/mixer.h"

struct confs;
struct conf;
struct participant;
struct conf_msg;
struct store;

/* The RFC 4575 endpoint statuses caucus uses. */
enum part_status {
	PART_DIALING_IN,
	PART_DIALING_OUT,
	PART_ALERTING,
	PART_CONNECTED,
	PART_ON_HOLD,
	PART_DISCONNECTING,
	PART_FAILED,
};

struct part_settings {
	bool muted;
	bool deaf;
	double gain_in_db;
	double gain_out_db;
};

/* The SIP dialog of a participant, as RFC 4575 call-info wants it: tags
 * in the order of the initial request (From is the caller). */
struct part_dialog {
	char call_id[128];
	char from_tag[64];
	char to_tag[64];
	char contact[160];       /* the participant's Contact URI */
};

/* How others see a participant (set through the policy; the notification
 * views honour them). */
struct part_privacy {
	bool anonymous;          /* others see an anonymous URI, no name */
	bool hidden;             /* others do not see it at all */
	bool pending;            /* awaiting a moderator: only moderators
				  * see it, with status pending */
};

/* What the SIP side knows about a participant's media, for the API. */
struct part_media {
	char codec[16];
	char remote[64];         /* address:port from SDP */
	uint16_t local_port;
	char direction[12];      /* sendrecv, sendonly, recvonly, inactive */
	uint32_t tx_ssrc;        /* the SSRC of the mix we send them */
};

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
};

int  confs_alloc(struct confs **csp, const struct confs_cfg *cfg,
		 struct store *store);
/* Loads every conference from the store. */
int  confs_load(struct confs *cs);
void confs_set_ops(struct confs *cs, const struct conf_ops *ops, void *arg);
/* Up to CONF_MAX_OBSERVERS modules observe changes (the notifier, the
 * API's event stream). */
#define CONF_MAX_OBSERVERS 4
int  confs_add_change_handler(struct confs *cs, conf_change_h *h, void *arg);
void confs_remove_change_handler(struct confs *cs, conf_change_h *h,
				 void *arg);
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
/* A new participant's per-user entry: role, anonymity, hiding, muted on
 * entry (listeners always) */
void part_apply_entry(struct participant *p);
/* Moderated joins: the participant is in the call but neither heard nor
 * hearing, shown as pending to moderators only, until approved (joins as
 * its entry says) or rejected (BYE), or timeout_s passes (rejected; 0:
 * never). EALREADY when it is not pending. */
void part_set_pending(struct participant *p, uint32_t timeout_s);
int  part_approve(struct participant *p);
int  part_reject(struct participant *p);
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
/* How c is mixed: how many of the loudest talkers at once (0: the
 * server's mixer_max_speakers) and at what rate, 8000, 16000 or 48000 Hz
 * (0: the server's mixer_rate). Setting them stores them and carries them
 * to the mixer (no re-INVITE: each codec keeps its own rate); EINVAL above
 * CONF_MAX_SPEAKERS or for another rate, EIO when the store failed */
#define CONF_MAX_SPEAKERS 16
unsigned conf_max_speakers(const struct conf *c);
unsigned conf_mix_rate(const struct conf *c);
int  conf_set_mix(struct conf *c, unsigned max_speakers, unsigned rate_hz);
/* Deletes from the store, hangs up everyone; the URI answers 404 at once. */
int  conf_destroy(struct conf *c);
bool conf_id_valid(const char *id);

const char *conf_id(const struct conf *c);
const char *conf_uri(const struct conf *c);
const char *conf_policy_uri(const struct conf *c);
const char *conf_display_text(const struct conf *c);
int64_t conf_created_at(const struct conf *c);
uint32_t conf_room(const struct conf *c);
uint32_t conf_version(const struct conf *c);
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

/* A caller dialled in (status dialing-in) or the API asked for a dial-out
 * (status dialing-out; the reconciler dials). */
int  part_add(struct conf *c, const char *uri, const char *display,
	      bool dial_out, struct participant **pp);
/* Ask for p to leave (API kick): the reconciler hangs up. */
void part_remove(struct participant *p);
/* The same on someone's request (REFER with method=BYE), recorded for
 * RFC 4575 disconnection-info */
void part_remove_by(struct participant *p, const char *by);
const char *part_removed_by(const struct participant *p);
/* Who referred p to the conference (REFER, or Referred-By in its INVITE):
 * RFC 4575 endpoint referred/by. NULL: nobody. */
int  part_set_referred_by(struct participant *p, const char *by);
const char *part_referred_by(const struct participant *p);
/* The call is over. Failed dial-outs stay listed as failed for a while. */
void part_gone(struct participant *p, uint16_t scode, const char *reason);
/* The call failed after it was up (RTP timeout, session timer): listed as
 * failed for a while, like a failed dial-out. */
void part_failed(struct participant *p, uint16_t scode, const char *reason);
void part_set_status(struct participant *p, enum part_status st);
int  part_update_settings(struct participant *p,
			  const struct part_settings *s);

const char *part_id(const struct participant *p);
const char *part_uri(const struct participant *p);
const char *part_display(const struct participant *p);
struct conf *part_conf(const struct participant *p);
enum part_status part_status(const struct participant *p);
const char *part_status_name(enum part_status st);
bool part_dial_out(const struct participant *p);
uint16_t part_fail_code(const struct participant *p);
const char *part_fail_reason(const struct participant *p);
const struct part_settings *part_settings(const struct participant *p);
struct part_media *part_media(struct participant *p);
struct part_dialog *part_dialog(struct participant *p);
struct part_privacy *part_privacy(struct participant *p);
int64_t part_status_since(const struct participant *p);
/* Why and when it left, for RFC 4575 disconnection-info (failed ones) */
const char *part_role(const struct participant *p);
/* administrator, moderator, participant (the default), listener */
void part_set_role(struct participant *p, const char *role);
struct mixer_stream_stats *part_stats(struct participant *p);
/* Talking started or stopped (the mixer's detector): the observers hear
 * of it (the console's indicator); the RFC 4575 document has no place for
 * it, so subscribers get no NOTIFY for it */
void part_set_talking(struct participant *p, bool talking);
bool part_talking(const struct participant *p);
int64_t part_joined_at(const struct participant *p);
void  part_set_ep(struct participant *p, void *ep);
/* Still in its conference's roster (false once it left; a reference held
 * elsewhere keeps the object, not the membership) */
bool  part_in_conf(const struct participant *p);
void *part_ep(const struct participant *p);

#endif
