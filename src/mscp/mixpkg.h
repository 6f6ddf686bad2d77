/*
 * The mixer control package msc-mixer/1.0 (RFC 6505), the subset caucus
 * needs: createconference, modifyconference, destroyconference, join,
 * modifyjoin, unjoin, audit (requests); response, auditresponse and
 * event (active-talkers-notify, unjoin-notify, conferenceexit). Parsed
 * strictly with libxml2 (mixpkg.c), printed canonically (mixpkg_print.c).
 * docs/mscp.md lists what is covered and what is refused.
 *
 * Internal to src/mscp and its tests. Any thread (no state), used on the
 * signalling thread.
 */
#ifndef CAUCUS_MSCP_MIXPKG_H
#define CAUCUS_MSCP_MIXPKG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mbuf;

#define MIXPKG_NAME "msc-mixer/1.0"
#define MIXPKG_CTYPE "application/msc-mixer+xml"
#define MIXPKG_NS "urn:ietf:params:xml:ns:msc-mixer"

#define MIXPKG_DOC_MAX 32768       /* bytes of one document */
#define MIXPKG_ID_MAX 128          /* conference and connection ids */
#define MIXPKG_REASON_MAX 256
#define MIXPKG_STREAMS_MAX 4       /* <stream> in a join */
#define MIXPKG_LIST_MAX 32         /* talkers, participants, joins */
#define MIXPKG_CODECS_MAX 8
#define MIXPKG_GAIN_MIN_DB -96
#define MIXPKG_GAIN_MAX_DB 96

/* The package's status codes (RFC 6505 s. 4.6, as read; docs/mscp.md) */
enum mixpkg_code {
	MIXPKG_OK = 200,
	MIXPKG_SYNTAX = 400,          /* not the schema's shape */
	MIXPKG_CONF_EXISTS = 405,     /* conferenceid already exists */
	MIXPKG_NO_CONF = 406,         /* conferenceid does not exist */
	MIXPKG_NO_CONN = 412,         /* connectionid does not exist */
	MIXPKG_JOINED = 408,          /* already joined */
	MIXPKG_NOT_JOINED = 409,      /* not joined */
	MIXPKG_BAD_STREAMS = 407,     /* incompatible stream configuration */
	MIXPKG_EXEC = 419,            /* other execution error */
	MIXPKG_AUDIO_MIX = 421,       /* unable to configure audio mix */
	MIXPKG_UNSUP_STREAMS = 422,   /* unsupported stream configuration */
	MIXPKG_FOREIGN = 428,         /* foreign namespace element/attr */
	MIXPKG_UNSUPPORTED = 435,     /* other unsupported capability */
};

enum mixpkg_kind {
	MIXPKG_NONE = 0,
	MIXPKG_CREATE,
	MIXPKG_MODIFYCONF,
	MIXPKG_DESTROY,
	MIXPKG_JOIN,
	MIXPKG_MODIFYJOIN,
	MIXPKG_UNJOIN,
	MIXPKG_AUDIT,
	MIXPKG_RESPONSE,
	MIXPKG_AUDITRESPONSE,
	MIXPKG_EVENT,
};

enum mixpkg_dir { MIXPKG_SENDRECV = 0, MIXPKG_SENDONLY, MIXPKG_RECVONLY,
		  MIXPKG_INACTIVE };
enum mixpkg_vol { MIXPKG_VOL_NONE = 0, MIXPKG_VOL_GAIN, MIXPKG_VOL_MUTE,
		  MIXPKG_VOL_UNMUTE };
enum mixpkg_event { MIXPKG_EV_NONE = 0, MIXPKG_EV_TALKERS, MIXPKG_EV_UNJOIN,
		    MIXPKG_EV_CONFEXIT };

/* unjoin-notify and conferenceexit status (RFC 6505 s. 4.2.2, as read) */
#define MIXPKG_EXIT_REQUESTED 0     /* unjoin or destroyconference */
#define MIXPKG_EXIT_NETWORK 1       /* the connection went (its dialog) */
#define MIXPKG_EXIT_ERROR 2         /* an execution error */

struct mixpkg_stream {
	char media[8];              /* "audio" or "video" */
	char label[32];             /* "" when none */
	enum mixpkg_dir dir;        /* from id1's side */
	enum mixpkg_vol vol;
	int gain_db;                /* MIXPKG_VOL_GAIN */
};

/* A conference as created, modified or audited */
struct mixpkg_conf {
	char id[MIXPKG_ID_MAX + 1];
	uint32_t reserved_talkers, reserved_listeners;
	bool mixing;                /* <audio-mixing> given */
	uint32_t n;                 /* its n (type nbest) */
	bool sub;                   /* <active-talkers-sub> given */
	uint32_t sub_interval_s;    /* its interval (default 3) */
};

struct mixpkg_msg {
	enum mixpkg_kind kind;
	struct mixpkg_conf conf;    /* create, modify, destroy; the audit
				     * response's conference */
	char id1[MIXPKG_ID_MAX + 1], id2[MIXPKG_ID_MAX + 1];
	struct mixpkg_stream streams[MIXPKG_STREAMS_MAX];
	unsigned nstreams;
	bool capabilities, mixers;  /* audit (default true) */
	char mixerid[MIXPKG_ID_MAX + 1];
	/* response, auditresponse, unjoin-notify, conferenceexit */
	uint16_t status;
	char reason[MIXPKG_REASON_MAX + 1];
	char connid[MIXPKG_ID_MAX + 1];  /* response's connectionid */
	enum mixpkg_event ev;
	/* active talkers, or the audited conference's participants */
	char list[MIXPKG_LIST_MAX][MIXPKG_ID_MAX + 1];
	unsigned nlist;
	/* auditresponse */
	bool has_caps, has_conf;
	char codecs[MIXPKG_CODECS_MAX][32];
	unsigned ncodecs;
	char joins[MIXPKG_LIST_MAX][2][MIXPKG_ID_MAX + 1];
	unsigned njoins;
};

/* Parses a document into m (zeroed first, so two parses of equal
 * documents are equal by memcmp). MIXPKG_OK, or the status to answer
 * with (400 syntax, 428 foreign namespace, 435 unsupported) and the why
 * in m->reason; nothing else of m is then to be used. */
uint16_t mixpkg_parse(struct mixpkg_msg *m, const void *doc, size_t len);
/* Prints m as a document */
int  mixpkg_print(struct mbuf *mb, const struct mixpkg_msg *m);
/* A response or auditresponse to carry a code and reason */
void mixpkg_response(struct mixpkg_msg *m, uint16_t status,
		     const char *reason);
const char *mixpkg_code_reason(uint16_t status);
/* A connection id names a SIP dialog: "<local-tag>:<remote-tag>" (RFC
 * 6230), or with '~' between them (the MEDIACTRL examples) */
bool mixpkg_is_connid(const char *id);

#endif
