/*
 * DTLS-SRTP of a call (RFC 5763, 5764): the handshakes on its RTP port
 * and, without rtcp-mux, its RTCP port, whose keys go to the mixer.
 *
 * The media sockets belong to the mixer threads, which hand the DTLS
 * records they read (RFC 7983: first byte 20 to 63) to this thread
 * (mixer_cfg.packet_h, focus_dtls_packet). libre's DTLS wants a
 * udp_sock: each component has one on 127.0.0.1 that only carries
 * helpers; below DTLS, a helper of ours sends its records with a dup of
 * the media socket, so they leave from the port our SDP names.
 *
 * Who may handshake: any source while the component has no keys (a NAT
 * may show the peer at an address the SDP does not name); once keyed,
 * only the peer that gave the keys. A source new to us starts with a
 * ClientHello or is not heard. Anyone can forge one, from any address,
 * so nothing a stranger sends may use the call's handshakes up for good:
 * at most DTLS_CONNS are under way at once, one that ends without keys
 * frees its place, and a ClientHello that finds them all taken pushes
 * out the oldest. Forgeries sent before the peer's ClientHello cannot
 * keep it out; a flood that goes on through its handshake can still
 * push it out (the mixer passes a stream DTLS_PER_WIN records a second).
 * A handshake counts only when the certificate's sha-256 is the SDP's
 * a=fingerprint. A wrong one from the host the peer signalled (its SDP
 * address or the source of its INVITE) ends the call at once; from
 * anywhere else it is dropped, and a call whose RTP has no keys after
 * DTLS_TIMEOUT_MS ends too. Keys are never logged. Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "mixer/mixer.h"
#include "sip/dtls.h"
#include "util/log.h"

enum {
	DTLS_CONNS = 4,             /* handshakes of a component at once */
	DTLS_TIMEOUT_MS = 10000,    /* for the RTP keys */
	LAYER_SEND = -100,          /* our helper, below DTLS */
	LAYER_DTLS = 20,
};

struct dcomp;

struct dconn {
	struct dcomp *c;
	struct tls_conn *tc;        /* NULL: a free place */
	unsigned age;               /* its order of starting: lowest, oldest */
	bool ours;                  /* our dtls_connect: never pushed out */
};

struct dcomp {
	struct dtls_call *dc;
	bool rtcp;
	int fd;                     /* dup of the media socket; -1: none */
	struct udp_sock *us;
	struct udp_helper *uh;
	struct dtls_sock *ds;
	struct dconn conn[DTLS_CONNS];
	unsigned started;           /* handshakes so far (their age) */
	struct sa peer;             /* who gave the keys */
	struct mixer_srtp_keys keys;
};

struct dtls_call {
	struct focus *f;
	struct dcomp comp[2];       /* RTP, RTCP */
	uint8_t peer_fp[SDPSEC_FP_LEN];
	bool active;                /* we are the DTLS client */
	struct sa sdp_addr;         /* the peer's, in its SDP */
	struct sa sig_src;          /* where its INVITE came from */
	struct tmr tmr;             /* handshake deadline, deferred ends */
	const char *fail;           /* why the call ends (deferred) */
	dtls_keys_h *keysh;
	dtls_fail_h *failh;
	void *arg;
};

static void comp_reset(struct dcomp *c)
{
	for (unsigned i = 0; i < DTLS_CONNS; i++) {
		c->conn[i].tc = mem_deref(c->conn[i].tc);
		c->conn[i].ours = false;
	}
	c->ds = mem_deref(c->ds);
	c->uh = mem_deref(c->uh);
	c->us = mem_deref(c->us);
	c->started = 0;
	memset(&c->keys, 0, sizeof(c->keys));
	sa_init(&c->peer, AF_UNSPEC);
}

static void dtls_call_destructor(void *arg)
{
	struct dtls_call *dc = arg;

	tmr_cancel(&dc->tmr);
	for (int i = 0; i < 2; i++) {
		comp_reset(&dc->comp[i]);
		if (dc->comp[i].fd >= 0)
			close(dc->comp[i].fd);
	}
}

