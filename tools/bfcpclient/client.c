/*
 * caucus-bfcpclient's transport and commands: builds the command's
 * message with libre's encoder, sends it over TCP (framed by the common
 * header's length) or UDP (retransmitted from 500 ms, doubling, four
 * sends), prints what comes back, acknowledges the server's
 * notifications over UDP, and stops --wait seconds after the answer.
 */
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "bfcpclient.h"

static void finish(struct client *cl, int code)
{
	if (code > cl->exit_code)
		cl->exit_code = code;
	re_cancel();
}

static void end_tmr(void *arg)
{
	(void)arg;
	re_cancel();
}

static int encode(struct client *cl, struct mbuf *mb)
{
	const struct cmd *c = &cl->cmd;
	uint16_t floorid = 1, ben = c->beneficiary;
	enum bfcp_priority prio = (enum bfcp_priority)c->priority;
	struct bfcp_reqstatus rs = {.status = (enum bfcp_reqstat)c->status};
	const char *n = c->name;

#define ENC(p, ...) bfcp_msg_encode(mb, cl->ver, false, p, cl->confid, \
	cl->tid, cl->userid, __VA_ARGS__)
	if (!strcmp(n, "hello"))
		return ENC(BFCP_HELLO, 0);
	if (!strcmp(n, "goodbye"))
		return ENC(BFCP_GOODBYE, 0);
	if (!strcmp(n, "request"))
		return ENC(BFCP_FLOOR_REQUEST, 4, BFCP_FLOOR_ID, 0, &floorid,
			   BFCP_BENEFICIARY_ID, 0, ben ? &ben : NULL,
			   BFCP_PRIORITY, 0, c->priority >= 0 ? &prio : NULL,
			   BFCP_PART_PROV_INFO, 0, c->info);
	if (!strcmp(n, "release"))
		return ENC(BFCP_FLOOR_RELEASE, 1, BFCP_FLOOR_REQUEST_ID, 0,
			   &c->reqid);
	if (!strcmp(n, "query-request"))
		return ENC(BFCP_FLOOR_REQUEST_QUERY, 1, BFCP_FLOOR_REQUEST_ID,
			   0, &c->reqid);
	if (!strcmp(n, "query-user"))
		return ENC(BFCP_USER_QUERY, 1, BFCP_BENEFICIARY_ID, 0,
			   ben ? &ben : NULL);
	if (!strcmp(n, "query-floor"))
		return ENC(BFCP_FLOOR_QUERY, 1, BFCP_FLOOR_ID, 0, &floorid);
	if (!strcmp(n, "stop-floor"))
		return ENC(BFCP_FLOOR_QUERY, 0);
	if (!strcmp(n, "chair"))
		return ENC(BFCP_CHAIR_ACTION, 1, BFCP_FLOOR_REQ_INFO, 1,
			   &c->reqid, BFCP_FLOOR_REQ_STATUS, 2, &floorid,
			   BFCP_REQUEST_STATUS, 0, &rs,
			   BFCP_STATUS_INFO, 0, c->info);
#undef ENC
	if (!strcmp(n, "raw") && c->raw)
		return mbuf_write_mem(mb, c->raw->buf, c->raw->end);
	fprintf(stderr, "caucus-bfcpclient: unknown command '%s'\n", n);
	return EINVAL;
}

static void send_req(struct client *cl)
{
	int err;

	cl->req->pos = 0;
	err = cl->tcp ? tcp_send(cl->tc, cl->req) :
		udp_send(cl->us, &cl->srv, cl->req);
	if (err) {
		fprintf(stderr, "caucus-bfcpclient: send: %s\n",
			strerror(err));
		finish(cl, 2);
	}
}

static void rtx_tmr(void *arg)
{
	struct client *cl = arg;

	if (cl->answered)
		return;
	if (cl->sends >= 4 || cl->tcp) {
		printf("Timeout\n");
		finish(cl, 3);
		return;
	}
	if (!cl->tcp)
		send_req(cl);
	tmr_start(&cl->tmr_rtx, 500u << cl->sends++, rtx_tmr, cl);
}

/* UDP: the server's notifications want their ack (RFC 8855 s. 6.2) */
static void ack(struct client *cl, const struct bfcp_msg *msg)
{
	struct mbuf *mb;
	enum bfcp_prim prim = msg->prim == BFCP_FLOOR_STATUS ?
		BFCP_FLOOR_STATUS_ACK : BFCP_FLOOR_REQ_STATUS_ACK;

	if (cl->tcp || msg->r)
		return;
	if (msg->prim != BFCP_FLOOR_STATUS &&
	    msg->prim != BFCP_FLOOR_REQUEST_STATUS)
		return;
	mb = mbuf_alloc(16);
	if (mb && !bfcp_msg_encode(mb, msg->ver, true, prim, msg->confid,
				   msg->tid, msg->userid, 0)) {
		mb->pos = 0;
		(void)udp_send(cl->us, &cl->srv, mb);
	}
	mem_deref(mb);
}

