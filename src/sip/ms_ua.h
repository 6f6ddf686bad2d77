/*
 * The mixer role's SIP side (`caucusd --role mixer`, spec s. 6.3,
 * docs/mscp.md), shared by its two files: ms_ua.c (who may INVITE,
 * control dialogs, the dispatch of the mixer's events, shutdown) and
 * ms_conn.c (media connections: one SIP dialog and one mixer stream
 * each). ms_ua.c calls ms_conn.c, never the other way round. Private to
 * the sip module. Signalling thread.
 */
#ifndef CAUCUS_SIP_MS_UA_H
#define CAUCUS_SIP_MS_UA_H

#include "mscp/mscp.h"
#include "sip/sip_int.h"

struct mixer_stream_stats;

#define MS_ALLOW_MAX 16        /* focus addresses in focus_allow */
/* Mixer rooms: the executor's conferences from MS_ROOM_CONF on, each
 * media connection's home room (where it is parked) from MS_ROOM_HOME
 * on: two ranges of 2^30 that never meet (no other rooms exist in a
 * mixer process) */
#define MS_ROOM_CONF 0x40000000u
#define MS_ROOM_HOME 0x80000000u
/* The Contact user of our answers, and the methods we take */
#define MS_CUSER "mixer"
#define MS_HDRS "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\n"

struct ms_ua {
	struct focus *f;
	struct mscp_ms *ms;
	struct list conns;            /* struct ms_conn */
	struct list ctls;             /* control dialogs (ms_ua.c) */
	struct hash *streams;         /* struct ms_conn by mixer stream */
	struct sa allow[MS_ALLOW_MAX];
	unsigned nallow;
	uint32_t next_room;           /* the next home room */
};

/* A media connection: an INVITE with an audio offer from an allowed
 * focus (answered, or refused with the reason) */
void ms_conn_accept(struct ms_ua *ua, const struct sip_msg *msg);
/* The mixer's statistics for a stream of ours (RTP timeout) */
void ms_conn_stats(struct ms_ua *ua, uint32_t stream,
		   const struct mixer_stream_stats *st);
/* mscp_ms_cfg's rehome (mscp.h) */
int  ms_conn_rehome(const char *connid, uint32_t room,
		    const struct mixer_media *m, uint32_t *idp, void *arg);
/* Every connection ends (BYE) */
void ms_conn_close_all(struct ms_ua *ua);

#endif