int focus_dtls_init(struct focus *f)
{
	int err = tls_alloc(&f->dtls_tls, TLS_METHOD_DTLS, NULL, NULL);

	/* a certificate of this run: peers check it against the
	 * fingerprint in our SDP, not against any CA */
	err = err ? err : tls_set_selfsigned_rsa(f->dtls_tls, "caucus",
						 2048);
	/* the peer's certificate is asked for (as a server too) and taken
	 * whoever signed it: the fingerprint check is the trust */
	if (!err)
		tls_set_verify_client(f->dtls_tls);
	err = err ? err : tls_set_srtp(f->dtls_tls,
				       "SRTP_AES128_CM_SHA1_80:"
				       "SRTP_AES128_CM_SHA1_32:"
				       "SRTP_AEAD_AES_128_GCM");
	err = err ? err : tls_fingerprint(f->dtls_tls, TLS_FINGERPRINT_SHA256,
					  f->dtls_fp, sizeof(f->dtls_fp));
	if (err) {
		log_warn("sip", "msg=\"no DTLS-SRTP: cannot make its "
			 "certificate\" err=%m", err);
		f->dtls_tls = mem_deref(f->dtls_tls);
	}
	return err;
}

static bool send_h(int *err, struct sa *dst, struct mbuf *mb, void *arg)
{
	struct dcomp *c = arg;

	if (sendto(c->fd, mbuf_buf(mb), mbuf_get_left(mb), MSG_DONTWAIT,
		   &dst->u.sa, dst->len) < 0)
		*err = errno;
	return true;
}

/* nothing but our own records goes through the carrier socket */
static bool recv_h(struct sa *src, struct mbuf *mb, void *arg)
{
	(void)src;
	(void)mb;
	(void)arg;
	return true;
}

static void deadline_h(void *arg)
{
	struct dtls_call *dc = arg;

	dc->f->stats.dtls_failed++;
	dc->failh(dc->fail ? dc->fail : "DTLS-SRTP handshake did not "
		  "complete", dc->arg);    /* frees dc */
}

/* ends the call out of libre's handler (the connection is in use) */
static void fail_later(struct dtls_call *dc, const char *why)
{
	dc->fail = why;
	tmr_start(&dc->tmr, 0, deadline_h, dc);
}

static size_t key_len(enum srtp_suite s)
{
	return s == SRTP_AES_128_GCM ? 28 : 30;
}

/* A handshake done that gives no keys holds no place: libre lets its
 * estab handler drop the connection */
static void conn_drop(struct dconn *d)
{
	d->tc = mem_deref(d->tc);
}

static void estab_h(void *arg)
{
	struct dconn *d = arg;
	struct dcomp *c = d->c;
	struct dtls_call *dc = c->dc;
	const struct sa *peer = dtls_peer(d->tc);
	uint8_t fp[SDPSEC_FP_LEN], cli[32], srv[32];
	enum srtp_suite suite;
	int err;

	err = tls_peer_fingerprint(d->tc, TLS_FINGERPRINT_SHA256, fp,
				   sizeof(fp));
	if (err || memcmp(fp, dc->peer_fp, sizeof(fp))) {
		dc->f->stats.dtls_mismatch++;
		log_info("sip", "msg=\"DTLS refused: the certificate is not "
			 "the SDP's fingerprint\" src=%J component=%s", peer,
			 c->rtcp ? "rtcp" : "rtp");
		if (sa_cmp(peer, &dc->sdp_addr, SA_ADDR) ||
		    (sa_isset(&dc->sig_src, SA_ADDR) &&
		     sa_cmp(peer, &dc->sig_src, SA_ADDR)))
			fail_later(dc, "DTLS fingerprint does not match the "
				   "SDP");
		conn_drop(d);              /* peer and fp were logged */
		return;
	}
	if (c->keys.set)                    /* another source was first */
		return;
	err = tls_srtp_keyinfo(d->tc, &suite, cli, sizeof(cli), srv,
			       sizeof(srv));
	if (err) {
		log_info("sip", "msg=\"DTLS without SRTP keys\" src=%J "
			 "err=%m", peer, err);
		conn_drop(d);
		return;
	}
	c->keys.set = true;
	c->keys.suite = (int)suite;
	c->keys.len = (uint8_t)key_len(suite);
	/* the client's key protects what the client sends */
	memcpy(c->keys.rx, dc->active ? srv : cli, c->keys.len);
	memcpy(c->keys.tx, dc->active ? cli : srv, c->keys.len);
	c->peer = *peer;
	if (!c->rtcp) {
		tmr_cancel(&dc->tmr);
		dc->f->stats.dtls_ok++;
	}
	log_dbg("sip", "msg=\"DTLS-SRTP keyed\" src=%J component=%s "
		"suite=%s", peer, c->rtcp ? "rtcp" : "rtp",
		srtp_suite_name(suite));
	dc->keysh(dc->arg);
}

