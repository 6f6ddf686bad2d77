/* caucus-bfcpclient (main.c): its state, its transport and commands
 * (client.c), its printing (print.c) */
#ifndef CAUCUS_BFCPCLIENT_H
#define CAUCUS_BFCPCLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <re.h>

struct cmd {
	const char *name;
	uint16_t reqid;
	uint8_t status;            /* chair: enum bfcp_reqstat */
	int priority;              /* -1: none */
	const char *info;
	uint16_t beneficiary;
	struct mbuf *raw;
};

struct client {
	bool tcp;
	struct sa srv, bind;
	uint32_t confid;
	uint16_t userid, tid;
	uint8_t ver;
	unsigned wait_s;
	struct cmd cmd;
	struct tcp_conn *tc;
	struct udp_sock *us;
	struct mbuf *req;          /* what was sent (UDP: again) */
	struct mbuf *rx;           /* TCP: bytes of a message so far */
	struct tmr tmr_rtx, tmr_end;
	unsigned sends;
	bool answered;
	int exit_code;
};

int  client_start(struct client *cl);
void client_stop(struct client *cl);
/* One line for a message; true when it is an Error */
bool client_print(const struct bfcp_msg *msg);

#endif
