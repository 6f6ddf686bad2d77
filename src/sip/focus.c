/*
 * The focus UA: the SIP stack, its transports, and the dispatch of
 * requests that do not belong to a call: INVITEs to call_in.c, the rest
 * by the table of methods (methods.c), anything unknown a clear refusal.
 * Also the graceful shutdown (BYE everyone, wait for the transactions).
 * Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "sip/digest.h"
#include "sip/dtls.h"
#include "sip/msc.h"
#include "sip/overload.h"
#include "sip/sip_int.h"
#include "util/log.h"

/* libre's transaction tables never rehash: size them for thousands of
 * calls in flight (LIBRE-NOTES.md: 32 buckets cost 42 % CPU at 200/s) */
#define SIP_HASH_SIZE 8192

/* the length of the first token of p (up to c or len) */
static size_t token_len(const char *p, size_t len, char c)
{
	const char *e = memchr(p, c, len);

	return e ? (size_t)(e - p) : len;
}

/* Every SIP message in and out passes here (libre's trace hook): the
 * counters of /metrics, from the wire, whoever answers. */
static void sip_trace(bool tx, enum sip_transp tp, const struct sa *src,
		      const struct sa *dst, const uint8_t *pkt, size_t len,
		      void *arg)
{
	struct focus *f = arg;
	const char *p = (const char *)pkt;

	(void)tp;
	(void)src;
	(void)dst;
	if (len >= 12 && !memcmp(p, "SIP/2.0 ", 8)) {
		if (tx) {
			unsigned c = (unsigned)(p[8] - '0');

			f->stats.resp_tx[c >= 1 && c <= 6 ? c : 0]++;
		}
		return;
	}
	if (tx)
		return;
	f->stats.req_rx[focus_method_index(p, token_len(p, len, ' '))]++;
}

/* The conference a request URI names: its id, or a sidebar's alias
 * (<conf>+<sidebar>) */
static struct conf *conf_of(const struct focus *f, const struct sip_msg *msg)
{
	struct sidebar *sb;
	char id[65];

	if (!pl_isset(&msg->uri.user) || msg->uri.user.l >= sizeof(id))
		return NULL;
	pl_strcpy(&msg->uri.user, id, sizeof(id));
	return confs_lookup_user(f->confs, id, &sb);
}


static bool to_factory(const struct focus *f, const struct sip_msg *msg)
{
	return f->factory_user[0] &&
		!pl_strcmp(&msg->uri.user, f->factory_user);
}

/* RFC 4579 s. 5.4: an INVITE to the factory URI makes a conference, its
 * caller the administrator; the 200's Contact is the new conference URI
 * with ;isfocus. Ad-hoc: it ends when the last participant leaves. */
static void factory_invite(struct focus *f, const struct sip_msg *msg)
{
	struct conf *c = NULL;
	int err = conf_create_adhoc(f->confs, "Ad-hoc conference", &c);

	if (err) {
		focus_reply(f, msg, 503, "Service Unavailable (cannot create "
			    "a conference)", NULL);
		return;
	}
	mem_ref(c);           /* a refused call may already destroy it */
	err = call_accept(f, c, msg, "administrator");
	if (err && !conf_destroyed(c))
		(void)conf_destroy(c);    /* the call was refused */
	else if (!err)
		log_info("sip", "msg=\"conference created by factory URI\" "
			 "conf=%s", conf_id(c));
	mem_deref(c);
}

/* RFC 3911: Join names a dialog (Call-ID, to-tag, from-tag) as seen by
 * the focus; the caller joins that dialog's conference */
struct join_ctx {
	struct pl callid, to_tag, from_tag;
	struct participant *found;
};

