/*
 * The media-server split (spec s. 6.3, docs/mscp.md) as the other
 * modules see it: the two ends of the control channel (RFC 6230 with
 * msc-mixer/1.0, RFC 6505).
 *
 * - The MS end (`caucusd --role mixer`, mscp_ms.c): the control
 *   dialogs' SDP, the listener their channels connect to, and caucus's
 *   mixer driven by the package (mscp_mixer.c). Its SIP side (sip/ms_ua.c)
 *   registers each media connection it accepted.
 * - The AS end (`caucusd --role focus`, mscp_as.c): one channel to one
 *   mixer process: conferences, joins and their settings out; talkers
 *   and unjoins in.
 *
 * A connection id is that of the SIP dialog carrying the media between
 * the focus and the mixer: the focus's tag (From of the INVITE), a
 * colon, the mixer's tag (To). Signalling thread only.
 */
#ifndef CAUCUS_MSCP_H
#define CAUCUS_MSCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mbuf;
struct sa;
struct mixer;
struct mixer_media;
struct mixer_event;

#define MSCP_ID_MAX 128          /* conference and connection ids */

/* Whether an SDP body is a control channel's offer (an application TCP
 * cfw stream, RFC 6230 s. 4), not media */
bool mscp_sdp_is_control(const struct mbuf *sdp);

/* --- the MS end --- */
struct mscp_ms;

/* The mixer moves a stream only between rooms of one thread (EXDEV):
 * a parked connection's home room and its conference's room may be on
 * two. The SIP side then makes connid's stream again in room (from
 * copies of its sockets: the port stays, the SSRC is new) with settings
 * m, and says its new id in *idp. 0, or an errno (the join is refused
 * with 419 and the old stream stays as it was). */
typedef int (mscp_ms_rehome_h)(const char *connid, uint32_t room,
			       const struct mixer_media *m, uint32_t *idp,
			       void *arg);

struct mscp_ms_cfg {
	struct mixer *mx;
	const struct sa *laddr;      /* the control listener's address
				      * (port 0: any free one) */
	uint32_t room_base;          /* conferences get mixer rooms from
				      * here on */
	mscp_ms_rehome_h *rehome;    /* NULL: joins across mixer threads
				      * are refused (419) */
	void *arg;                   /* rehome's */
};

int  mscp_ms_alloc(struct mscp_ms **msp, const struct mscp_ms_cfg *cfg);
/* A control dialog's INVITE offer: the answer (passive, the listener's
 * port) into *answerp and the dialog's cfw-id into id (idsz bytes); a
 * SYNC naming that id is taken until mscp_ms_dialog_end. EPROTO: not a
 * control channel offer we take (answer 488) */
int  mscp_ms_dialog_offer(struct mscp_ms *ms, struct mbuf *offer,
			  struct mbuf **answerp, char *id, size_t idsz);
/* The control dialog ended (BYE): its channel is closed and the
 * conferences made over it are destroyed (their joins undone) */
void mscp_ms_dialog_end(struct mscp_ms *ms, const char *id);
/* A media connection the SIP side accepted: its mixer stream (added to
 * home_room with m) is parked until a join; update: a re-INVITE changed
 * its media (m: the new settings from the negotiation; the package's
 * mute, deaf, gains and K stay as joined); remove: its dialog ended (an
 * unjoin-notify to the focus when it was joined; the caller removes the
 * stream afterwards). ENOENT: no such connection. */
int  mscp_ms_conn_add(struct mscp_ms *ms, const char *connid,
		      uint32_t stream, uint32_t home_room,
		      const struct mixer_media *m);
int  mscp_ms_conn_update(struct mscp_ms *ms, const char *connid,
			 const struct mixer_media *m);
int  mscp_ms_conn_remove(struct mscp_ms *ms, const char *connid);
/* The mixer's events (talking) for the package's subscriptions */
void mscp_ms_event(struct mscp_ms *ms, const struct mixer_event *ev);
/* Channels up, conferences, connections (for /metrics and logs) */
void mscp_ms_counts(const struct mscp_ms *ms, unsigned *chans,
		    unsigned *confs, unsigned *conns);

/* --- the AS end: one channel to one mixer process --- */
struct mscp_as;

struct mscp_as_handlers {
	/* the SYNC was answered: the channel takes requests */
	void (*estabh)(void *arg);
	/* the channel is gone (err: ECONNRESET, ETIMEDOUT keep-alive,
	 * EPROTO, EPERM SYNC refused); every conference and join made
	 * over it is lost. Not called after mem_deref. */
	void (*closeh)(int err, const char *why, void *arg);
	/* active-talkers-notify: who talks in conference confid now (n
	 * connection ids, possibly none) */
	void (*talkersh)(const char *confid, const char *const *connids,
			 size_t n, void *arg);
	/* a request about connid (a join or modifyjoin) was refused
	 * (status, reason from the package's response), or the mixer
	 * unjoined it (unjoin-notify: status 1 its dialog ended there) */
	void (*connh)(const char *connid, uint16_t status,
		      const char *reason, void *arg);
	void *arg;
};

/* The settings of one joined connection, as the package carries them:
 * muted (not heard), deaf (hears nothing), gains in whole dB (in: what
 * it says, out: what it hears) */
struct mscp_join {
	bool muted, deaf;
	int gain_in_db, gain_out_db;
};

/* The offer of a control dialog (the focus INVITEs the mixer with it;
 * laddr: our address for its c= line) */
int  mscp_as_alloc(struct mscp_as **asp, const struct sa *laddr,
		   struct mbuf **offerp, const struct mscp_as_handlers *h);
/* The mixer's answer to it: connects and sends SYNC (estabh, or closeh
 * with why). EPROTO: not an answer to our offer */
int  mscp_as_answer(struct mscp_as *as, struct mbuf *answer);
bool mscp_as_up(const struct mscp_as *as);
/* Conferences (n: the mixed talkers, audio-mixing nbest; active talkers
 * reported at most once a second) and joins; each sent at once, in
 * order, on the one channel (the mixer takes them in that order);
 * refusals are logged, and those about a connection reach connh.
 * ENOTCONN: the channel is not up. */
int  mscp_as_conf_create(struct mscp_as *as, const char *confid, unsigned n);
int  mscp_as_conf_modify(struct mscp_as *as, const char *confid, unsigned n);
int  mscp_as_conf_destroy(struct mscp_as *as, const char *confid);
int  mscp_as_join(struct mscp_as *as, const char *connid, const char *confid,
		  const struct mscp_join *j);
int  mscp_as_modifyjoin(struct mscp_as *as, const char *connid,
			const char *confid, const struct mscp_join *j);
int  mscp_as_unjoin(struct mscp_as *as, const char *connid,
		    const char *confid);

#endif
