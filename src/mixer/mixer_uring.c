/*
 * Per-call sockets in batches (rtp_io = uring; issue 22): with a socket
 * pair per call, reading and sending each call's packet is two system
 * calls per participant and tick, and on a machine whose system call
 * entry is dear (a VM with the speculation mitigations on) those calls
 * are most of the cost. An io_uring per mixer thread takes them in
 * batches: the RTP of every stream on the thread is read with one
 * io_uring_enter per BATCH streams, and what the tick sends goes out the
 * same way. Each operation is non-blocking (MSG_DONTWAIT: a UDP socket
 * completes it at once, an empty one with EAGAIN), so a batch is done
 * when io_uring_submit_and_wait returns: nothing is in flight between
 * batches, no buffer or stream outlives its tick in the kernel, and a
 * stream may be freed at any command as before.
 *
 * Packets are handled exactly as the one-call path does (mixer_io.c's
 * mstream_rx_rtp and mstream_rx_dtls; mstream_sent on success). RTCP, a
 * packet every few seconds, stays one call each (mixer_io.c).
 *
 * uring_new and uring_free on the signalling thread before the mixer
 * thread starts and after it ended; the rest on the mixer thread only.
 * No allocation after uring_new, no logging.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <liburing.h>
#include "mixer/mixer_stream.h"
#include "util/msg.h"

#define BATCH 64                 /* operations per io_uring_enter */
#define RX_MORE 31               /* packets read again per stream and
				  * tick past the first: a burst after a
				  * stall, or a flood at the port that the
				  * owner's packets must get through (the
				  * rest waits in the socket, which drops
				  * what does not fit); a round costs one
				  * io_uring_enter for all such streams */
#define TX_SLOT (RTP_HDR_MAX + MEDIA_MAX_PAYLOAD + MSRTP_TAG_MAX)
#define TAG_TX 0x10000u          /* user_data: a send (else a read) */

struct uring {
	struct io_uring ring;
	/* reads: a stream each */
	struct mstream *rxs[BATCH];
	uint8_t rxbuf[BATCH][PKT_MAX];
	struct sockaddr_storage rxsrc[BATCH];
	struct msghdr rxm[BATCH];
	struct iovec rxiov[BATCH];
	uint8_t rxleft[BATCH];       /* reads left for the stream */
	/* sends: queued until the batch is full or the tick ends */
	struct mstream *txs[BATCH];
	uint8_t txbuf[BATCH][TX_SLOT];
	struct sockaddr_storage txdst[BATCH];
	struct msghdr txm[BATCH];
	struct iovec txiov[BATCH];
	uint16_t txpl[BATCH];        /* payload bytes (MUX_PAYLOAD_FWD: a
				      * forwarded packet) */
	unsigned ntx;
	uint64_t tx_dropped;
	bool broken;                 /* a batch did not complete: one call
				      * a packet from then on */
};

int uring_new(struct uring **up)
{
	struct uring *u = calloc(1, sizeof(*u));
	int err;

	if (!u)
		return ENOMEM;
	/* reads and sends never overlap: a batch of either at once */
	err = io_uring_queue_init(BATCH, &u->ring, 0);
	if (err < 0) {
		free(u);
		return -err;           /* ENOSYS, EPERM: the kernel says no */
	}
	*up = u;
	return 0;
}

void uring_free(struct uring *u)
{
	if (!u)
		return;
	io_uring_queue_exit(&u->ring);
	free(u);
}

uint64_t uring_tx_dropped(const struct uring *u)
{
	return u ? u->tx_dropped : 0;
}

bool uring_on(const struct uring *u)
{
	return u && !u->broken;
}

/* Submits what was prepared and waits for all n: each completes at once
 * (MSG_DONTWAIT), so this returns without sleeping. A ring that fails,
 * or whose batch does not all complete (the caller counts), is not used
 * again: what it still holds would land in buffers a later batch owns */
static void run(struct uring *u, unsigned n)
{
	int r;

	do
		r = io_uring_submit_and_wait(&u->ring, n);
	while (r == -EINTR);
	if (r < 0)
		u->broken = true;
}

static void rx_prep(struct uring *u, unsigned i, struct mstream *s)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	u->rxs[i] = s;
	msg_one(&u->rxm[i], &u->rxiov[i], u->rxbuf[i], PKT_MAX, &u->rxsrc[i],
		sizeof(u->rxsrc[i]));
	/* (the ring has BATCH entries, and a batch is never more) */
	io_uring_prep_recvmsg(sqe, s->rtp_fd, &u->rxm[i], MSG_DONTWAIT);
	io_uring_sqe_set_data64(sqe, i);
}

