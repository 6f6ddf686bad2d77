/*
 * A participant of a conference: one endpoint (one SIP dialog, or a
 * dial-out on its way) in a conference's roster. The conf module owns it.
 *
 * The rule that holds the state model together: everything about a
 * participant that the API, the RFC 4575 documents or the mixer can see
 * is read through the const accessors below and changes only through a
 * setter of this header. Each setter compares the new value with the old
 * and, when something visible changed, bumps the conference's version
 * (conf_version()), which the notifier, the API's event stream and the
 * reconciler follow; a setter handed what is already there does nothing.
 * Measurements (part_set_stats) are the one exception: they are read
 * live and never bump the version (a NOTIFY a second per participant
 * would be a storm).
 *
 * Other modules (sip, api, notify) hold struct participant pointers but
 * never write through them. Signalling thread only.
 */
#ifndef CAUCUS_PART_H
#define CAUCUS_PART_H

#include <stdbool.h>
#include <stdint.h>

struct conf;
struct participant;
struct sidebar;

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

/* What the mixer does with the participant's audio. */
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

/* How others see a participant (from the policy's per-user entries and
 * moderation; the notification views and the API honour them). */
struct part_privacy {
	bool anonymous;          /* others see an anonymous URI, no name */
	bool hidden;             /* others do not see it at all */
	bool pending;            /* awaiting a moderator: only moderators
				  * see it, with status pending */
	bool lobby;              /* keying the conference's PIN: like
				  * pending (only moderators see it), and
				  * neither heard nor hearing the room */
};

/* The outcome of the last SDP negotiation of the participant's call, as
 * the SIP side reports it (part_set_media). codec "" : no audio stream. */
struct part_media {
	char codec[16];          /* what we send them: PCMU, PCMA, G722,
				  * opus */
	char remote[64];         /* address:port from SDP */
	uint16_t local_port;
	char direction[12];      /* sendrecv, sendonly, recvonly, inactive */
	uint32_t tx_ssrc;        /* the SSRC of the mix we send them */
	char encryption[48];     /* "none", "SDES <suite>", "DTLS-SRTP
				  * <suite>", "DTLS-SRTP (handshake)" */
};

/* The participant's video as negotiated (part_set_video; "" codec: no
 * video), and what the video forwarder measures (part_set_video_stats:
 * measurements, not state) */
struct part_video {
	char codec[8];           /* VP8, H264, VP9; "": no video */
	char direction[12];
	uint16_t local_port;
	uint32_t tx_ssrc;        /* the SSRC of the video we send them */
	bool sends;              /* they send video (may be shown) */
	bool fecc;               /* a camera control stream (H.224) */
	uint16_t fecc_port;
};
struct part_video_stats {
	uint64_t rx_packets, tx_packets;
	uint32_t rx_kbps, tx_kbps, est_kbps;
	uint32_t rx_lost, rx_stranger, keyframes_rx;
	uint32_t kf_requests_tx, kf_requests_rx, nacks_rx, retransmits;
	uint32_t switches;
	char sees[12];           /* the pid of who they see, "composed", or
				  * "" */
};

/* The mixer's counters for the participant's stream (part_set_stats):
 * measurements, not state. */
struct part_stats {
	uint64_t rx_packets, tx_packets;
	uint32_t rx_lost, rx_late, rx_dup, concealed;
	uint32_t rx_stranger;     /* RTP/RTCP not from its owner, dropped */
	uint32_t rx_unauth;       /* SRTP/SRTCP that did not authenticate */
	uint32_t decode_skipped;  /* silent frames not decoded */
	uint32_t fec_recovered;   /* lost frames rebuilt from Opus FEC */
	uint32_t tx_dtx;          /* Opus frames not sent (DTX) */
	uint32_t jitter_us;
	uint32_t jb_target_us, jb_depth_us;
	uint32_t jb_skipped, jb_stretched;
	uint32_t mix_hz;          /* the rate its room mixes at (0: not
				   * reported yet) */
};

/* A new participant, all it is known by from the start, so that a join is
 * one change of the conference (one version, one NOTIFY). */
struct part_new {
	const char *uri;          /* its AoR (dial-in) or the URI to dial */
	const char *display;      /* NULL: none */
	bool dial_out;            /* the reconciler dials it */
	const char *role;         /* NULL: its policy entry's, else
				   * participant */
	const char *referred_by;  /* who sent it here (REFER, Referred-By);
				   * NULL: nobody */
	const char *contact;      /* its Contact URI (dial-in); NULL: none */
	struct sidebar *sidebar;  /* joins straight into it (a call to its
				   * URI); NULL: the main conference */
	bool pending;             /* waits for a moderator */
	uint32_t pending_timeout_s;  /* then rejected (0: never) */
};

