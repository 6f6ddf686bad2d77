/*
 * The focus: caucus's SIP user agent for every conference URI. Takes
 * INVITE/ACK/BYE/CANCEL/re-INVITE and OPTIONS, dials out, negotiates SDP,
 * and plugs each call into the mixer. It carries out the reconciler's
 * actions (conf.h struct conf_ops). Signalling thread only.
 */
#ifndef CAUCUS_SIP_H
#define CAUCUS_SIP_H

#include <stdbool.h>
#include <stdint.h>
#include <re.h>

struct focus;
struct confs;
struct mixer;
struct mixer_event;

struct video;

struct focus_cfg {
	const char *sip_addr;
	uint16_t sip_port;
	bool udp, tcp, tls;
	uint16_t tls_port;          /* SIP over TLS (sips:) */
	const char *tls_cert;       /* PEM: certificate chain and key; NULL
				     * or "": a self-signed one for this
				     * run */
	const char *rtp_addr;
	uint16_t rtp_port_min, rtp_port_max;
	uint32_t rtp_timeout_s;     /* no RTP this long: BYE (0: never) */
	const char *factory_user;   /* INVITE to it makes a conference */
	uint32_t session_expires_s; /* RFC 4028 (0: no session timers) */
	uint32_t session_min_se_s;
	uint32_t moderation_timeout_s;  /* pending joins: rejected after */
	bool moderation_early;      /* they wait in early media (183), not
				     * in an answered call */
	struct users *users;        /* who may authenticate (NULL: nobody) */
	const char *realm;          /* digest realm */
	uint32_t nonce_ttl_s;       /* how long a digest nonce is good */
	const char *digest_algs;    /* offered, preferred first */
	struct srclimit *limit;     /* per-source limits (NULL: none) */
	uint32_t max_call_rate;     /* new calls a second at most (0: by
				     * load only; sip/overload.c) */
	uint32_t max_subscribe_rate; /* new subscriptions, the same */
	uint16_t bfcp_port;         /* the floor control server's, for the
				     * SDP of calls (RFC 8856; 0: BFCP off,
				     * BFCP streams get port 0) */
	struct video *video;        /* the video forwarder (NULL: video is
				     * answered with port 0) */
	/* the media-server split (spec s. 6.3, docs/mscp.md) */
	const char *mixers;         /* --role focus: the SIP addresses of the
				     * mixer processes ("host:port,...");
				     * NULL or "": the mixer is this
				     * process's */
	unsigned mixer_pool;        /* --role focus: media connections kept
				     * ready on each mixer (0: 16) */
	const char *focus_allow;    /* --role mixer: the addresses of the
				     * focuses it takes INVITEs from (comma
				     * separated); NULL: not a mixer */
	const char *control_addr;   /* --role mixer: the control channels'
				     * listening address (NULL: sip_addr) */
};

/* SIP methods counted by name: the focus's table of methods
 * (sip/methods.c), then any other */
#define FOCUS_NMETHODS 15
/* the name of method i (0 .. FOCUS_NMETHODS - 1; the last is "other") */
const char *focus_method_name(int i);

/* The longest From, To or Contact value a message may carry, the most
 * values of address lists, and the check of a header section (p: the
 * start line first) against them and for a second From or To: the fault
 * ("From too long", "To missing or repeated"), or NULL (addr_lines.c;
 * libre's decoders must not see such a message) */
#define SIP_ADDR_MAX 512
#define SIP_VALUES_MAX 64     /* of Via, Route, Record-Route, Contact */
const char *sip_addr_lines_check(const char *p, size_t len);

/* The checks every request passes first (sip/validate.c), counted by
 * name for /metrics */
#define FOCUS_NCHECKS 11
const char *focus_check_name(unsigned i);

struct focus_stats {
	uint64_t req_rx[FOCUS_NMETHODS];   /* requests received, by method */
	uint64_t resp_tx[7];     /* responses sent, by class (1..6; 0 bad) */
	uint64_t rtp_rx, rtp_tx, rtp_lost; /* over all calls, ended ones too */
	uint64_t rtp_strangers;   /* RTP/RTCP not from a call's owner */
	uint64_t srtp_unauth;     /* SRTP/SRTCP that did not authenticate */
	uint64_t requests_in;
	uint64_t invites_in;
	uint64_t rejected;      /* 4xx/5xx we sent to requests */
	uint64_t calls_active;
	uint64_t auth_challenged, auth_ok, auth_failed;   /* SIP digest */
	uint64_t malformed[FOCUS_NCHECKS];   /* refused by the gate */
	uint64_t limited;       /* refused or dropped: per-source limits */
	uint64_t dtls_ok;       /* DTLS-SRTP calls keyed */
	uint64_t dtls_failed;   /* ended: no keys in time, or a wrong
				 * fingerprint from the peer's host */
	uint64_t dtls_mismatch; /* handshakes whose certificate was not
				 * the SDP's fingerprint */
};

typedef void (focus_done_h)(void *arg);

int  focus_alloc(struct focus **fp, const struct focus_cfg *cfg,
		 struct confs *cs, struct mixer *mx);
/* Starts answering the requests no other module took (OPTIONS, refusals).
 * Call after the modules that listen on focus_sip() have registered. */
