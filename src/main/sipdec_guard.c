/*
 * SIP messages whose address headers would cost libre the square of
 * their length, refused before libre decodes them.
 *
 * libre 1.1.0 decodes From and To (sip_addr_decode, then uri_decode) as
 * it decodes a message, with re_regex patterns that its engine tries at
 * every start position: a From value of 16 KB can take a second of the
 * signalling thread, one of 2 KB 10 to 20 ms (fuzz_sip found a 20 KB one
 * taking 1.2 s in a single UDP datagram; over TCP a message may be
 * larger, and a message that trickles in is decoded again at each
 * segment). Contact is decoded the same way by the handlers.
 *
 * libre calls sip_msg_decode through its PLT (its UDP and TCP/TLS
 * transports alike), so caucusd defines it (as regex_guard.c does
 * re_regex): the header section is read once, line by line, and a
 * message with a From, To or Contact longer than SIP_ADDR_MAX, or a
 * second From or To (sip/addr_lines.c), is EBADMSG without libre's
 * decoder ever seeing it (over TCP libre then closes the connection; over
 * UDP the UDP guard answers it, naming the fault). Everything else
 * goes to libre's decoder as it came. Any thread.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <re.h>
#include "main/sipdec_guard.h"
#include "sip/sip.h"

typedef int (decode_fn)(struct sip_msg **msgp, struct mbuf *mb);

static atomic_ulong refused;

static decode_fn *libre_decode(void)
{
	/* resolved once, before main: no thread races for it */
	static decode_fn *fn;

	if (!fn)
		fn = (decode_fn *)dlsym(RTLD_NEXT, "sip_msg_decode");
	return fn;
}

__attribute__((constructor)) static void resolve(void)
{
	(void)libre_decode();
}

int sip_msg_decode(struct sip_msg **msgp, struct mbuf *mb)
{
	decode_fn *fn = libre_decode();

	if (!fn)
		return ENOSYS;
	if (mb && sip_addr_lines_check((const char *)mbuf_buf(mb),
				 mbuf_get_left(mb))) {
		atomic_fetch_add(&refused, 1);
		return EBADMSG;
	}
	return fn(msgp, mb);
}

unsigned long sipdec_guard_refused(void)
{
	return atomic_load(&refused);
}
