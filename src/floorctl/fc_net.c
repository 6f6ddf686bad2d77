/*
 * The floor control server's transports (RFC 8855 s. 6): one UDP socket
 * and one TCP listener on the same port number, and the clients.
 *
 * TCP: a message is the common header plus its payload length in words;
 * a connection holds at most FC_MSG_MAX bytes of one (past it: Error 13
 * and the connection goes, the stream cannot be resynchronised).
 * Connections are capped in all and per address.
 *
 * UDP (s. 6.2): a peer gets state (struct fc_client) only once one of
 * its messages passed authorisation (fc_srv.c), so a spoofed flood costs
 * nothing; FC_UDP_CLIENTS_MAX of them, the longest idle goes first. Its
 * responses are kept FC_T2_MS to answer retransmitted requests without
 * acting twice; its notifications (FloorRequestStatus, FloorStatus) are
 * transactions retransmitted from FC_T1_MS, doubling, until acked; after
 * FC_TX_SENDS sends the peer is taken for gone and forgotten.
 * Signalling thread only.
 */
#include <string.h>
#include <re.h>
#include "conf/floor.h"
#include "floorctl/fc_int.h"
#include "util/log.h"

struct fc_tx {
	struct le le;
	struct fc_client *cl;
	struct mbuf *mb;
	struct tmr tmr;
	uint16_t tid;
	unsigned sends;
};

struct fc_cached {
	struct le le;
	struct mbuf *mb;
	uint64_t until_ms;
	uint8_t prim;
	uint32_t confid;
	uint16_t tid, userid;
};

static void tx_destructor(void *arg)
{
	struct fc_tx *tx = arg;

	tmr_cancel(&tx->tmr);
	list_unlink(&tx->le);
	mem_deref(tx->mb);
}

static void cached_destructor(void *arg)
{
	struct fc_cached *ca = arg;

	list_unlink(&ca->le);
	mem_deref(ca->mb);
}

static void client_destructor(void *arg)
{
	struct fc_client *cl = arg;

	if (cl->listed) {
		list_unlink(&cl->le);
		if (cl->tcp)
			cl->fc->ntcp--;
		else
			cl->fc->nudp--;
	}
	if (cl->fc->cur && cl->fc->cur->cl == cl)
		cl->fc->cur->cl = NULL;
	list_flush(&cl->tracks);
	list_flush(&cl->txl);
	list_flush(&cl->cache);
	mem_deref(cl->tc);
	mem_deref(cl->rx);
}

static struct fc_client *client_new(struct floorctl *fc, bool tcp,
				    const struct sa *peer)
{
	struct fc_client *cl = mem_zalloc(sizeof(*cl), client_destructor);

	if (!cl)
		return NULL;
	cl->fc = fc;
	cl->tcp = tcp;
	cl->peer = *peer;
	cl->last_ms = tmr_jiffies();
	cl->next_tid = (uint16_t)(rand_u16() | 1);
	return cl;
}

static void client_list(struct fc_client *cl)
{
	list_append(&cl->fc->clients, &cl->le, cl);
	cl->listed = true;
	if (cl->tcp)
		cl->fc->ntcp++;
	else
		cl->fc->nudp++;
}

/* Forget what the client follows and awaits (Goodbye) */
void fc_client_forget(struct fc_client *cl)
{
	list_flush(&cl->tracks);
	list_flush(&cl->txl);
}

void fc_client_close(struct fc_client *cl)
{
	if (!cl || cl->closed)
		return;
	cl->closed = true;
	log_dbg("floorctl", "msg=\"client gone\" tcp=%d peer=%J", cl->tcp,
		&cl->peer);
	mem_deref(cl);
}

static struct fc_client *udp_find(struct floorctl *fc, const struct sa *src)
{
	for (struct le *le = fc->clients.head; le; le = le->next) {
		struct fc_client *cl = le->data;

		if (!cl->tcp && sa_cmp(&cl->peer, src, SA_ALL))
			return cl;
	}
	return NULL;
}

/* The UDP peer's state; create: make it, the longest idle going when
 * there are FC_UDP_CLIENTS_MAX */
