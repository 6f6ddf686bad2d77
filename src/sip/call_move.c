/*
 * The dial-in lobby's move: a caller that keyed a conference's number
 * goes on, in the same SIP dialog, as a new participant of that
 * conference (which then asks for its PIN, if it has one); its lobby
 * participant leaves. The media follow without the phone noticing:
 *   - its stream moves to the conference's room when that room is on
 *     the stream's mixer thread, or on none yet (then it is placed
 *     there): one command, nothing lost;
 *   - else, with a socket pair per call (lobby calls keep theirs, the
 *     mixer has copies), the stream is made again on the room's thread
 *     from the same sockets, so the port in its SDP stays right, and it
 *     sends with a new SSRC: a fresh sequence under an SRTP key already
 *     used would repeat its keystream, a new SSRC makes another one;
 *   - with the mixer's per-thread sockets the port would change: the
 *     move is refused (ENOTSUP) and the caller stays in the lobby.
 * The conference's policy decides as at its door (EACCES: refused;
 * moderated: the caller waits there).
 * Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "mixer/mixer.h"
#include "conf/policy.h"
#include "sip/call_int.h"
#include "util/log.h"

int call_move(struct participant *p, struct conf *to)
{
	struct call *call = part_ep(p);
	struct part_new n = {.uri = part_uri(p), .display = part_display(p),
			     .contact = part_dialog(p)->contact};
	struct participant *np = NULL;
	struct policy_admission adm;
	uint32_t from_room;
	bool again;
	int err;

	if (!call || call->part != p || !call->stream_id || call->early)
		return EINVAL;
	/* that conference's policy, as at its door: a deny rule, its lock,
	 * its limit, authentication it asks for (which a call cannot give
	 * any more) refuse; moderation makes the caller wait there */
	conf_admit(to, part_uri(p), call->authed, &adm);
	if (!adm.allowed) {
		log_info("sip", "msg=\"move refused by policy\" conf=%s "
			 "pid=%s to=%s code=%u reason=\"%s\"",
			 conf_id(part_conf(p)), part_id(p), conf_id(to),
			 adm.scode, adm.reason ? adm.reason :
			 "authentication required");
		return EACCES;
	}
	n.pending = adm.pending;
	n.pending_timeout_s = call->f->moderation_timeout_s;
	from_room = conf_room(part_conf(p));
	err = mixer_stream_move(call->f->mixer, call->stream_id,
				conf_room(to));
	again = err == EXDEV && call->keep_fds;
	if (err && !again)
		return err == EXDEV ? ENOTSUP : err;
	err = part_add(to, &n, &np);
	if (err) {
		if (!again)        /* back where it was (the same thread) */
			(void)mixer_stream_move(call->f->mixer,
						call->stream_id, from_room);
		return err;
	}
	part_set_dialog(np, part_dialog(p));
	part_set_ep(np, call);
	call->part = np;
	/* the lobby has no video; a re-INVITE may bring it here */
	call_video_sdp(call, to);
	part_set_ep(p, NULL);
	part_set_stream(p, 0);
	if (again) {
		(void)mixer_stream_remove(call->f->mixer, call->stream_id);
		hash_unlink(&call->he);
		call->stream_id = 0;
		call->tx_ssrc = rand_u32() | 1;
	}
	else {
		part_set_stream(np, call->stream_id);
	}
	log_info("sip", "msg=\"moved from the lobby\" conf=%s pid=%s to=%s "
		 "pid_there=%s thread=%s", conf_id(part_conf(p)), part_id(p),
		 conf_id(to), part_id(np), again ? "another" : "same");
	part_gone(p, 0, NULL);
	/* the conference's room, its settings (its lobby), its media
	 * state for the API and the documents */
	err = call_media_apply(call);
	part_set_status(np, PART_CONNECTED);
	if (err)
		call_fail(call, 500, "media lost in the move");
	return 0;
}