int  focus_start(struct focus *f);
struct sip *focus_sip(const struct focus *f);
const struct sa *focus_laddr(const struct focus *f);
/* Mixer events (stats, DTMF) for the calls of this focus. */
void focus_mixer_event(struct focus *f, const struct mixer_event *ev);
/* Video forwarder events for the calls of this focus */
struct video_event;
void focus_video_event(struct focus *f, const struct video_event *ev);
/* A DTLS record the mixer read at a call's RTP or RTCP port */
void focus_mixer_packet(struct focus *f, uint32_t stream_id, bool rtcp,
			const struct sockaddr_storage *src, socklen_t srclen,
			const uint8_t *data, size_t len);
/* BYE everyone, then call doneh when every transaction has ended or after
 * wait_ms, whichever comes first. New requests get 503 meanwhile. */
void focus_shutdown(struct focus *f, unsigned wait_ms, focus_done_h *doneh,
		    void *arg);
void focus_get_stats(const struct focus *f, struct focus_stats *st);

/* Admission of new calls by load (sip/overload.c), for /v1/status and
 * /metrics */
struct focus_overload {
	const char *state;         /* open, limiting, shedding */
	uint64_t admitted;         /* new calls let in */
	uint64_t rejected;         /* refused with 503 (overloaded) */
	uint64_t retrans_rejected; /* retransmissions of those, again */
	double rate_per_s;         /* the rate in force (0: none) */
	double max_call_rate;      /* the configured ceiling (0: none) */
	double max_subscribe_rate; /* the same for subscriptions */
	unsigned delay_ms;         /* the signalling thread's, now */
	unsigned queue_ms;         /* of it, the SIP UDP socket's wait */
	unsigned lag_p99_ms;       /* the event loop's lag, last 10 s */
	bool behind;               /* new API work is refused too */
	bool asleep;               /* quiet: not measuring until SIP or
				    * API work comes */
	uint64_t woken;            /* times that work woke it */
	const char *subs_state;    /* new subscriptions: open, limiting,
				    * shedding */
	uint64_t subs_admitted;
	uint64_t subs_rejected;    /* refused with 503 (overloaded) */
	double subs_rate_per_s;    /* the rate in force (0: none) */
};
void focus_overload_stats(const struct focus *f, struct focus_overload *st);
/* The signalling thread's load, for the API's admission: behind (new
 * calls are all refused, shedding: new work should wait), new calls
 * limited by load or the thread late (other new work should be limited
 * too, so that the calls get the thread), or neither */
enum focus_load { FOCUS_LOAD_OK, FOCUS_LOAD_LIMITING, FOCUS_LOAD_BEHIND };
enum focus_load focus_load(struct focus *f);  /* (wakes the measure) */

/* --role focus: each mixer process as the focus sees it (sip/msc.c), for
 * /v1/status; how many there are (at most max filled) */
struct focus_mixer {
	char addr[64];             /* host:port, as configured */
	bool up;                   /* its control channel is up */
	unsigned ready;            /* media connections ready for calls */
	unsigned used;             /* held by calls */
	unsigned conferences;      /* placed on it */
	uint32_t lost;             /* times it went away */
};
unsigned focus_mixers(const struct focus *f, struct focus_mixer *m,
		      unsigned max);

/* The focus's own URI for conference user over transport tp, for Contact
 * headers (the notifier's too): sips: when the request was sips:, at the
 * TLS port over TLS */
int  focus_contact_uri(char *buf, size_t sz, const struct focus *f,
		       const char *user, enum sip_transp tp, bool sips);

/* A digest_algorithms setting the focus can offer: "SHA-256,MD5",
 * "MD5,SHA-256", "SHA-256" or "MD5" (for the settings' check) */
bool focus_digest_algs_valid(const char *algs);

/* The BFCP stream p's call negotiated (RFC 8856): true when it has one
 * to our floor control server, its transport ("TCP" or "UDP") into
 * transport (sz bytes; may be NULL) */
struct participant;
bool focus_part_bfcp(const struct participant *p, char *transport,
		     size_t sz);

/* For the notifier: authenticate a SUBSCRIBE to c (0: go on, *moderator
 * says whether it gets the moderator view; else replied already) */
struct sip_msg;
struct conf;
/* Admission of a new SUBSCRIBE by load, before any lookup: false when
 * it was refused (a stateless 503 with Retry-After) */
bool focus_admit_subscribe(struct focus *f, const struct sip_msg *msg);
int  focus_gate_subscribe(struct focus *f, struct conf *c,
			  const struct sip_msg *msg, bool *moderator);

/*
 * The cluster's part in calls (src/cluster, docs/scale.md): cascade links
 * between nodes are SIP calls that carry a signed Caucus-Link header; a
 * join of a conference another node owns makes this node a child of it.
 * Every member may be NULL.
 */
struct focus_cluster {
	/* A caller (not a cascade link) joins c: 0 to take the call here
	 * (this node owns c, or serves it as a child of its owner), or an
	 * errno: answered 503 with Retry-After */
	int  (*join)(struct conf *c, void *arg);
	/* The INVITE's Caucus-Link header: 1 a cascade link from a node of
	 * the cluster (*node, *focus: its name and its conference URI), 0
	 * no such header, -1 one that does not hold (answered 403) */
	int  (*link_check)(const struct sip_msg *msg, const struct conf *c,
			   char *node, size_t nsz, char *focus, size_t fsz,
			   void *arg);
	/* The headers (each ending in CRLF) of the INVITE that dials p, a
	 * link up to the owner: 0, or an errno (the dial fails) */
	int  (*link_hdrs)(const struct participant *p, char *buf, size_t sz,
			  void *arg);
};
void focus_set_cluster(struct focus *f, const struct focus_cluster *fc,
		       void *arg);

#endif