/* A batch of n reads (rxs[0..n-1]) until none of them has more: each
 * stream that got a packet is read again, up to its budget */
static void rx_batch(struct mthread *t, struct uring *u, unsigned n,
		     uint32_t arrival_ts, bool *sig)
{
	struct mstream *again[BATCH];
	uint8_t left[BATCH];

	while (n) {
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0, m = 0;

		for (unsigned i = 0; i < n; i++)
			rx_prep(u, i, u->rxs[i]);
		run(u, n);
		io_uring_for_each_cqe(&u->ring, head, cqe) {
			uint64_t i = cqe->user_data;
			struct mstream *s;

			seen++;
			if (i >= n || cqe->res <= 0)
				continue;       /* EAGAIN: nothing (more) */
			s = u->rxs[i];
			if (mstream_is_dtls(u->rxbuf[i], (size_t)cqe->res))
				mstream_rx_dtls(t, s, false, u->rxbuf[i],
						(size_t)cqe->res, &u->rxsrc[i],
						u->rxm[i].msg_namelen,
						arrival_ts, sig);
			else
				mstream_rx_rtp(t, s, u->rxbuf[i],
					       (size_t)cqe->res, &u->rxsrc[i],
					       u->rxm[i].msg_namelen,
					       arrival_ts, sig);
			if (u->rxleft[i]) {
				left[m] = (uint8_t)(u->rxleft[i] - 1);
				again[m++] = s;
			}
		}
		io_uring_cq_advance(&u->ring, seen);
		if (seen != n) {
			u->broken = true;
			return;
		}
		for (unsigned i = 0; i < m; i++) {
			u->rxs[i] = again[i];
			u->rxleft[i] = left[i];
		}
		n = m;
	}
}

void uring_receive(struct mthread *t, uint64_t mono_us, bool *sig)
{
	struct uring *u = t->uring;
	uint32_t arrival_ts = (uint32_t)(mono_us * 8 / 1000);
	unsigned n = 0;

	if (!uring_on(u))
		return;
	for (unsigned ri = 0; ri < t->nrooms && !u->broken; ri++) {
		const struct mroom *r = t->rooms[ri];

		for (unsigned i = 0; i < r->n; i++) {
			struct mstream *s = r->s[i];

			if (s->mux || s->app || s->rtp_fd < 0)
				continue;
			u->rxs[n] = s;
			u->rxleft[n++] = RX_MORE;
			if (n == BATCH) {
				rx_batch(t, u, n, arrival_ts, sig);
				n = 0;
			}
		}
	}
	if (n)
		rx_batch(t, u, n, arrival_ts, sig);
}

uint8_t *uring_slot(struct uring *u)
{
	if (u->ntx == BATCH)
		uring_flush(u);
	return u->txbuf[u->ntx];
}

void uring_commit(struct uring *u, struct mstream *s, size_t bytes,
		  size_t payload)
{
	unsigned i = u->ntx++;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	u->txs[i] = s;
	u->txpl[i] = (uint16_t)payload;
	memcpy(&u->txdst[i], &s->m.rtp_dst, s->m.rtp_dst_len);
	msg_one(&u->txm[i], &u->txiov[i], u->txbuf[i], bytes, &u->txdst[i],
		s->m.rtp_dst_len);
	io_uring_prep_sendmsg(sqe, s->rtp_fd, &u->txm[i], MSG_DONTWAIT);
	io_uring_sqe_set_data64(sqe, TAG_TX | i);
}

void uring_flush(struct uring *u)
{
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0, done = 0;

	if (!u || !u->ntx)
		return;
	run(u, u->ntx);
	io_uring_for_each_cqe(&u->ring, head, cqe) {
		uint64_t i = cqe->user_data & ~(uint64_t)TAG_TX;

		seen++;
		if (!(cqe->user_data & TAG_TX) || i >= u->ntx)
			continue;
		done++;
		if (cqe->res <= 0)
			u->tx_dropped++;       /* a full socket, a bad route */
		else if (u->txpl[i] == MUX_PAYLOAD_FWD)
			mstream_fwd_sent(u->txs[i], u->txiov[i].iov_len);
		else
			mstream_sent(u->txs[i], u->txiov[i].iov_len,
				     u->txpl[i]);
	}
	io_uring_cq_advance(&u->ring, seen);
	if (done != u->ntx) {
		u->tx_dropped += u->ntx - done;   /* never completed: lost */
		u->broken = true;
	}
	u->ntx = 0;
}