static void handle(struct client *cl, struct mbuf *mb)
{
	struct bfcp_msg *msg = NULL;
	bool response;

	if (bfcp_msg_decode(&msg, mb)) {
		printf("Undecodable len=%zu\n", mbuf_get_left(mb));
		return;
	}
	ack(cl, msg);
	/* the answer: our transaction's (over TCP the first message
	 * that is not a notification, tid 0) */
	response = msg->tid == cl->tid && (msg->r || cl->tcp);
	if (client_print(msg))
		cl->exit_code = 1;
	if (response && !cl->answered) {
		cl->answered = true;
		tmr_cancel(&cl->tmr_rtx);
		tmr_start(&cl->tmr_end, cl->wait_s * 1000u, end_tmr, cl);
	}
	mem_deref(msg);
}

static void udp_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
	handle(arg, mb);
}

static void tcp_recv(struct mbuf *mb, void *arg)
{
	struct client *cl = arg;
	struct mbuf *rx = cl->rx;

	rx->pos = rx->end;
	if (mbuf_write_mem(rx, mbuf_buf(mb), mbuf_get_left(mb)))
		return;
	rx->pos = 0;
	while (mbuf_get_left(rx) >= 12) {
		size_t need = 12 + 4 * (size_t)(rx->buf[rx->pos + 2] << 8 |
						rx->buf[rx->pos + 3]);
		struct mbuf one;

		if (mbuf_get_left(rx) < need)
			break;
		one = *rx;
		one.end = rx->pos + need;
		handle(cl, &one);
		rx->pos += need;
	}
	memmove(rx->buf, rx->buf + rx->pos, mbuf_get_left(rx));
	rx->end -= rx->pos;
	rx->pos = 0;
}

static void tcp_estab(void *arg)
{
	send_req(arg);
}

static void tcp_close(int err, void *arg)
{
	struct client *cl = arg;

	printf("Closed\n");
	finish(cl, cl->answered ? 0 : 2);
}

int client_start(struct client *cl)
{
	int err;

	cl->req = mbuf_alloc(256);
	cl->rx = mbuf_alloc(1024);
	if (!cl->req || !cl->rx)
		return ENOMEM;
	err = encode(cl, cl->req);
	if (!err && cl->cmd.raw && cl->req->end >= 12)   /* its own tid */
		cl->tid = (uint16_t)(cl->req->buf[8] << 8 | cl->req->buf[9]);
	if (err) {
		cl->exit_code = 2;
		return err;
	}
	tmr_init(&cl->tmr_rtx);
	tmr_init(&cl->tmr_end);
	if (cl->tcp) {
		err = tcp_conn_alloc(&cl->tc, &cl->srv, tcp_estab, tcp_recv,
				     tcp_close, cl);
		if (!err && sa_isset(&cl->bind, SA_ADDR))
			err = tcp_conn_bind(cl->tc, &cl->bind);
		err = err ? err : tcp_conn_connect(cl->tc, &cl->srv);
		/* no answer within 5 s over TCP: give up */
		cl->sends = 4;
		tmr_start(&cl->tmr_rtx, 5000, rtx_tmr, cl);
	}
	else {
		struct sa local = cl->bind;

		if (!sa_isset(&local, SA_ADDR))
			sa_set_str(&local, sa_af(&cl->srv) == AF_INET6 ?
				   "::" : "0.0.0.0", 0);
		err = udp_listen(&cl->us, &local, udp_recv, cl);
		if (!err) {
			send_req(cl);
			cl->sends = 1;
			tmr_start(&cl->tmr_rtx, 500, rtx_tmr, cl);
		}
	}
	if (err) {
		fprintf(stderr, "caucus-bfcpclient: %s\n", strerror(err));
		cl->exit_code = 2;
	}
	return err;
}

void client_stop(struct client *cl)
{
	tmr_cancel(&cl->tmr_rtx);
	tmr_cancel(&cl->tmr_end);
	cl->tc = mem_deref(cl->tc);
	cl->us = mem_deref(cl->us);
	cl->req = mem_deref(cl->req);
	cl->rx = mem_deref(cl->rx);
	cl->cmd.raw = mem_deref(cl->cmd.raw);
}
