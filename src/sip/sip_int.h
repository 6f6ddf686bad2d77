/* Private to the sip module: the focus object and the call functions
 * shared by focus.c and call.c. Signalling thread. */
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
	struct confs *confs;
	struct mixer *mixer;
	struct sa sip_laddr;
	struct sa rtp_laddr;
	uint16_t rtp_min, rtp_max, rtp_next;
	uint64_t rtp_timeout_ms;      /* 0: never */
	char factory_user[64];        /* "": no factory URI */
	struct stimer_cfg st_cfg;
	uint32_t moderation_timeout_s; /* a pending join's longest wait */
	bool moderation_early;        /* waiting joins in early media */
	struct hash *calls;          /* struct call by mixer stream id */
	bool shutting_down;
	struct tmr shut_tmr;
	focus_done_h *doneh;
	void *done_arg;
	struct focus_stats stats;
	struct list im_copies;       /* messages on their way (im.c) */
	struct list refers;          /* REFER subscriptions (refer.c) */
	struct users *users;         /* NULL: nobody authenticates */
	struct digest *digest;
};

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

/* The methods the focus takes, for Allow headers. */
#define FOCUS_ALLOW \
	"INVITE, ACK, BYE, CANCEL, OPTIONS, SUBSCRIBE, MESSAGE, REFER"
#define FOCUS_EVENTS "conference"
#define FOCUS_SUPPORTED "join, timer"
/* The headers of our answers to INVITE */
#define ANSWER_HDRS "Allow: " FOCUS_ALLOW "\r\n" \
	"Supported: " FOCUS_SUPPORTED "\r\n" \
	"Allow-Events: " FOCUS_EVENTS "\r\n" \
	"Accept: application/sdp\r\n"

/* role: the new participant's (NULL: participant) */
int  call_accept(struct focus *f, struct conf *c, const struct sip_msg *msg,
		 const char *role);
int  call_dial(struct focus *f, struct participant *p);
void call_hangup(struct participant *p);
void call_apply_settings(struct participant *p);
void call_reoffer(struct participant *p);
void call_mixer_event(struct focus *f, const struct mixer_event *ev);

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

/* Contact header value with ;isfocus (contact.c, see the comment there). */
int  focus_contact(char **cuserp, const struct focus *f, const char *conf_id,
		   const char *policy_uri, enum sip_transp tp);
/* An even/odd UDP port pair for RTP/RTCP from the configured range. */
int  rtp_ports_alloc(struct focus *f, int *rtp_fd, int *rtcp_fd,
		     uint16_t *port);
/* Reply with a status and a reason; counts the rejection. */
void focus_reply(struct focus *f, const struct sip_msg *msg, uint16_t scode,
		 const char *reason, const char *hdrs);

#endif
