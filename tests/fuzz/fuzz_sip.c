/*
 * Fuzz target: SIP requests through caucus's own handlers. The server
 * runs in this process (world.c); each input is one datagram sent to its
 * SIP port over loopback, and the loop runs until it is handled. So
 * every parser a request meets on its way is fuzzed where it is used:
 * our raw UDP guard and libre's decoder, the gate's checks, the per-
 * method dispatch, Join, Refer-To and Referred-By, Session-Expires and
 * Min-SE, Require, Authorization (digest), CPIM bodies of MESSAGE, Event
 * and Accept of SUBSCRIBE, SDP. State carries over from input to input
 * (calls, subscriptions), as it does in a server, up to 32 calls (then
 * everyone is hung up: world_tidy).
 */
#include <stdint.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "world.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cl = -1;
static struct sockaddr_in to;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct world_ports wp;
	struct sockaddr_in me = {.sin_family = AF_INET};

	(void)argc;
	(void)argv;
	world_start(&wp);
	to.sin_family = AF_INET;
	to.sin_port = htons(wp.sip);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cl = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	me.sin_port = htons(5999);         /* the corpus's Via port */
	if (bind(cl, (struct sockaddr *)&me, sizeof(me))) {
		me.sin_port = 0;
		(void)bind(cl, (struct sockaddr *)&me, sizeof(me));
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[65536];

	if (size > 60000)
		return 0;
	(void)sendto(cl, data, size, 0, (struct sockaddr *)&to, sizeof(to));
	world_run(NULL, NULL, 0);
	/* what it answered: read, so the socket never fills */
	while (recv(cl, buf, sizeof(buf), 0) > 0)
		;
	world_tidy();
	return 0;
}