static bool join_part_h(struct participant *p, void *arg)
{
	struct join_ctx *j = arg;
	const struct part_dialog *d = part_dialog(p);

	if (!part_ep(p) || pl_strcmp(&j->callid, d->call_id))
		return false;
	/* our tags in the order of the initial request: dial-ins have
	 * ours in To, dial-outs in From */
	if ((!pl_strcmp(&j->to_tag, d->to_tag) &&
	     !pl_strcmp(&j->from_tag, d->from_tag)) ||
	    (!pl_strcmp(&j->to_tag, d->from_tag) &&
	     !pl_strcmp(&j->from_tag, d->to_tag))) {
		j->found = p;
		return true;
	}
	return false;
}

static bool join_conf_h(struct conf *c, void *arg)
{
	return conf_apply_parts(c, join_part_h, arg) != NULL;
}

static void join_invite(struct focus *f, const struct sip_msg *msg)
{
	const struct sip_hdr *h = sip_msg_xhdr(msg, "Join");
	struct join_ctx j = {0};
	struct pl params = PL_INIT;
	const char *semi = h ? memchr(h->val.p, ';', h->val.l) : NULL;

	if (semi) {
		j.callid.p = h->val.p;
		j.callid.l = (size_t)(semi - h->val.p);
		params.p = semi;
		params.l = h->val.l - j.callid.l;
	}
	if (sip_msg_xhdr_count(msg, "Join") != 1 || !semi ||
	    msg_param_decode(&params, "to-tag", &j.to_tag) ||
	    msg_param_decode(&params, "from-tag", &j.from_tag) ||
	    !j.callid.l || !j.to_tag.l || !j.from_tag.l) {
		focus_reply(f, msg, 400, "Bad Request (malformed Join header)",
			    NULL);
		return;
	}
	while (j.callid.l && (j.callid.p[j.callid.l - 1] == ' ' ||
			      j.callid.p[j.callid.l - 1] == '\t'))
		j.callid.l--;
	(void)confs_apply(f->confs, join_conf_h, &j);
	if (!j.found) {
		focus_reply(f, msg, 481, "Call/Transaction Does Not Exist "
			    "(Join names no dialog of ours)", NULL);
		return;
	}
	log_info("sip", "msg=\"join by dialog\" conf=%s pid=%s",
		 conf_id(part_conf(j.found)), part_id(j.found));
	(void)call_accept(f, part_conf(j.found), msg, NULL);
}

static void invite_handler(const struct sip_msg *msg, void *arg)
{
	struct focus *f = arg;
	struct conf *c;

	f->stats.requests_in++;
	f->stats.invites_in++;
	if (f->shutting_down) {
		focus_reply(f, msg, 503, "Service Unavailable (shutting down)",
			    "Retry-After: 30\r\n");
		return;
	}
	/* --role mixer: no conferences here, and no admission by load:
	 * its callers are the focus's media connections, which the focus
	 * already admitted */
	if (f->ms) {
		ms_ua_invite(f, msg);
		return;
	}
	/* before any lookup: a refusal for load must cost next to nothing
	 * (requests inside dialogs never come here: they are never
	 * refused for load) */
	if (!overload_admit(f->ovl, msg))
		return;
	if (sip_msg_xhdr(msg, "Join")) {
		join_invite(f, msg);
		return;
	}
	if (to_factory(f, msg)) {
		factory_invite(f, msg);
		return;
	}
	c = conf_of(f, msg);
	if (!c) {
		focus_reply(f, msg, 404, "Conference Not Found", NULL);
		return;
	}
	(void)call_accept(f, c, msg, NULL);
}

/* Requests outside a call that no call and no subscription took: by the
 * table of methods, after the conference lookup (404 for a conference
 * that does not exist, whatever the method: ACK excepted, it gets no
 * answer). */
