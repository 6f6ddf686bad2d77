/*
 * A mixer thread's sockets, made on the signalling thread before the
 * thread starts (mixer_int.h): per-thread RTP sockets (mixer_mux.c), or
 * for per-call sockets the io_uring they are read and sent through
 * (mixer_uring.c); each said in the log.
 */
#include <errno.h>
#include "mixer/mixer_int.h"
#include "util/log.h"

int mthread_sockets(struct mthread *t, const struct mixer_cfg *cfg,
		    unsigned i, int *uring_err)
{
	unsigned port = cfg->shared_port + 2 * i, rcvbuf = 0;
	int err;

	if (!cfg->shared_port) {
		if (!cfg->uring || *uring_err)
			return 0;
		*uring_err = uring_new(&t->uring);
		if (*uring_err)
			log_warn("mixer", "msg=\"no io_uring: each call's "
				 "packets are read and sent a system call "
				 "each (dearer)\" err=\"%m\"", *uring_err);
		return 0;
	}
	err = mux_new(&t->mux, &cfg->shared_addr, (uint16_t)port, &rcvbuf);
	if (err) {
		log_err("mixer", "msg=\"cannot listen\" what=\"the "
			"thread's RTP ports\" thread=%u port=%u err=\"%m\"",
			i, port, err);
		return err;
	}
	log_info("mixer", "msg=\"per-thread RTP sockets\" thread=%u "
		 "rtp_port=%u rtcp_port=%u rcvbuf=%u", i, port, port + 1,
		 rcvbuf);
	if (rcvbuf < (2u << 20))
		log_warn("mixer", "msg=\"small receive buffer: a busy "
			 "thread may drop packets; raise net.core.rmem_max "
			 "or run with CAP_NET_ADMIN\" thread=%u rcvbuf=%u",
			 i, rcvbuf);
	return 0;
}

const char *mthread_rtp_io(const struct mthread *t, unsigned n,
			   bool shared)
{
	if (shared)
		return "batches";
	for (unsigned i = 0; i < n; i++)
		if (!t[i].uring)        /* set before the thread started */
			return "syscalls";
	return n ? "io_uring" : "syscalls";
}