static void close_h(int err, void *arg)
{
	struct dconn *d = arg;

	log_dbg("sip", "msg=\"DTLS closed\" err=%m", err);
	d->tc = mem_deref(d->tc);
}

/* A place for a new handshake: a free one, else the oldest under way
 * (without keys every connection kept is one: estab_h drops the rest).
 * Pushing out rather than refusing: what fills the places may be forged
 * at no cost, and the genuine peer's ClientHello must still get in. The
 * cost: a genuine handshake pushed out fails (its next flight starts
 * nothing), which takes DTLS_CONNS newer ClientHellos during it. */
static struct dconn *conn_slot(struct dcomp *c)
{
	struct dconn *old = NULL;

	for (unsigned i = 0; i < DTLS_CONNS; i++) {
		struct dconn *d = &c->conn[i];

		if (!d->tc)
			return d;
		if (!d->ours && (!old || d->age < old->age))
			old = d;
	}
	if (old) {
		log_dbg("sip", "msg=\"DTLS handshake pushed out\" src=%J "
			"component=%s", dtls_peer(old->tc),
			c->rtcp ? "rtcp" : "rtp");
		conn_drop(old);
	}
	return old;
}

/* A ClientHello from a source without a connection. The place is found
 * once OpenSSL has taken the record: one it rejects at once (junk after
 * a ClientHello's header) pushes nobody out. No handler runs inside
 * dtls_accept, so they get their argument afterwards. */
static void conn_h(const struct sa *peer, void *arg)
{
	struct dcomp *c = arg;
	struct tls_conn *tc = NULL;
	struct dconn *d;
	int err;

	if (c->keys.set)                    /* keyed: nobody new */
		return;
	err = dtls_accept(&tc, c->dc->f->dtls_tls, c->ds, NULL, NULL, NULL,
			  NULL);
	if (err) {
		log_dbg("sip", "msg=\"DTLS accept failed\" src=%J err=%m",
			peer, err);
		return;
	}
	d = conn_slot(c);
	if (!d) {
		mem_deref(tc);
		return;
	}
	d->c = c;
	d->tc = tc;
	d->age = c->started++;
	d->ours = false;
	dtls_set_handlers(tc, estab_h, NULL, close_h, d);
}

static int comp_start(struct dcomp *c, const struct sa *raddr)
{
	struct focus *f = c->dc->f;
	struct sa lo;
	int err;

	if (c->fd < 0)
		return 0;
	sa_set_str(&lo, "127.0.0.1", 0);
	err = udp_listen(&c->us, &lo, NULL, NULL);
	err = err ? err : udp_register_helper(&c->uh, c->us, LAYER_SEND,
					      send_h, recv_h, c);
	err = err ? err : dtls_listen(&c->ds, NULL, c->us, 4, LAYER_DTLS,
				      conn_h, c);
	if (err)
		return err;
	if (!c->dc->active || !sa_isset(raddr, SA_ALL))
		return 0;
	c->conn[0].c = c;
	c->conn[0].age = c->started++;
	c->conn[0].ours = true;
	return dtls_connect(&c->conn[0].tc, f->dtls_tls, c->ds, raddr,
			    estab_h, NULL, close_h, &c->conn[0]);
}

/* (Re)starts both components: a new fingerprint or role means a new
 * association (RFC 5763 s. 5), and the stream waits for its keys */
