/*
 * The Media Control Channel Framework (RFC 6230): its messages, a
 * streaming parser and a printer (cfw_msg.c, cfw_parse.c), and the
 * channel itself over one TCP connection on libre's loop (cfw_chan.c:
 * SYNC, K-ALIVE, CONTROL and REPORT transactions and their timeouts).
 * docs/mscp.md says what of the RFC is covered.
 *
 * Internal to src/mscp and its tests. Signalling thread only (the
 * channel is a libre tcp_conn with libre timers).
 */
#ifndef CAUCUS_MSCP_CFW_H
#define CAUCUS_MSCP_CFW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mbuf;
struct sa;

/* Limits. A transaction id is 4 to 32 alphanumerics (the trans-id of
 * RFC 6230's syntax); the rest are ours: a peer that passes them gets a
 * 400, or the connection is closed where the stream cannot be followed
 * any more (see cfw_parse.c). */
#define CFW_TID_MIN 4
#define CFW_TID_MAX 32
#define CFW_HDRS_MAX 24          /* header fields in one message */
#define CFW_LINE_MAX 1024        /* one line, CRLF included */
#define CFW_HEAD_MAX 8192        /* the start line and the headers */
#define CFW_BODY_MAX 65536       /* Content-Length */
#define CFW_MNAME_MAX 16         /* a method's name */

enum cfw_method {
	CFW_M_NONE = 0,          /* a response */
	CFW_SYNC,
	CFW_CONTROL,
	CFW_REPORT,
	CFW_KALIVE,
	CFW_M_OTHER,             /* well formed but unknown: 405 */
};

/* The header fields of RFC 6230's syntax; anything else is kept as an
 * extension header (CFW_H_EXT) and printed back as it came */
enum cfw_hdr_id {
	CFW_H_EXT = 0,
	CFW_H_CONTENT_LENGTH,
	CFW_H_CONTENT_TYPE,
	CFW_H_CONTROL_PACKAGE,
	CFW_H_DIALOG_ID,
	CFW_H_KEEP_ALIVE,
	CFW_H_PACKAGES,
	CFW_H_SEQ,
	CFW_H_STATUS,
	CFW_H_SUPPORTED,
	CFW_H_TIMEOUT,
	CFW_H_COUNT
};

enum cfw_status { CFW_ST_NONE = 0, CFW_ST_UPDATE, CFW_ST_TERMINATE };

/* Framework response codes (RFC 6230 s. 7) */
enum {
	CFW_OK = 200,
	CFW_ACCEPTED = 202,            /* REPORTs follow */
	CFW_BAD_REQUEST = 400,         /* syntactically incorrect */
	CFW_FORBIDDEN = 403,           /* understood, refused */
	CFW_NOT_ALLOWED = 405,         /* the method is not supported */
	CFW_OUT_OF_SEQUENCE = 406,     /* e.g. CONTROL before SYNC */
	CFW_BAD_PACKAGE = 420,         /* Control-Package not negotiated */
	CFW_NO_RENEGOTIATION = 421,    /* a second SYNC */
	CFW_NO_PACKAGE = 422,          /* none of the SYNC's packages */
	CFW_TID_IN_USE = 423,          /* the transaction id is taken */
	CFW_NO_TRANSACTION = 481,      /* no such transaction / dialog */
	CFW_NOT_UNDERSTOOD = 500,
};

struct cfw_hdr {
	enum cfw_hdr_id id;
	char *name;                  /* as received (extension headers) */
	char *val;
};

/* A message, parsed or to be sent. Everything it points to is its own
 * (mem_deref frees it all). */
struct cfw_msg {
	bool req;
	char tid[CFW_TID_MAX + 1];
	enum cfw_method method;
	char mname[CFW_MNAME_MAX + 1];   /* the method as sent */
	uint16_t scode;
	char *reason;                    /* a response's comment, or NULL */
	struct cfw_hdr hdr[CFW_HDRS_MAX];
	unsigned nhdr;
	/* decoded from the headers when present */
	uint32_t keep_alive_s, seq, timeout_s;
	enum cfw_status status;
	uint8_t *body;
	size_t blen;
};

const char *cfw_reason(uint16_t code);
const char *cfw_method_name(enum cfw_method m);
const char *cfw_hdr_name(enum cfw_hdr_id id);

/* Building: a request (method) or a response (scode, reason may be
 * NULL). Headers print in the order they are added; Content-Length is
 * added by the printer when there is a body. */
int  cfw_msg_request(struct cfw_msg **mp, const char *tid,
		     enum cfw_method method);
int  cfw_msg_response(struct cfw_msg **mp, const char *tid, uint16_t scode,
		      const char *reason);
int  cfw_msg_add(struct cfw_msg *m, enum cfw_hdr_id id, const char *val);
int  cfw_msg_addf(struct cfw_msg *m, enum cfw_hdr_id id, const char *fmt,
		  ...);
int  cfw_msg_body(struct cfw_msg *m, const char *ctype, const void *body,
		  size_t len);
/* The value of header id (the first), or NULL */
const char *cfw_msg_hdr(const struct cfw_msg *m, enum cfw_hdr_id id);
/* Prints m as it goes on the wire (Content-Length from the body) */
int  cfw_msg_encode(struct mbuf *mb, const struct cfw_msg *m);
/* A fresh transaction id: 12 random alphanumerics */
void cfw_tid_new(char tid[CFW_TID_MAX + 1]);

