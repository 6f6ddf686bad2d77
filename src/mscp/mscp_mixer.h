/*
 * The mixer package carried out on caucus's mixer (mscp_mixer.c): the
 * MS side of msc-mixer/1.0. A conference is a mixer room with its K
 * (audio-mixing nbest n); a connection (RFC 6230's "<local-tag>:<remote-
 * tag>" of the SIP dialog that carries its media) is a mixer stream the
 * MS's SIP side made and registered here, parked in a room of its own
 * (muted and deaf) until it is joined; join moves it into the
 * conference's room, unjoin back. Talking events from the mixer become
 * active-talkers-notify events.
 *
 * Signalling thread only, like the mixer's API it calls; it never
 * touches a mixer thread's state (only mixer_stream_update/move).
 * Internal to src/mscp and its tests.
 */
#ifndef CAUCUS_MSCP_MIXER_H
#define CAUCUS_MSCP_MIXER_H

#include <stdint.h>
#include "mixer/mixer.h"
#include "mscp/mixpkg.h"

struct mbuf;
struct mscp_mixer;

/* An event for the AS (the MS sends it as a CONTROL) */
typedef void (mscp_event_h)(const struct mixpkg_msg *ev, void *arg);

/* The mixer moves a stream only between rooms of one thread (EXDEV
 * otherwise): the SIP side makes connid's stream again in room with
 * settings m (from copies of its sockets, so its port stays) and says
 * its new id in *idp; 0, or an errno (the old stream is then as it
 * was) */
typedef int (mscp_rehome_h)(const char *connid, uint32_t room,
			    const struct mixer_media *m, uint32_t *idp,
			    void *arg);

struct mscp_mixer_cfg {
	struct mixer *mx;
	uint32_t room_base;        /* conferences get rooms from here on */
	mscp_event_h *eh;
	mscp_rehome_h *rehomeh;    /* NULL: a join across threads is
				    * refused (419) */
	void *arg;                 /* of both */
};

int  mscp_mixer_alloc(struct mscp_mixer **exp,
		      const struct mscp_mixer_cfg *cfg);
/* The MS's SIP side: connection id → the stream it added (to home_room,
 * with settings m); EEXIST, EINVAL for an id that is not a connection
 * id */
int  mscp_mixer_conn_add(struct mscp_mixer *ex, const char *connid,
			 uint32_t stream, uint32_t home_room,
			 const struct mixer_media *m);
/* A re-INVITE changed its media: m replaces the settings it was added
 * with; the package's (mute, deaf, gains, K) stay on top. ENOENT: no
 * such connection */
int  mscp_mixer_conn_update(struct mscp_mixer *ex, const char *connid,
			    const struct mixer_media *m);
/* Its dialog ended: unjoin-notify when it was joined; the caller removes
 * the stream afterwards */
int  mscp_mixer_conn_remove(struct mscp_mixer *ex, const char *connid);
/* A request: its response or auditresponse in resp. Never half-applied:
 * a refusal changed nothing. */
void mscp_mixer_exec(struct mscp_mixer *ex, const struct mixpkg_msg *req,
		     struct mixpkg_msg *resp);
/* A CONTROL's body in, the body of the 200 answering it out */
int  mscp_mixer_control(struct mscp_mixer *ex, const void *body,
			size_t len, struct mbuf *out);
/* The mixer's events, passed on by the owner of its event handler */
void mscp_mixer_event(struct mscp_mixer *ex, const struct mixer_event *ev);

#endif