/* A caller dialled in (status dialing-in) or a dial-out was asked for
 * (status dialing-out; the reconciler dials). The policy's entry for its
 * URI gives its role, privacy and mute. ENOENT: the conference is
 * destroyed. */
int  part_add(struct conf *c, const struct part_new *n,
	      struct participant **pp);
/* Ask for p to leave (API kick): the reconciler hangs up. */
void part_remove(struct participant *p);
/* The same on someone's request (REFER with method=BYE, the policy),
 * recorded for RFC 4575 disconnection-info */
void part_remove_by(struct participant *p, const char *by);
/* The call is over. Failed dial-outs stay listed as failed for a while. */
void part_gone(struct participant *p, uint16_t scode, const char *reason);
/* The call failed after it was up (RTP timeout, session timer): listed as
 * failed for a while, like a failed dial-out. */
void part_failed(struct participant *p, uint16_t scode, const char *reason);

/* Setters: each bumps the conference's version when the value changed */
void part_set_status(struct participant *p, enum part_status st);
/* mute, deaf, gains; the reconciler carries them to the mixer */
void part_update_settings(struct participant *p,
			  const struct part_settings *s);
void part_set_media(struct participant *p, const struct part_media *m);
void part_set_dialog(struct participant *p, const struct part_dialog *d);
void part_set_privacy(struct participant *p, bool anonymous, bool hidden);
/* administrator, moderator, participant, listener ("" or NULL:
 * participant); a listener is never mixed */
void part_set_role(struct participant *p, const char *role);
/* Talking started or stopped (the mixer's detector): the observers hear
 * of it (the console's indicator); the RFC 4575 document has no place for
 * it, so subscribers get no NOTIFY for it */
void part_set_talking(struct participant *p, bool talking);
/* The PIN lobby (the applications' module): a caller in it is in the
 * call but neither heard nor hearing the room (it hears the prompts said
 * to it), shown as pending to moderators only */
void part_set_lobby(struct participant *p, bool lobby);
/* Raised hand (keypad, API): shown in the API, the RFC 4575 document and
 * the event stream */
void part_set_hand(struct participant *p, bool raised);
bool part_hand(const struct participant *p);
/* The mixer stream carrying p's audio (the SIP side sets it; 0: none),
 * for applications that speak to p alone. Not state others see: no
 * version. */
void part_set_stream(struct participant *p, uint32_t id);
uint32_t part_stream(const struct participant *p);
/* The dial-in lobby: p's call goes on in conference to, as a new
 * participant that joins there (its lobby, if to has a PIN); p leaves.
 * 0, or an errno (EXDEV, ENOTSUP: the call cannot be moved; p stays) */
int  part_move(struct participant *p, struct conf *to);
/* A keypad digit ('0'-'9', '*', '#', 'A'-'D') from p, however it came:
 * handed to the conference's keypad handler (confs_set_dtmf_handler);
 * anything else is ignored. Not state: no version. */
void part_dtmf(struct participant *p, char digit);
/* Media policy (conf/mediapol.h, docs/media-policy.md). The sidebar p is
 * in (NULL: the main conference), moved over its existing dialog; it
 * hears the sidebar and the main conference in the background, and is
 * heard only in the sidebar. EINVAL: sb is another conference's. */
int  part_set_sidebar(struct participant *p, struct sidebar *sb);
struct sidebar *part_sidebar(const struct participant *p);
/* The floor in lecture mode: a participant given it by a moderator is
 * heard until it is taken back (giving it lowers the hand) */
void part_set_floor(struct participant *p, bool floor);
bool part_floor(const struct participant *p);
/* When p raised its hand (unix ms; 0: not raised): moderators' keypads
 * give the floor to the first */
int64_t part_hand_since(const struct participant *p);
/* Whisper (coach): p speaks to `to` alone (not heard by anyone else) and
 * hears as listen says: the room as usual, `to` alone, or nothing.
 * to NULL: p speaks to the room again (barge out). EINVAL: to is p, or
 * in another conference */
enum part_listen { PART_LISTEN_ROOM, PART_LISTEN_TARGET, PART_LISTEN_NONE };
int  part_set_whisper(struct participant *p, struct participant *to,
		      enum part_listen listen);
/* whom p whispers to (NULL: nobody), and how it listens */
struct participant *part_whisper(const struct participant *p,
				 enum part_listen *listen);

/* How the mixer treats p under the media policy, resolved against the
 * roster as it is now (conf_part_mix; the SIP side carries it to p's
 * stream with the settings). Streams are mixer stream ids. */