static bool request_handler(const struct sip_msg *msg, void *arg)
{
	struct focus *f = arg;
	const struct focus_method *m;
	bool to_conf = !f->ms && pl_isset(&msg->uri.user);
	struct conf *c = to_conf ? conf_of(f, msg) : NULL;
	int i = focus_method_index(msg->met.p, msg->met.l);
	char hdr[160];

	f->stats.requests_in++;
	if (f->ms && ms_ua_request(f, msg))
		return true;
	if (to_conf && !c && !to_factory(f, msg) &&
	    pl_strcmp(&msg->met, "ACK")) {
		focus_reply(f, msg, 404, "Conference Not Found", NULL);
		return true;
	}
	re_snprintf(hdr, sizeof(hdr), "Allow: %s\r\n", f->allow);
	if (i == FOCUS_NMETHODS - 1) {
		focus_reply(f, msg, 501, "Not Implemented", hdr);
		return true;
	}
	m = &focus_methods[i];
	if (!m->allow || !m->outside) {
		focus_reply(f, msg, 405, "Method Not Allowed", hdr);
		return true;
	}
	if (m->conf && !c) {
		focus_reply(f, msg, 404, "Not Found (the request URI names no "
			    "conference)", NULL);
		return true;
	}
	m->outside(f, c, msg);
	return true;
}

static void sip_exit_handler(void *arg);

static void on_conf_change(struct conf *c, bool destroyed, void *arg)
{
	(void)destroyed;
	refer_conf_changed(arg, c);
}


static void focus_destructor(void *arg)
{
	struct focus *f = arg;

	tmr_cancel(&f->shut_tmr);
	if (f->confs)
		confs_remove_change_handler(f->confs, on_conf_change, f);
	mem_deref(f->lsnr);
	mem_deref(f->valid_lsnr);
	/* the helpers before the transport's socket they hang on */
	mem_deref(f->ovl);
	mem_deref(f->udp_guard);
	mem_deref(f->probe_sock);
	msc_close(f);
	mem_deref(f->ms);        /* its sessions BYE while SIP is up */
	if (f->sock)
		sipsess_close_all(f->sock);
	mem_deref(f->sock);
	if (f->sip)
		sip_close(f->sip, true);
	mem_deref(f->sip);
	list_flush(&f->im_copies);   /* their transactions are gone */
	list_flush(&f->refers);
	hash_flush(f->calls);
	mem_deref(f->calls);
	mem_deref(f->vcalls);
	mem_deref(f->digest);
	mem_deref(f->tls);
	mem_deref(f->dtls_tls);
	mem_deref(f->users);
	mem_deref(f->limit);
}

static int conf_dial(struct participant *p, void *arg)
{
	return call_dial(arg, p);
}

static void conf_hangup(struct participant *p, void *arg)
{
	(void)arg;
	call_hangup(p);
}

static void conf_media(struct participant *p, void *arg)
{
	(void)arg;
	call_apply_settings(p);
}

static void conf_reoffer(struct participant *p, void *arg)
{
	(void)arg;
	call_reoffer(p);
}

static int conf_im(struct participant *p, const struct conf_msg *m,
		   void *arg)
{
	return im_send(arg, p, m);
}

static int conf_move(struct participant *p, struct conf *to, void *arg)
{
	(void)arg;
	return call_move(p, to);
}

static void conf_video_h(struct conf *c, void *arg)
{
	call_video_room(arg, c);
}

static int conf_camera(struct participant *p, const char *action, unsigned n,
		       void *arg)
{
	(void)arg;
	return call_camera(p, action, n);
}

static const struct conf_ops focus_conf_ops = {
	.video = conf_video_h,
	.camera = conf_camera,
	.move = conf_move,
	.dial = conf_dial,
	.hangup = conf_hangup,
	.media = conf_media,
	.reoffer = conf_reoffer,
	.message = conf_im,
};

/* SIP over TLS on tls_port, with the certificate of tls_cert, or one
 * made for this run (libre's self-signed RSA: OpenSSL 3 refuses its
 * default kind, LIBRE-NOTES) */
