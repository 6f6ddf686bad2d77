/* Private to the sip module: the focus object, its table of methods, and
 * the functions its files share. The files call each other in one
 * direction only: focus.c dispatches to methods.c, call_in.c, call.c,
 * call_watch.c, gate.c, im.c, overload.c, refer.c and ms_ua.c (call_in.c
 * and refer.c call replaces.c, which calls none of them; ms_ua.c calls
 * ms_conn.c);
 * none of those calls back into focus.c, and reply.c (replies, AoRs)
 * and contact.c are leaves every file may use (tests/lint checks the
 * graph). Signalling thread. */
#ifndef CAUCUS_SIP_INT_H
#define CAUCUS_SIP_INT_H

#include <re.h>
#include "conf/conf.h"
#include "sip/sip.h"
#include "sip/stimer.h"

struct focus {
	struct sip *sip;
	struct sipsess_sock *sock;
	struct sip_lsnr *lsnr;
	struct sip_lsnr *valid_lsnr;     /* validate.c, first of all */
	struct udp_sock *probe_sock;     /* udp_guard.c: until the probe */
	char probe_id[24];
	struct udp_sock *udp_sock;       /* the UDP transport's (libre's) */
	struct udp_helper *udp_guard;
	struct confs *confs;
	struct mixer *mixer;
	struct video *video;          /* NULL: no video (port 0) */
	struct hash *vcalls;          /* struct call by video stream ids */
	struct sa sip_laddr;
	struct sa tls_laddr;          /* SIP over TLS (port 0: none) */
	struct tls *tls;
	struct tls *dtls_tls;         /* DTLS-SRTP's certificate (dtls.c) */
	uint8_t dtls_fp[32];          /* its sha-256 */
	struct sa rtp_laddr;
	uint16_t rtp_min, rtp_max, rtp_next;
	uint64_t rtp_timeout_ms;      /* 0: never */
	char factory_user[64];        /* "": no factory URI */
	struct stimer_cfg st_cfg;
	uint32_t moderation_timeout_s; /* a pending join's longest wait */
	bool moderation_early;        /* waiting joins in early media */
	uint16_t bfcp_port;           /* BFCP in the SDP (0: off) */
	struct hash *calls;          /* struct call by mixer stream id */
	bool shutting_down;
	struct tmr shut_tmr;
	focus_done_h *doneh;
	void *done_arg;
	struct focus_stats stats;
	struct list im_copies;       /* messages on their way (im.c) */
	struct list refers;          /* REFER subscriptions (refer.c) */
	struct srclimit *limit;      /* per source: rate, blocks, calls */
	struct overload *ovl;        /* new calls by load (overload.c) */
	struct users *users;         /* NULL: nobody authenticates */
	struct digest *digest;
	/* from the table of methods (methods.c), made once */
	char allow[128];             /* the Allow header's value */
	char supported[32];          /* the Supported header's value */
	char answer_hdrs[256];       /* Allow, Supported, Allow-Events and
				      * Accept of our answers to INVITE */
	/* --role focus: the mixer processes (msc.c): struct msc, the
	 * connections on them by id, the conferences on them by id */
	struct list mscs;
	struct hash *msconns, *mplaces;
	uint32_t msc_tag;            /* in our conference ids there */
	const struct focus_cluster *cluster;  /* NULL: one node alone */
	void *cluster_arg;
	struct ms_ua *ms;            /* --role mixer (ms_ua.c); else NULL */
};

/* --role mixer (ms_ua.c, ms_conn.c): the focus is a mixer's UA (cfg's
 * focus_allow set). focus.c hands it every INVITE outside a dialog, the
 * other requests outside a dialog (false: OPTIONS, for the table of
 * methods; true: answered), the mixer's events; close_all: BYE to every
 * connection and control dialog (shutdown) */
struct ms_ua;
int  ms_ua_alloc(struct ms_ua **uap, struct focus *f,
		 const struct focus_cfg *cfg);
void ms_ua_invite(struct focus *f, const struct sip_msg *msg);
bool ms_ua_request(struct focus *f, const struct sip_msg *msg);
void ms_ua_mixer_event(struct ms_ua *ua, const struct mixer_event *ev);
void ms_ua_close_all(struct ms_ua *ua);

/* The INVITE that dials p: a cascade link up (link.c) offers Opus first
 * and carries a signed Caucus-Link header (into buf); for anyone else
 * nothing changes (buf ""). 0, or an errno */
struct sdpneg;
int  focus_link_dial(struct focus *f, const struct participant *p,
		     struct sdpneg *sdp, char *buf, size_t sz);

/* A method in the focus's table (methods.c). outside: what is done with
 * a request outside any call that no other module took (NULL: it never
 * gets there, or is not allowed: 405); conf: outside needs a conference
 * URI (else 404). */
typedef void (focus_method_h)(struct focus *f, struct conf *c,
			      const struct sip_msg *msg);
struct focus_method {
	const char *name;
	bool allow;                  /* the focus takes it: listed in Allow */
	focus_method_h *outside;
	bool conf;
	const char *doc;             /* docs/sip.md */
};
extern const struct focus_method focus_methods[FOCUS_NMETHODS - 1];
/* The index of the method named p (len bytes) in focus_methods, or
 * FOCUS_NMETHODS - 1 for any other */
int  focus_method_index(const char *p, size_t len);
/* f's allow, supported and answer_hdrs from the table */
void focus_methods_init(struct focus *f);
/* The first option tag in a Require of msg that we do not support, or
 * NULL */
const struct sip_hdr *focus_unsupported(const struct sip_msg *msg);

/* The first listener of every request (validate.c): true when it was
 * malformed (answered 400/513, or an ACK dropped), false to go on */
