/* Private to msc.c and msc_call.c: the focus's mixers, their
 * conferences and media connections (see msc.c). Signalling thread. */
#ifndef CAUCUS_MSC_INT_H
#define CAUCUS_MSC_INT_H

#include "mscp/mscp.h"
#include "sip/msc.h"
#include "sip/sdpneg.h"
#include "sip/sip_int.h"

#define MSC_POOL_DEFAULT 16
#define MSC_INFLIGHT 8           /* pool INVITEs on their way at once */
#define MSC_BACKOFF_MIN_MS 1000
#define MSC_BACKOFF_MAX_MS 30000
#define MSC_JOIN_RETRIES 5       /* a join before the mixer saw our ACK */
#define MSC_JOIN_RETRY_MS 100

enum msc_state { MSC_DOWN = 0, MSC_DIALING, MSC_UP };

/* One mixer process */
struct msc {
	struct le le;                /* in f->mscs */
	struct focus *f;
	char addr[64];               /* host:port, as configured */
	char uri[80];                /* sip:mixer@host:port */
	enum msc_state state;
	struct sipsess *ctl;         /* the control dialog */
	struct mscp_as *as;          /* its channel */
	struct list ready;           /* struct msconn, up and unused */
	struct list pending;         /* struct msconn: pool INVITEs on
				      * their way */
	unsigned used;               /* connections calls hold */
	unsigned pool;               /* how many to keep ready */
	struct list places;          /* struct mplace: conferences on it */
	struct tmr tmr;              /* redial */
	uint32_t backoff_ms;
	uint32_t lost;               /* times it went away */
};

/* A conference on one mixer */
struct mplace {
	struct le he;                /* in f->mplaces, by conference id */
	struct le le;                /* in ms->places */
	struct msc *ms;
	char confid[MSCP_ID_MAX + 1];   /* ours: the mixer's id */
	char conf[72];               /* the focus's conference id */
	unsigned n;                  /* its K as last sent */
	struct list conns;           /* struct msconn joined to it */
	bool valid;                  /* made over the channel that is up */
};

struct media_key {
	struct sa rtp, rtcp;
	uint8_t pt;
	int telev_pt;
	enum media_codec codec;
	bool send, recv, removed;
	uint8_t level_id, csrc_level_id;   /* RFC 6464 they send, 6465
					    * they want */
	struct media_opus_fmtp opus;
};

struct msconn {
	struct le le;                /* in ms->ready, or pl->conns */
	struct le he;                /* in f->msconns, by connid */
	struct msc *ms;
	struct sipsess *sess;
	struct sdpneg *sdp;          /* the pool offer's: reads the answer */
	struct sa maddr;             /* the mixer's RTP address and port */
	char connid[MSCP_ID_MAX + 1];
	bool up;                     /* established */
	bool taken;
	struct mplace *pl;           /* joined there (a reference) */
	bool join_sent;
	struct mscp_join j;          /* as last sent */
	struct media_key key;        /* the caller's media as last told */
	bool key_set;
	uint32_t sdp_ver;
	unsigned retries;
	struct tmr retry;
	bool talking;
	msc_lost_h *losth;
	msc_talk_h *talkh;
	void *arg;
};

/* msc.c, for msc_call.c: more pooled connections where they run low;
 * the join (or modifyjoin) of mc's settings to its conference */
void msc_fill(struct msc *ms);
void msc_join_send(struct msconn *mc);

#endif