static int tls_start(struct focus *f, const struct focus_cfg *cfg)
{
	bool own = cfg->tls_cert && cfg->tls_cert[0];
	int err;

	err = tls_alloc(&f->tls, TLS_METHOD_SSLV23, own ? cfg->tls_cert :
			NULL, NULL);
	if (err) {
		log_err("sip", "msg=\"cannot load the TLS certificate and "
			"key\" file=%s err=%m", cfg->tls_cert, err);
		return err;
	}
	if (!own) {
		err = tls_set_selfsigned_rsa(f->tls, cfg->sip_addr, 2048);
		if (err) {
			log_err("sip", "msg=\"cannot make a certificate\" "
				"err=%m", err);
			return err;
		}
		log_warn("sip", "msg=\"TLS with a self-signed certificate made "
			 "for this run: set tls_cert\"");
	}
	err = sa_set_str(&f->tls_laddr, cfg->sip_addr, cfg->tls_port);
	err = err ? err : sip_transp_add(f->sip, SIP_TRANSP_TLS, &f->tls_laddr,
					 f->tls);
	if (err)
		log_err("sip", "msg=\"cannot listen\" addr=%J transport=tls "
			"err=%m", &f->tls_laddr, err);
	return err;
}

int focus_alloc(struct focus **fp, const struct focus_cfg *cfg,
		struct confs *cs, struct mixer *mx)
{
	struct focus *f = mem_zalloc(sizeof(*f), focus_destructor);
	int err;

	if (!f)
		return ENOMEM;
	f->confs = cs;
	f->mixer = mx;
	f->video = cfg->video;
	tmr_init(&f->shut_tmr);
	f->rtp_min = (uint16_t)((cfg->rtp_port_min + 1) & ~1u);
	f->rtp_max = cfg->rtp_port_max;
	f->rtp_next = f->rtp_min;
	f->rtp_timeout_ms = cfg->rtp_timeout_s * 1000ull;
	f->moderation_timeout_s = cfg->moderation_timeout_s;
	f->moderation_early = cfg->moderation_early;
	f->bfcp_port = cfg->bfcp_port;
	f->st_cfg.expires = cfg->session_expires_s;
	f->st_cfg.min_se = cfg->session_min_se_s ? cfg->session_min_se_s : 90;
	re_snprintf(f->factory_user, sizeof(f->factory_user), "%s",
		    cfg->factory_user ? cfg->factory_user : "");
	f->users = mem_ref(cfg->users);
	f->limit = mem_ref(cfg->limit);
	if (cfg->realm) {
		err = digest_alloc(&f->digest, cfg->realm, cfg->nonce_ttl_s,
				   cfg->digest_algs ? cfg->digest_algs :
				   "SHA-256,MD5");
		if (err)
			goto out;
	}
	err = sa_set_str(&f->sip_laddr, cfg->sip_addr, cfg->sip_port);
	err = err ? err : sa_set_str(&f->rtp_laddr, cfg->rtp_addr, 0);
	if (err) {
		log_err("sip", "msg=\"bad address\" sip_addr=%s rtp_addr=%s",
			cfg->sip_addr, cfg->rtp_addr);
		goto out;
	}
	err = hash_alloc(&f->calls, 1024);
	err = err ? err : hash_alloc(&f->vcalls, 256);
	err = err ? err : sip_alloc(&f->sip, NULL, SIP_HASH_SIZE,
				    SIP_HASH_SIZE, SIP_HASH_SIZE,
				    "caucus/0.1", sip_exit_handler, f);
	if (err)
		goto out;
	focus_methods_init(f);
	err = overload_alloc(&f->ovl, f, cfg->max_call_rate,
				     cfg->max_subscribe_rate);
	if (err)
		goto out;
	sip_set_trace_handler(f->sip, sip_trace);
	if (cfg->udp)
		err = sip_transp_add(f->sip, SIP_TRANSP_UDP, &f->sip_laddr);
	if (!err && cfg->tcp)
		err = sip_transp_add(f->sip, SIP_TRANSP_TCP, &f->sip_laddr);
	if (err) {
		log_err("sip", "msg=\"cannot listen\" addr=%J err=%m",
			&f->sip_laddr, err);
		goto out;
	}
	if (cfg->tls) {
		err = tls_start(f, cfg);
		if (err)
			goto out;
	}
	/* without it, DTLS-SRTP offers are refused (SDES still works) */
	(void)focus_dtls_init(f);
	/* the gate before every handler: libre offers a request to its
	 * listeners in the order they were added */
	err = sip_listen(&f->valid_lsnr, f->sip, true, focus_validate, f);
	err = err ? err : sipsess_listen(&f->sock, f->sip, SIP_HASH_SIZE,
					 invite_handler, f);
	if (err)
		goto out;
	confs_set_ops(cs, &focus_conf_ops, f);
	err = confs_add_change_handler(cs, on_conf_change, f);
	if (err)
		goto out;
	if (cfg->udp)
		(void)focus_udp_guard_probe(f);     /* logs what fails */
	/* --role focus: the mixer processes, dialled once re_main runs */
	err = msc_start(f, cfg->mixers, cfg->mixer_pool);
	if (err)
		goto out;
	/* --role mixer: a mixer's UA for its focuses */
	if (cfg->focus_allow) {
		err = ms_ua_alloc(&f->ms, f, cfg);
		if (err)
			goto out;
	}
	log_info("sip", "msg=\"listening\" addr=%J udp=%d tcp=%d tls=%d "
		 "tls_port=%u rtp=%j:%u-%u", &f->sip_laddr, cfg->udp, cfg->tcp,
		 cfg->tls, cfg->tls ? cfg->tls_port : 0, &f->rtp_laddr,
		 f->rtp_min, f->rtp_max);
out:
	if (err)
		mem_deref(f);
	else
		*fp = f;
	return err;
}