bool focus_validate(const struct sip_msg *msg, void *arg);
/* The checks' places in focus_stats.malformed of the faults the raw
 * guard finds (udp_guard.c) */
enum { FOCUS_CHECK_UNPARSABLE = 0, FOCUS_CHECK_SIZE = 1 };
/* The guard of undecodable datagrams at the SIP UDP port (udp_guard.c):
 * the probe the focus sends itself at start, and the gate's claim of it
 * (true: msg was the probe; the guard now sees every datagram) */
int  focus_udp_guard_probe(struct focus *f);
bool focus_udp_guard_claim(struct focus *f, const struct sip_msg *msg);

/* Who sent a request, after the gate (gate.c) */
struct gate_id {
	char aor[160];               /* of From */
	bool authed;                 /* proven by digest */
	const struct user *user;     /* when authed */
};

/* Authenticates msg where the users or c's policy demand it. 0: go on
 * with *id; else it has replied (401 challenge, 400, 403) already. c may
 * be NULL (the factory). */
int  focus_gate(struct focus *f, struct conf *c, const struct sip_msg *msg,
		struct gate_id *id);

#define FOCUS_EVENTS "conference"

/* An INVITE to conference c (call_in.c); role: the new participant's
 * (NULL: its policy entry's). 0: the call is set up (answered, or in
 * early media waiting for a moderator); else an errno, and msg has been
 * refused with a final answer saying why. */
int  call_accept(struct focus *f, struct conf *c, const struct sip_msg *msg,
		 const char *role);
/* An INVITE with Replaces (replaces.c, RFC 3891), in call_accept's
 * steps. find: before the gate, the participant whose dialog it names
 * (*oldp referenced, *cp its conference; *oldp NULL: no Replaces), else
 * answered (400, 481) with an errno. state: after the gate, whether that
 * dialog may be replaced (0), else answered (603, 486, 403). role: the
 * one the new caller joins with (given role: its own). take_over: once
 * answered, np gets old's mute, gains, sidebar and hand, old a BYE. */
int  replaces_find(struct focus *f, const struct sip_msg *msg,
		   struct conf **cp, struct participant **oldp);
int  replaces_state(struct focus *f, const struct sip_msg *msg,
		    const struct participant *old);
const char *replaces_role(const struct participant *old,
			  const struct gate_id *id, const char *role);
void replaces_take_over(struct participant *np, struct participant *old);
int  call_dial(struct focus *f, struct participant *p);
void call_hangup(struct participant *p);
void call_apply_settings(struct participant *p);
void call_reoffer(struct participant *p);
/* The dial-in lobby's move (call_move.c, conf_ops.move): p's call goes
 * on in conference to as a new participant */
int  call_move(struct participant *p, struct conf *to);
void call_mixer_event(struct focus *f, const struct mixer_event *ev);
/* Video (call_video.c): the forwarder's events; conf_ops' video (what c
 * shows, to its video room) and camera (an action on p's camera) */
struct video_event;
void call_video_event(struct focus *f, const struct video_event *ev);
void call_video_room(struct focus *f, struct conf *c);
int  call_camera(struct participant *p, const char *action, unsigned n);
void call_mixer_packet(struct focus *f, uint32_t stream_id, bool rtcp,
		       const struct sockaddr_storage *src, socklen_t srclen,
		       const uint8_t *data, size_t len);

/* "sip:user@host[:port]" of a name-addr, without parameters */
int  focus_aor_print(char **aorp, const struct uri *u);
/* MESSAGE to a conference (im.c) and one copy of a message to p */
void im_handle(struct focus *f, struct conf *c, const struct sip_msg *msg);
int  im_send(struct focus *f, struct participant *p,
	     const struct conf_msg *m);

/* REFER to a conference (refer.c): from is the referring participant
 * when known (in its call), dlg its call's dialog (NULL: outside any
 * dialog, the REFER creates one). */
void refer_handle(struct focus *f, struct conf *c, struct participant *from,
		  struct sip_dialog *dlg, const struct sip_msg *msg);
void refer_conf_changed(struct focus *f, struct conf *c);
/* The headers of the INVITE that dials p for a REFER whose Refer-To
 * carried Replaces (RFC 4579's transition): Replaces, Require: replaces
 * and Referred-By, appended to buf (nothing for any other dial). 0, or
 * ENOSPC */
int  refer_dial_hdrs(const struct focus *f, const struct participant *p,
		     char *buf, size_t sz);

/* The media security a call into c may negotiate: the conference's srtp
 * policy, and DTLS-SRTP when the focus has its certificate (dtls.c) */
struct sdpsec_cfg;
const struct sdpsec_cfg *focus_sec_cfg(const struct focus *f,
				       const struct conf *c,
				       struct sdpsec_cfg *sec);

/* Over TCP and TLS: the requests of dlg go back over the connection msg
 * (the INVITE, a re-INVITE) came on (contact.c, see the comment there) */
int  focus_dialog_follow_conn(struct sip_dialog *dlg,
			      const struct sip_msg *msg);

/* Contact header value with ;isfocus (contact.c, see the comment there);
 * focus_contact_uri (sip.h) is its URI. */
int  focus_contact(char **cuserp, const struct focus *f, const char *conf_id,
		   const char *policy_uri, enum sip_transp tp, bool sips);
/* An even/odd UDP port pair for RTP/RTCP from the configured range. */
int  rtp_ports_alloc(struct focus *f, int *rtp_fd, int *rtcp_fd,
		     uint16_t *port);
/* Reply with a status and a reason; counts the rejection. */
void focus_reply(struct focus *f, const struct sip_msg *msg, uint16_t scode,
		 const char *reason, const char *hdrs);

#endif
