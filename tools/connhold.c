/*
 * connhold: opens N TCP connections to HOST:PORT and holds them open for
 * SECONDS, printing "held N" once they are all up. Used by the tests to
 * push caucusd past 1024 descriptors without a thousand calls.
 *   connhold 127.0.0.1 8080 1100 5
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct rlimit rl;
	int n, held = 0;

	if (argc != 5 || inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) {
		fprintf(stderr, "usage: connhold HOST PORT N SECONDS\n");
		return 2;
	}
	a.sin_port = htons((uint16_t)atoi(argv[2]));
	n = atoi(argv[3]);
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
			perror("connhold");
			break;
		}
		held++;
	}
	printf("held %d\n", held);
	fflush(stdout);
	sleep((unsigned)atoi(argv[4]));
	return held == n ? 0 : 1;
}