int focus_start(struct focus *f)
{
	/* libre offers a request to its listeners in the order they were
	 * added: this catch-all must come after the notifier */
	return sip_listen(&f->lsnr, f->sip, true, request_handler, f);
}

struct sip *focus_sip(const struct focus *f)
{
	return f->sip;
}

const struct sa *focus_laddr(const struct focus *f)
{
	return &f->sip_laddr;
}

void focus_mixer_event(struct focus *f, const struct mixer_event *ev)
{
	if (f->ms)
		ms_ua_mixer_event(f->ms, ev);
	else
		call_mixer_event(f, ev);
}

void focus_video_event(struct focus *f, const struct video_event *ev)
{
	call_video_event(f, ev);
}

void focus_mixer_packet(struct focus *f, uint32_t stream_id, bool rtcp,
			const struct sockaddr_storage *src, socklen_t srclen,
			const uint8_t *data, size_t len)
{
	call_mixer_packet(f, stream_id, rtcp, src, srclen, data, len);
}

static void shutdown_done(struct focus *f)
{
	focus_done_h *h = f->doneh;

	tmr_cancel(&f->shut_tmr);
	f->doneh = NULL;
	if (h)
		h(f->done_arg);
}

static void shutdown_timeout(void *arg)
{
	struct focus *f = arg;

	log_warn("sip", "msg=\"shutdown: transactions still open, "
		 "stopping anyway\"");
	shutdown_done(f);
}

static void sip_exit_handler(void *arg)
{
	shutdown_done(arg);
}

void focus_shutdown(struct focus *f, unsigned wait_ms, focus_done_h *doneh,
		    void *arg)
{
	f->shutting_down = true;
	f->doneh = doneh;
	f->done_arg = arg;
	confs_hangup_all(f->confs);
	ms_ua_close_all(f->ms);
	msc_stop(f);           /* BYE to the mixers' pools and channels */
	tmr_start(&f->shut_tmr, wait_ms, shutdown_timeout, f);
	/* waits for the BYE transactions, then calls sip_exit_handler */
	sip_close(f->sip, false);
}

void focus_get_stats(const struct focus *f, struct focus_stats *st)
{
	*st = f->stats;
}
