/*
 * The focus's mixers (msc.c, msc_call.c; spec s. 6.3, docs/mscp.md), as
 * call.c uses them: with `--role focus` a call's audio goes to a media
 * connection on the mixer of its conference. Private to the sip module.
 * Signalling thread.
 */
#ifndef CAUCUS_MSC_H
#define CAUCUS_MSC_H

#include <stdbool.h>
#include <stdint.h>

struct focus;
struct msconn;
struct mscp_join;
struct sa;
struct sdpneg_result;

/* The connection ended under the call (the mixer lost, or it ended the
 * media): code and why for the call's BYE; the call lets go of it */
typedef void (msc_lost_h)(uint16_t code, const char *why, void *arg);
/* The mixer's talkers: whether this connection talks now */
typedef void (msc_talk_h)(bool talking, void *arg);

/* Dials the mixers ("host:port,...": their SIP addresses; NULL or "":
 * none, the focus mixes itself) keeping pool connections ready on each */
int  msc_start(struct focus *f, const char *mixers, unsigned pool);
/* Shutting down: no more dialling */
void msc_stop(struct focus *f);
void msc_close(struct focus *f);
/* Whether calls' media goes to mixers */
bool msc_split(const struct focus *f);
/* A ready connection on the mixer of conference conf (placing the
 * conference on the mixer with the most room when it has none yet);
 * *maddr: the mixer's RTP address and port for the call's SDP. The
 * handlers hear of it until mem_deref. EAGAIN: none ready (the pool
 * refills); ENOTCONN: no mixer is up. */
int  msc_take(struct focus *f, const char *conf, struct msconn **mcp,
	      struct sa *maddr, msc_lost_h *losth, msc_talk_h *talkh,
	      void *arg);
/* The call's media as negotiated (the mixer hears of a change in a
 * re-INVITE of the connection), its settings (join, then modifyjoin
 * when they change) and its conference's K (n) and id (a call the lobby
 * moved: EXDEV when that conference is on another mixer) */
int  msc_apply(struct msconn *mc, const char *conf,
	       const struct sdpneg_result *neg, const struct mscp_join *j,
	       unsigned n);

#endif