static int dtls_restart(struct dtls_call *dc, const struct sdpneg_result *r)
{
	int err;

	memcpy(dc->peer_fp, r->peer_fp, sizeof(dc->peer_fp));
	dc->active = r->dtls_active;
	dc->sdp_addr = r->rtp;
	dc->fail = NULL;
	comp_reset(&dc->comp[0]);
	comp_reset(&dc->comp[1]);
	err = comp_start(&dc->comp[0], &r->rtp);
	err = err ? err : comp_start(&dc->comp[1], &r->rtcp);
	tmr_start(&dc->tmr, DTLS_TIMEOUT_MS, deadline_h, dc);
	return err;
}

int dtls_call_update(struct dtls_call **dcp, struct focus *f,
		     const struct sdpneg_result *r, const struct sa *sig_src,
		     const int fd[2], dtls_keys_h *keysh, dtls_fail_h *failh,
		     void *arg)
{
	struct dtls_call *dc = *dcp;

	if (r->removed || r->sec != SDPSEC_DTLS) {
		*dcp = mem_deref(*dcp);
		return 0;
	}
	if (dc && dc->active == r->dtls_active &&
	    !memcmp(dc->peer_fp, r->peer_fp, sizeof(dc->peer_fp)))
		return 0;                      /* the same association */
	if (!dc) {
		if (fd[0] < 0)
			return EBADF;
		dc = mem_zalloc(sizeof(*dc), dtls_call_destructor);
		if (!dc)
			return ENOMEM;
		dc->f = f;
		dc->keysh = keysh;
		dc->failh = failh;
		dc->arg = arg;
		if (sig_src)
			dc->sig_src = *sig_src;
		for (int i = 0; i < 2; i++) {
			dc->comp[i].dc = dc;
			dc->comp[i].rtcp = i == 1;
			dc->comp[i].fd = fd[i] < 0 ? -1 : dup(fd[i]);
			sa_init(&dc->comp[i].peer, AF_UNSPEC);
		}
		if (dc->comp[0].fd < 0) {
			mem_deref(dc);
			return errno ? errno : EBADF;
		}
		*dcp = dc;
	}
	return dtls_restart(dc, r);
}

void dtls_call_keys(const struct dtls_call *dc, struct mixer_srtp *k)
{
	if (!dc)
		return;
	k->rtp = dc->comp[0].keys;
	k->rtcp = dc->comp[1].keys;
}

/* RFC 6347 s. 4.1: a record's 13-byte header (type 22: handshake; the
 * epoch 0 at bytes 3-4), then the handshake's type: 1, ClientHello */
static bool is_client_hello(const uint8_t *p, size_t len)
{
	return len > 13 && p[0] == 22 && !p[3] && !p[4] && p[13] == 1;
}

static bool conn_known(const struct dcomp *c, const struct sa *src)
{
	for (unsigned i = 0; i < DTLS_CONNS; i++)
		if (c->conn[i].tc &&
		    sa_cmp(dtls_peer(c->conn[i].tc), src, SA_ALL))
			return true;
	return false;
}

void dtls_call_packet(struct dtls_call *dc, bool rtcp,
		      const struct sockaddr_storage *src, socklen_t srclen,
		      const uint8_t *data, size_t len)
{
	struct dcomp *c;
	struct mbuf *mb;
	struct sa sa;

	if (!dc)
		return;
	c = &dc->comp[rtcp];
	if (!c->ds || srclen > sizeof(sa.u) ||
	    sa_set_sa(&sa, (const struct sockaddr *)src))
		return;
	/* keyed: the peer that gave the keys only (a retransmitted
	 * Finished, an alert) */
	if (c->keys.set && !sa_cmp(&sa, &c->peer, SA_ALL))
		return;
	/* a source new to us starts with a ClientHello: libre would give
	 * OpenSSL anything as one, and an SSL object to refuse junk */
	if (!conn_known(c, &sa) && !is_client_hello(data, len))
		return;
	mb = mbuf_alloc(len);
	if (!mb)
		return;
	(void)mbuf_write_mem(mb, data, len);
	mb->pos = 0;
	dtls_recv_packet(c->ds, &sa, mb);
	mem_deref(mb);
}