struct fc_client *fc_udp_client(struct floorctl *fc, const struct sa *src,
				bool create)
{
	struct fc_client *cl = udp_find(fc, src), *old = NULL;

	if (cl || !create)
		return cl;
	if (fc->nudp >= FC_UDP_CLIENTS_MAX) {
		for (struct le *le = fc->clients.head; le; le = le->next) {
			struct fc_client *o = le->data;

			if (!o->tcp && (!old || o->last_ms < old->last_ms))
				old = o;
		}
		fc_client_close(old);
	}
	cl = client_new(fc, false, src);
	if (cl)
		client_list(cl);
	return cl;
}

static int raw_send(struct fc_client *cl, struct mbuf *mb)
{
	struct floorctl *fc = cl->fc;
	size_t pos = mb->pos;
	int err;

	if (fc->sink) {
		fc->sink(cl->tcp, &cl->peer, mbuf_buf(mb), mbuf_get_left(mb),
			 fc->sink_arg);
		return 0;
	}
	if (cl->tcp) {
		if (!cl->tc)
			return ENOTCONN;
		err = tcp_send(cl->tc, mb);
	}
	else {
		err = udp_send(fc->us, &cl->peer, mb);
	}
	mb->pos = pos;
	return err;
}

/* A TCP connection whose peer does not read fills its queue: it goes */
int fc_send(struct fc_client *cl, struct mbuf *mb)
{
	int err = raw_send(cl, mb);

	if (err && cl->tcp && cl->listed) {
		log_info("floorctl", "msg=\"closing connection\" peer=%J "
			 "err=%m", &cl->peer, err);
		fc_client_close(cl);
	}
	return err;
}

void fc_cache_add(struct fc_client *cl, const struct bfcp_msg *req,
		  struct mbuf *mb)
{
	struct fc_cached *ca;

	if (cl->tcp || !cl->listed)
		return;
	if (list_count(&cl->cache) >= FC_CACHE_MAX)
		mem_deref(list_ledata(cl->cache.head));
	ca = mem_zalloc(sizeof(*ca), cached_destructor);
	if (!ca)
		return;
	ca->mb = mem_ref(mb);
	ca->until_ms = tmr_jiffies() + FC_T2_MS;
	ca->prim = (uint8_t)req->prim;
	ca->confid = req->confid;
	ca->tid = req->tid;
	ca->userid = req->userid;
	list_append(&cl->cache, &ca->le, ca);
}

/* A retransmitted request: the same response again */
bool fc_cache_resend(struct fc_client *cl, const struct bfcp_msg *msg)
{
	uint64_t now = tmr_jiffies();
	struct le *le = cl->cache.head;

	while (le) {
		struct fc_cached *ca = le->data;

		le = le->next;
		if (ca->until_ms < now) {
			mem_deref(ca);
			continue;
		}
		if (ca->tid == msg->tid && ca->prim == msg->prim &&
		    ca->confid == msg->confid && ca->userid == msg->userid) {
			(void)raw_send(cl, ca->mb);
			return true;
		}
	}
	return false;
}

uint16_t fc_next_tid(struct fc_client *cl)
{
	if (cl->tcp)
		return 0;               /* no transaction over TCP */
	if (!++cl->next_tid)
		cl->next_tid = 1;
	return cl->next_tid;
}

static void tx_tmr(void *arg)
{
	struct fc_tx *tx = arg;
	struct fc_client *cl = tx->cl;

	if (tx->sends >= FC_TX_SENDS) {
		log_info("floorctl", "msg=\"no ack, peer taken for gone\" "
			 "peer=%J", &cl->peer);
		fc_client_close(cl);
		return;
	}
	(void)raw_send(cl, tx->mb);
	tmr_start(&tx->tmr, (uint64_t)FC_T1_MS << tx->sends++, tx_tmr, tx);
}

