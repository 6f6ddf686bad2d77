/*
 * Fuzz target: the HTTP API through caucus's own handlers. The server
 * runs in this process (world.c); each input is one HTTP request (a
 * request line, headers, a body), written to a new connection to the API
 * over loopback, which is then half-closed; the loop runs until the
 * server has answered and closed (at most 200 ms). So the router, the
 * permissions, the strict JSON check and every route's body (conferences,
 * participants, mass invitation and ejection, policy PUT and PATCH with
 * If-Match, requested changes, users, self service, messages, the
 * websocket upgrade) meet whatever the fuzzer makes of the seeds.
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "world.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sockaddr_in to;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct world_ports wp;

	(void)argc;
	(void)argv;
	world_start(&wp);
	to.sin_family = AF_INET;
	to.sin_port = htons(wp.http);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return 0;
}

/* the server closed the connection (it answered, or gave up on it) */
static bool closed(void *arg)
{
	int fd = *(int *)arg;
	char buf[4096];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		;
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd;

	if (size > 70000)
		return 0;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to))) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	/* the server reads while we write: a large input does not fill
	 * both buffers and stall */
	for (size_t off = 0; off < size;) {
		ssize_t n = send(fd, data + off, size - off, MSG_DONTWAIT);

		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && errno != EAGAIN)
			break;
		world_run(NULL, NULL, 0);
	}
	(void)shutdown(fd, SHUT_WR);
	world_run(closed, &fd, 200);
	close(fd);
	world_tidy();         /* dial-outs the API made end now and then */
	return 0;
}
