/*
 * A message header for one datagram in one buffer (recvmsg, sendmsg,
 * recvmmsg, sendmmsg and their io_uring forms): the mixer's and the
 * video threads' batches fill one per packet. Pure; any thread.
 */
#ifndef CAUCUS_MSG_H
#define CAUCUS_MSG_H

#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* m and iov for len bytes at buf, from or to name (namelen bytes; a
 * receive gives the room there is, the kernel says what it used) */
static inline void msg_one(struct msghdr *m, struct iovec *iov, void *buf,
			   size_t len, void *name, socklen_t namelen)
{
	iov->iov_base = buf;
	iov->iov_len = len;
	memset(m, 0, sizeof(*m));
	m->msg_iov = iov;
	m->msg_iovlen = 1;
	m->msg_name = name;
	m->msg_namelen = namelen;
}

#endif