int fc_notify(struct fc_client *cl, struct mbuf *mb, uint16_t tid)
{
	struct fc_tx *tx;

	if (cl->tcp)
		return fc_send(cl, mb);
	/* the oldest unacknowledged one makes room: newer news wins */
	if (list_count(&cl->txl) >= FC_TX_MAX)
		mem_deref(list_ledata(cl->txl.head));
	tx = mem_zalloc(sizeof(*tx), tx_destructor);
	if (!tx)
		return ENOMEM;
	tx->cl = cl;
	tx->tid = tid;
	tx->mb = mem_ref(mb);
	list_append(&cl->txl, &tx->le, tx);
	tx_tmr(tx);
	return 0;
}

void fc_ack(struct fc_client *cl, uint16_t tid)
{
	for (struct le *le = cl->txl.head; le; le = le->next) {
		struct fc_tx *tx = le->data;

		if (tx->tid == tid) {
			mem_deref(tx);
			return;
		}
	}
}

static void udp_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
	floorctl_recv_udp(arg, src, mbuf_buf(mb), mbuf_get_left(mb));
}

void floorctl_recv_udp(struct floorctl *fc, const struct sa *src,
		       const uint8_t *data, size_t len)
{
	struct fc_client *cl = fc_udp_client(fc, src, false);

	/* a peer without state is answered by a client of this message
	 * alone (fc_srv.c gives it state once it may have some) */
	cl = cl ? mem_ref(cl) : client_new(fc, false, src);
	if (!cl)
		return;
	cl->last_ms = tmr_jiffies();
	fc_handle(cl, data, len);
	mem_deref(cl);
}

static bool ver_ok(uint8_t b0)
{
	return (b0 >> 5) == 1 || (b0 >> 5) == 2;
}

/* TCP: cut the stream into messages by the header's length. rx holds
 * the bytes not handled yet from its start. */
static void tcp_feed(struct fc_client *cl, const uint8_t *data, size_t len)
{
	struct mbuf *rx = cl->rx;
	size_t off = 0;

	rx->pos = rx->end;
	if (mbuf_write_mem(rx, data, len)) {
		fc_client_close(cl);
		return;
	}
	mem_ref(cl);
	while (!cl->closed) {
		size_t left = rx->end - off, need;
		const uint8_t *p = rx->buf + off;

		if (left < 12)
			break;
		/* a version we do not speak: Error 12 for its header, then
		 * the connection goes (what follows is not BFCP) */
		need = ver_ok(p[0]) ? 12 + 4 * (size_t)(p[2] << 8 | p[3]) :
			12;
		if (need > FC_MSG_MAX)
			need = 12;          /* fc_handle answers Error 13 */
		if (left < need)
			break;
		off += need;
		fc_handle(cl, p, need);
		if (need == 12 && (!ver_ok(p[0]) || p[2] || p[3])) {
			fc_client_close(cl);
			break;
		}
	}
	if (!cl->closed) {
		memmove(rx->buf, rx->buf + off, rx->end - off);
		rx->end -= off;
		rx->pos = rx->end;
	}
	mem_deref(cl);
}

static void tcp_recv(struct mbuf *mb, void *arg)
{
	struct fc_client *cl = arg;

	tcp_feed(cl, mbuf_buf(mb), mbuf_get_left(mb));
}

static void tcp_close(int err, void *arg)
{
	fc_client_close(arg);
}

static unsigned conns_from(const struct floorctl *fc, const struct sa *peer)
{
	unsigned n = 0;

	for (struct le *le = fc->clients.head; le; le = le->next) {
		const struct fc_client *cl = le->data;

		n += cl->tcp && sa_cmp(&cl->peer, peer, SA_ADDR);
	}
	return n;
}

static struct fc_client *tcp_client(struct floorctl *fc,
				    const struct sa *peer)
{
	struct fc_client *cl = client_new(fc, true, peer);

	if (!cl)
		return NULL;
	cl->rx = mbuf_alloc(512);
	if (!cl->rx)
		return mem_deref(cl);
	client_list(cl);
	return cl;
}

