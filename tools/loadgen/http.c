/*
 * caucus-loadgen's HTTP client: one blocking request at a time, on the
 * main thread or before the media window (caucusd's /v1/status, Janus's
 * API). HTTP/1.0, so no chunked answers; the answer ends when the server
 * closes or when the body Content-Length announces has come (libre's
 * server keeps the connection open).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>
#include "loadgen.h"

static bool complete(const char *buf, size_t got)
{
	const char *hend = strstr(buf, "\r\n\r\n");
	const char *cl = strstr(buf, "Content-Length:");

	return hend && cl && cl < hend &&
		got >= (size_t)(hend + 4 - buf) + strtoul(cl + 15, NULL, 10);
}

int lg_http(const char *url, const char *method, const char *path,
	    const char *body, unsigned timeout_s, char *buf, size_t sz,
	    char **bodyp)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct timeval tv = {.tv_sec = timeout_s};
	char host[64] = "127.0.0.1", req[1024];
	unsigned port = 80;
	size_t got = 0;
	ssize_t r;
	int fd, n, err = 0;

	if (sscanf(url, "http://%63[^:/]:%u", host, &port) < 1 ||
	    inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return EINVAL;
	a.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		err = errno;
		if (fd >= 0)
			close(fd);
		return err;
	}
	n = snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: %s\r\n"
		     "Connection: close\r\nContent-Type: application/json\r\n"
		     "Content-Length: %zu\r\n\r\n%s", method, path, host,
		     body ? strlen(body) : 0, body ? body : "");
	if (n < 0 || (size_t)n >= sizeof(req) ||
	    write(fd, req, (size_t)n) != n)
		err = EIO;
	if (timeout_s)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				 sizeof(tv));
	buf[0] = '\0';
	while (!err && got < sz - 1 &&
	       (r = read(fd, buf + got, sz - 1 - got)) > 0) {
		got += (size_t)r;
		buf[got] = '\0';
		if (complete(buf, got))
			break;
	}
	close(fd);
	buf[got] = '\0';
	*bodyp = strstr(buf, "\r\n\r\n");
	if (err || !*bodyp)
		return err ? err : EPROTO;
	*bodyp += 4;
	return 0;
}