#define PART_MIX_REL_MAX 16
#define PART_MIX_CLASSES 4        /* administrator, moderator,
				   * participant, listener */
struct part_mix {
	bool silenced;            /* not heard (lecture mode, not a
				   * lecturer, no floor) */
	unsigned group;           /* 0: the main conference; a sidebar's
				   * index */
	bool bg;                  /* a sidebar member hears the main
				   * conference */
	double bg_db;             /* at this gain */
	unsigned cls;             /* its role's class (index above) */
	bool by_class;            /* cls_db is not all 0 dB */
	double cls_db[PART_MIX_CLASSES];   /* how it hears each class
					    * (<= MEDIAPOL_GAIN_MIN_DB:
					    * not at all) */
	struct part_mix_rel {
		uint32_t stream;
		double gain_db;   /* how it hears that stream */
	} rel[PART_MIX_REL_MAX];
	unsigned nrel;
	uint32_t whisper_to;      /* speaks only to this stream (0: to its
				   * group as usual) */
	uint32_t listen_to;       /* hears only this stream (0: its group's
				   * mix) */
	bool listen_none;         /* hears nothing (whispering, listen
				   * none) */
};
void conf_part_mix(const struct participant *p, struct part_mix *m);
unsigned part_mix_class(const char *role);

/* Distributed mixing (spec s. 6.4, docs/media-policy.md): who mixes what
 * p hears. The SIP side reports after each negotiation whether p's
 * endpoint says it mixes for itself (a=x-caucus-mixing:self); the
 * conference's policy (its "mixing", p's entry) decides whether that is
 * honoured: p's mode is then "self" (the mixer sends it the K loudest
 * talkers as separate RTP streams), else "focus" (a mix, as always). A
 * new version, and the mixer told, when the mode changes; the policy
 * changing resolves it again (part_mixing_apply, conf_policy.c). */
enum part_mixing { PART_MIXING_FOCUS, PART_MIXING_SELF };
void part_set_mixing(struct participant *p, bool mixes_self);
void part_mixing_apply(struct participant *p);
enum part_mixing part_mixing(const struct participant *p);
const char *part_mixing_name(enum part_mixing m);
/* Mixing for itself, it hears the talkers from the conference's
 * multicast group (policy.h's struct policy_mcast), not by unicast: the
 * SIP side says so after each negotiation and policy change; a new
 * version when it changes */
void part_set_multicast(struct participant *p, bool on);
bool part_multicast(const struct participant *p);

/* Counters: never a new version (see the top of this file) */
void part_set_stats(struct participant *p, const struct part_stats *st);
/* Its audio level now (the loudest frame of the last fifth of a second,
 * -dBov: 0 loudest, 127 silence), for the console's meters: telemetry,
 * neither kept nor a new version; handed at once to the conferences'
 * level handler (conf.h) */
void part_level(struct participant *p, uint8_t level_dbov);
/* Moderated joins: the participant is in the call but neither heard nor
 * hearing, shown as pending to moderators only, until approved (joins as
 * its entry says) or rejected (BYE), or its timeout passes (rejected).
 * EALREADY when it is not pending. */
int  part_approve(struct participant *p);
int  part_reject(struct participant *p);

/* The SIP call carrying p (opaque here; NULL: none). Not state others
 * see: no version. */
void  part_set_ep(struct participant *p, void *ep);
void *part_ep(const struct participant *p);

/* Accessors */
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
const struct part_media *part_media(const struct participant *p);
const struct part_dialog *part_dialog(const struct participant *p);
const struct part_privacy *part_privacy(const struct participant *p);
const struct part_stats *part_stats(const struct participant *p);
const char *part_role(const struct participant *p);
bool part_talking(const struct participant *p);
/* Video (conf_video.c): as negotiated (a new version when it changed),
 * and the forwarder's counters (no version) */
void part_set_video(struct participant *p, const struct part_video *v);
const struct part_video *part_video(const struct participant *p);
void part_set_video_stats(struct participant *p,
			  const struct part_video_stats *st);
const struct part_video_stats *part_video_stats(const struct participant *p);
int64_t part_joined_at(const struct participant *p);
int64_t part_status_since(const struct participant *p);
/* Who referred p (RFC 4575 endpoint referred/by); NULL: nobody */
const char *part_referred_by(const struct participant *p);
/* Who asked it to leave, for disconnection-info; NULL: nobody */
const char *part_removed_by(const struct participant *p);
/* Still in its conference's roster (false once it left; a reference held
 * elsewhere keeps the object, not the membership) */
bool part_in_conf(const struct participant *p);

#endif