static void tcp_conn(const struct sa *peer, void *arg)
{
	struct floorctl *fc = arg;
	struct fc_client *cl;

	if (fc->ntcp >= fc->max_conns ||
	    conns_from(fc, peer) >= fc->max_conns_src) {
		log_dbg("floorctl", "msg=\"connection refused\" peer=%J",
			peer);
		tcp_reject(fc->ts);
		return;
	}
	cl = tcp_client(fc, peer);
	if (!cl || tcp_accept(&cl->tc, fc->ts, NULL, tcp_recv, tcp_close,
			      cl)) {
		mem_deref(cl);
		tcp_reject(fc->ts);
		return;
	}
	/* what a peer that does not read may cost (fc_send closes it) */
	tcp_conn_txqsz_set(cl->tc, 4 * FC_MSG_MAX);
}

void floorctl_recv_stream(struct floorctl *fc, const struct sa *src,
			  const uint8_t *data, size_t len, size_t chunk)
{
	struct fc_client *cl = tcp_client(fc, src);
	size_t off = 0;

	if (!cl)
		return;
	mem_ref(cl);
	while (off < len && !cl->closed) {
		size_t n = chunk && chunk < len - off ? chunk : len - off;

		tcp_feed(cl, data + off, n);
		off += n;
	}
	fc_client_close(cl);
	mem_deref(cl);
}

/* Idle UDP peers that follow nothing go after a minute */
static void sweep(void *arg)
{
	struct floorctl *fc = arg;
	uint64_t now = tmr_jiffies();
	struct le *le = fc->clients.head;

	while (le) {
		struct fc_client *cl = le->data;

		le = le->next;
		if (!cl->tcp && !cl->tracks.head && !cl->txl.head &&
		    cl->last_ms + 60000 < now)
			fc_client_close(cl);
	}
	tmr_start(&fc->sweep, 30000, sweep, fc);
}

static void destructor(void *arg)
{
	struct floorctl *fc = arg;

	confs_set_floor_handler(fc->cs, NULL, NULL);
	tmr_cancel(&fc->sweep);
	tmr_cancel(&fc->floor_tmr);
	while (fc->clients.head)
		fc_client_close(fc->clients.head->data);
	mem_deref(fc->us);
	mem_deref(fc->ts);
}

static int listen_both(struct floorctl *fc, const struct floorctl_cfg *cfg)
{
	struct sa laddr;
	int err;

	err = sa_set_str(&laddr, cfg->addr ? cfg->addr : "127.0.0.1",
			 cfg->port);
	err = err ? err : udp_listen(&fc->us, &laddr, udp_recv, fc);
	err = err ? err : udp_local_get(fc->us, &laddr);
	if (err)
		return err;
	fc->port = sa_port(&laddr);
	/* the TCP listener on the UDP socket's port number */
	err = tcp_listen(&fc->ts, &laddr, tcp_conn, fc);
	if (err)
		return err;
	udp_rxsz_set(fc->us, FC_MSG_MAX);
	return 0;
}

int floorctl_alloc(struct floorctl **fcp, const struct floorctl_cfg *cfg,
		   struct confs *cs)
{
	struct floorctl *fc;
	int err = 0;

	if (!fcp || !cfg || !cs)
		return EINVAL;
	fc = mem_zalloc(sizeof(*fc), destructor);
	if (!fc)
		return ENOMEM;
	fc->cs = cs;
	fc->max_conns = cfg->max_conns ? cfg->max_conns : 256;
	fc->max_conns_src = cfg->max_conns_per_source ?
		cfg->max_conns_per_source : 8;
	tmr_init(&fc->sweep);
	tmr_init(&fc->floor_tmr);
	if (!cfg->no_sockets)
		err = listen_both(fc, cfg);
	if (err) {
		mem_deref(fc);
		return err;
	}
	confs_set_floor_handler(cs, fc_floor_changed, fc);
	tmr_start(&fc->sweep, 30000, sweep, fc);
	*fcp = fc;
	return 0;
}

uint16_t floorctl_port(const struct floorctl *fc)
{
	return fc ? fc->port : 0;
}

void floorctl_set_sink(struct floorctl *fc, floorctl_sink_h *h, void *arg)
{
	if (!fc)
		return;
	fc->sink = h;
	fc->sink_arg = arg;
}
