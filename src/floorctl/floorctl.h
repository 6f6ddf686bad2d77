/*
 * The BFCP floor control server (RFC 8855; docs/floor.md): BFCP over UDP
 * and over TCP on one port number, in front of the conferences' floors
 * (conf/floor.h, which decides). A BFCP conference id is conf_room() of
 * a conference, a user id the number of a participant's part_id().
 *
 * The transports are ours: libre's bfcp_conn keeps one transaction and
 * one cached reply for all peers and drops what it cannot decode without
 * an Error, so only libre's message codec (bfcp_msg_decode, its attribute
 * encoder) is used. Signalling thread only.
 */
#ifndef CAUCUS_FLOORCTL_H
#define CAUCUS_FLOORCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct confs;
struct floorctl;
struct mbuf;
struct sa;

struct floorctl_cfg {
	const char *addr;          /* where it listens */
	uint16_t port;             /* UDP and TCP (0: any free one) */
	unsigned max_conns;        /* TCP connections at once (0: 256) */
	unsigned max_conns_per_source;   /* from one address (0: 8) */
	bool no_sockets;           /* tests, fuzzing: nothing listens, what
				    * it sends goes to the sink */
};

/* Starts it and becomes the conferences' floor handler */
int  floorctl_alloc(struct floorctl **fcp, const struct floorctl_cfg *cfg,
		    struct confs *cs);
uint16_t floorctl_port(const struct floorctl *fc);

/* Tests and the fuzz target: what it sends goes to h, not the network */
typedef void (floorctl_sink_h)(bool tcp, const struct sa *dst,
			       const uint8_t *data, size_t len, void *arg);
void floorctl_set_sink(struct floorctl *fc, floorctl_sink_h *h, void *arg);
/* One datagram from src, as the UDP socket would hand it */
void floorctl_recv_udp(struct floorctl *fc, const struct sa *src,
		       const uint8_t *data, size_t len);
/* A TCP connection from src that carries data (in pieces of chunk
 * bytes, 0: at once) and then closes */
void floorctl_recv_stream(struct floorctl *fc, const struct sa *src,
			  const uint8_t *data, size_t len, size_t chunk);

/*
 * The messages the server builds (fc_enc.c), one function each, into mb
 * at its position. The common header's R bit is `r`; lengths are in
 * 4-byte words, every attribute padded to 4 bytes.
 */
struct floorctl_hdr {
	uint8_t ver;               /* 1 or 2 */
	bool r;                    /* a response (UDP only) */
	uint32_t confid;
	uint16_t tid;
	uint16_t userid;
};

/* One floor request as FLOOR-REQUEST-INFORMATION carries it; strings
 * NULL or "" are left out, longer ones cut (the attribute length is one
 * byte: FLOORCTL_STR_MAX, FLOORCTL_URI_MAX) */
#define FLOORCTL_STR_MAX 32
#define FLOORCTL_URI_MAX 64
struct floorctl_reqinfo {
	uint16_t reqid;
	uint16_t floorid;
	uint8_t status;            /* enum bfcp_reqstat */
	uint8_t qpos;
	const char *status_info;
	uint16_t beneficiary;      /* third party: its user id (0: none) */
	const char *ben_name, *ben_uri;
	uint16_t requested_by;     /* who asked for it (0: none) */
	bool has_priority;
	uint8_t priority;
	const char *part_info;     /* PARTICIPANT-PROVIDED-INFO */
};

/* A message with no attributes: ChairActionAck, GoodbyeAck, Goodbye,
 * FloorRequestStatusAck, FloorStatusAck */
int floorctl_enc_plain(struct mbuf *mb, const struct floorctl_hdr *h,
		       uint8_t prim);
int floorctl_enc_hello_ack(struct mbuf *mb, const struct floorctl_hdr *h);
/* Error: ERROR-CODE (details: for code 4 the unknown attributes' types,
 * each shifted left by one), ERROR-INFO if info */
int floorctl_enc_error(struct mbuf *mb, const struct floorctl_hdr *h,
		       uint8_t code, const uint8_t *details, size_t dlen,
		       const char *info);
int floorctl_enc_frs(struct mbuf *mb, const struct floorctl_hdr *h,
		     const struct floorctl_reqinfo *ri);
/* FloorStatus: FLOOR-ID unless floorid is 0, then n requests */
int floorctl_enc_floor_status(struct mbuf *mb, const struct floorctl_hdr *h,
			      uint16_t floorid,
			      const struct floorctl_reqinfo *riv, size_t n);
/* UserStatus: BENEFICIARY-INFORMATION when ben, then n requests */
int floorctl_enc_user_status(struct mbuf *mb, const struct floorctl_hdr *h,
			     uint16_t ben, const char *name, const char *uri,
			     const struct floorctl_reqinfo *riv, size_t n);

const char *floorctl_error_name(uint8_t code);

#endif