/*
 * Parsing one message from the head of buf. 0: *mp is a message, *used
 * the bytes it took. EAGAIN: not complete yet (nothing is wrong so far).
 * EBADMSG: malformed: *err is the framework code to answer with (400,
 * 405 is not an error here: an unknown method parses as CFW_M_OTHER),
 * *why a reason for logs and the response, tid the transaction id when
 * it could be read (else ""), and *used the bytes to drop before the
 * next message, or 0 when the stream cannot be followed any more (the
 * connection must go).
 */
struct cfw_perr {
	uint16_t code;
	const char *why;
	char tid[CFW_TID_MAX + 1];
	bool fatal;
	bool response;     /* it was a response (nothing to answer) */
};
int  cfw_msg_decode(struct cfw_msg **mp, struct cfw_perr *perr,
		    const uint8_t *buf, size_t len, size_t *used);

/* A stream parser: bytes in any pieces, a call per message or error.
 * The handler returns false to stop (it may have freed the parser's
 * owner); a fatal error stops the parser for good. */
struct cfw_parser;
typedef bool (cfw_parse_h)(struct cfw_msg *msg, const struct cfw_perr *perr,
			   void *arg);
int  cfw_parser_alloc(struct cfw_parser **pp, cfw_parse_h *h, void *arg);
/* 0, or EPROTO once a fatal error was reported */
int  cfw_parser_feed(struct cfw_parser *p, const uint8_t *data, size_t len);

/*
 * The channel. The AS side (Control Client, COMEDIA active) connects and
 * sends SYNC; the MS side (Control Server) listens and answers it. Both
 * then send CONTROL requests (the MS's events are CONTROLs too) and
 * K-ALIVEs. A CONTROL is answered at once (200 or an error) or with 202
 * and later REPORTs (update..., terminate).
 */
struct cfw_chan;
struct cfw_listener;

struct cfw_chan_cfg {
	const char *dialog_id;     /* AS: its cfw-id, sent in SYNC */
	const char *packages;      /* AS: offered; MS: supported
				    * ("msc-mixer/1.0", comma separated) */
	uint32_t keepalive_s;      /* AS: offered in SYNC (0: 100) */
	uint32_t txn_timeout_ms;   /* a request's answer (0: 10000) */
	unsigned max_chans;        /* MS: connections at once (0: 16) */
};

typedef void (cfw_estab_h)(struct cfw_chan *ch, void *arg);
/* A CONTROL for us: answer it with cfw_chan_reply (now or later) */
typedef void (cfw_control_h)(struct cfw_chan *ch, const struct cfw_msg *req,
			     void *arg);
/* The channel is gone (err: ETIMEDOUT keep-alive, ECONNRESET peer,
 * EPROTO malformed stream, or the SYNC's refusal as EPERM) */
typedef void (cfw_close_h)(struct cfw_chan *ch, int err, const char *why,
			   void *arg);
/* MS: whether a SYNC's Dialog-ID names one of our control dialogs */
typedef bool (cfw_dialog_h)(const char *dialog_id, void *arg);

struct cfw_handlers {
	cfw_estab_h *estabh;
	cfw_control_h *controlh;
	cfw_close_h *closeh;
	cfw_dialog_h *dialogh;      /* MS; NULL: any Dialog-ID */
	void *arg;
};

/* An answer (or ETIMEDOUT / ECONNRESET with msg NULL) to our CONTROL:
 * 202 and each REPORT come with more to follow (REPORTs are answered by
 * the channel); a final code, a REPORT terminate or an error is the last
 * call. */
typedef void (cfw_resp_h)(int err, const struct cfw_msg *msg, void *arg);

/* AS: connects to peer, sends SYNC; estabh once its 200 came */
int  cfw_chan_connect(struct cfw_chan **chp, const struct sa *peer,
		      const struct cfw_chan_cfg *cfg,
		      const struct cfw_handlers *h);
/* MS: listens; each accepted connection becomes a channel (owned by the
 * listener; estabh once it synced) */
int  cfw_listen(struct cfw_listener **lp, const struct sa *laddr,
		const struct cfw_chan_cfg *cfg, const struct cfw_handlers *h);
int  cfw_listener_port(const struct cfw_listener *l, uint16_t *port);
/* Closes a channel of the listener (ch is freed; no handler called) */
void cfw_chan_close(struct cfw_chan *ch);
/* Sends a CONTROL of package with body; rh hears of its answers */
int  cfw_chan_control(struct cfw_chan *ch, const char *package,
		      const char *ctype, const void *body, size_t len,
		      cfw_resp_h *rh, void *arg);
/* Answers the CONTROL tid: scode 200 (with a body or not), 202 (then
 * timeout_s is the time to the first REPORT), or an error */
int  cfw_chan_reply(struct cfw_chan *ch, const char *tid, uint16_t scode,
		    uint32_t timeout_s, const char *ctype, const void *body,
		    size_t len);
/* A REPORT on the CONTROL tid answered 202 (terminate ends it) */
int  cfw_chan_report(struct cfw_chan *ch, const char *tid,
		     enum cfw_status st, uint32_t timeout_s,
		     const char *ctype, const void *body, size_t len);
/* The packages both sides agreed on (after SYNC), and the keep-alive */
const char *cfw_chan_packages(const struct cfw_chan *ch);
uint32_t cfw_chan_keepalive(const struct cfw_chan *ch);
/* Its control dialog's id: the AS's own; the MS's, the SYNC's
 * Dialog-ID once synced (NULL before) */
const char *cfw_chan_dialog_id(const struct cfw_chan *ch);

#endif
