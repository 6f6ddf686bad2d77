/*
 * caucus-bfcpclient: a BFCP client (RFC 8855) for tests and operators.
 * One command per run, over TCP or UDP, printing every message it gets
 * as one line (print.c), then waiting --wait seconds for notifications.
 * Over UDP it retransmits its request until answered and acknowledges
 * the server's notifications. Exit: 0, 1 when an Error came, 2 on a
 * usage or transport problem, 3 when no answer came.
 *
 *   caucus-bfcpclient --tcp|--udp HOST:PORT --conf ID --user ID
 *       [--wait S] [--ver N] [--bind ADDR] [--tid N] COMMAND
 *   hello | request [--priority N] [--info TEXT] [--beneficiary UID]
 *   | release REQID | query-request REQID | query-user [--beneficiary UID]
 *   | query-floor [--watch S] | stop-floor | chair REQID
 *   grant|deny|revoke|accept | goodbye | raw HEX
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "bfcpclient.h"

static struct client cl;

static void usage(void)
{
	fprintf(stderr,
		"usage: caucus-bfcpclient --tcp|--udp HOST:PORT --conf ID "
		"--user ID [--wait S] [--ver N] [--bind ADDR] COMMAND\n"
		"  hello | request [--priority N] [--info TEXT] "
		"[--beneficiary UID]\n"
		"  | release REQID | query-request REQID | query-user "
		"[--beneficiary UID]\n"
		"  | query-floor [--watch S] | stop-floor\n"
		"  | chair REQID grant|deny|revoke|accept [--info TEXT]\n"
		"  | goodbye | raw HEX (a whole message, sent as is)\n");
	exit(2);
}

static unsigned long num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (!*s || *end || v > max)
		usage();
	return v;
}

static const char *chair_status[] = {"", "pending", "accept", "grant",
				     "deny", "cancel", "release", "revoke"};

static int parse_cmd(int argc, char *argv[], int i)
{
	struct cmd *c = &cl.cmd;

	if (i >= argc)
		usage();
	c->name = argv[i++];
	if (!strcmp(c->name, "release") || !strcmp(c->name, "query-request")
	    || !strcmp(c->name, "chair")) {
		if (i >= argc)
			usage();
		c->reqid = (uint16_t)num(argv[i++], 0xffff);
	}
	if (!strcmp(c->name, "chair")) {
		if (i >= argc)
			usage();
		for (unsigned s = 1; s < 8; s++)
			if (!strcmp(argv[i], chair_status[s]))
				c->status = (uint8_t)s;
		if (!c->status)
			usage();
		i++;
	}
	if (!strcmp(c->name, "raw")) {
		const char *h = i < argc ? argv[i++] : "";
		size_t n = strlen(h) / 2;

		c->raw = mbuf_alloc(n + 1);
		for (size_t k = 0; c->raw && k < n; k++) {
			unsigned b;

			if (sscanf(h + 2 * k, "%2x", &b) != 1)
				usage();
			(void)mbuf_write_u8(c->raw, (uint8_t)b);
		}
	}
	for (; i < argc; i++) {
		const char *a = argv[i];

		if (i + 1 >= argc)
			usage();
		if (!strcmp(a, "--priority"))
			c->priority = (int)num(argv[++i], 7);
		else if (!strcmp(a, "--info"))
			c->info = argv[++i];
		else if (!strcmp(a, "--beneficiary"))
			c->beneficiary = (uint16_t)num(argv[++i], 0xffff);
		else if (!strcmp(a, "--watch") || !strcmp(a, "--wait"))
			cl.wait_s = (unsigned)num(argv[++i], 86400);
		else
			usage();
	}
	return 0;
}

static void parse_args(int argc, char *argv[])
{
	int i;

	cl.ver = 0;
	cl.cmd.priority = -1;
	for (i = 1; i < argc && !strncmp(argv[i], "--", 2); i++) {
		const char *a = argv[i];

		if (i + 1 >= argc)
			usage();
		if (!strcmp(a, "--tcp") || !strcmp(a, "--udp")) {
			cl.tcp = !strcmp(a, "--tcp");
			i++;
			if (sa_decode(&cl.srv, argv[i], strlen(argv[i])))
				usage();
		}
		else if (!strcmp(a, "--conf")) {
			cl.confid = (uint32_t)num(argv[++i], 0xffffffff);
		}
		else if (!strcmp(a, "--user")) {
			cl.userid = (uint16_t)num(argv[++i], 0xffff);
		}
		else if (!strcmp(a, "--wait")) {
			cl.wait_s = (unsigned)num(argv[++i], 86400);
		}
		else if (!strcmp(a, "--ver")) {
			cl.ver = (uint8_t)num(argv[++i], 7);
		}
		else if (!strcmp(a, "--tid")) {
			cl.tid = (uint16_t)num(argv[++i], 0xffff);
		}
		else if (!strcmp(a, "--bind")) {
			if (sa_set_str(&cl.bind, argv[++i], 0))
				usage();
		}
		else {
			usage();
		}
	}
	if (!sa_isset(&cl.srv, SA_ALL))
		usage();
	if (!cl.ver)
		cl.ver = cl.tcp ? 1 : 2;
	if (!cl.tid)
		cl.tid = (uint16_t)(rand_u16() | 1);
	parse_cmd(argc, argv, i);
}

int main(int argc, char *argv[])
{
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	err = libre_init();
	if (err)
		return 2;
	parse_args(argc, argv);
	err = client_start(&cl);
	if (!err)
		err = re_main(NULL);
	client_stop(&cl);
	libre_close();
	return cl.exit_code;
}
