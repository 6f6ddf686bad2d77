/*
 * caucus-loadgen's signals: SIGTERM and SIGINT stop it (the caller's
 * stop handler), SIGUSR1 asks for a LIVE line, SIGUSR2 for a new tone
 * window. Through a pipe into libre's loop: nothing but write(2) runs in
 * the handler. Main thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "loadgen.h"

static int sig_pipe[2] = {-1, -1};
static void (*stop)(void);

static void sig_catch(int sig)
{
	uint8_t b = (uint8_t)sig;

	(void)!write(sig_pipe[1], &b, 1);
}

static void sig_h(int flags, void *arg)
{
	uint8_t b[16];
	ssize_t n = read(sig_pipe[0], b, sizeof(b));

	(void)flags;
	(void)arg;
	for (ssize_t i = 0; i < n; i++) {
		if (b[i] == SIGUSR1)
			atomic_store(&live_req, true);
		else if (b[i] == SIGUSR2)
			atomic_store(&tones_req, true);
		else
			stop();
	}
}

int lg_signals_init(void (*stoph)(void))
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGUSR1, SIGUSR2};
	struct sigaction sa;

	if (pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC))
		return errno;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_catch;
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL))
			return errno;
	stop = stoph;
	return fd_listen(sig_pipe[0], FD_READ, sig_h, NULL);
}

void lg_signals_close(void)
{
	if (sig_pipe[0] >= 0)
		fd_close(sig_pipe[0]);
}
