/*
 * Fuzz target: the BFCP floor control server's input (src/floorctl): the
 * first byte picks the path, the rest is what arrives:
 *   0: a UDP datagram from ann's media address (a participant in the
 *      call, so every primitive's handler is reached),
 *   1: the same from mia (a chair),
 *   2: a TCP stream from ann, cut in pieces of the second byte's size
 *      (the framer, then the handler),
 *   3: a UDP datagram from an address nobody has.
 * A small world in memory: a conference with floor control on and two
 * participants. Every message the server sends must decode with libre's
 * decoder and have the length its header says; the floor's state stays
 * bounded (one request per participant).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "conf/conf.h"
#include "conf/floor.h"
#include "conf/part.h"
#include "floorctl/floorctl.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
	struct store *st;
	struct confs *cs;
	struct conf *c;
	struct floorctl *fc;
	struct sa ann, mia, stranger;
} w;

static void sink(bool tcp, const struct sa *dst, const uint8_t *data,
		 size_t len, void *arg)
{
	struct mbuf mb = {.buf = (uint8_t *)data, .size = len, .end = len};
	struct bfcp_msg *msg = NULL;

	(void)tcp; (void)dst; (void)arg;
	if (len < 12 || 12 + 4 * (size_t)(data[2] << 8 | data[3]) != len)
		__builtin_trap();
	if (bfcp_msg_decode(&msg, &mb))
		__builtin_trap();
	mem_deref(msg);
}

static void caller(const char *uri, const char *remote, const char *role)
{
	struct part_new n = {.uri = uri, .role = role};
	struct part_media m = {.codec = "PCMU", .direction = "sendrecv"};
	struct participant *p = NULL;

	if (part_add(w.c, &n, &p))
		abort();
	part_set_status(p, PART_CONNECTED);
	snprintf(m.remote, sizeof(m.remote), "%s", remote);
	part_set_media(p, &m);
}

static void world(void)
{
	struct confs_cfg cfg = {.domain = "example.org",
				.http_base = "http://h:1"};
	struct floorctl_cfg fcfg = {.no_sockets = true};
	struct floor_policy fp = {.enabled = true, .mode = FLOOR_MODE_CHAIR,
				  .max_holders = 2};
	char path[64];

	if (w.fc)
		return;
	libre_init();
	snprintf(path, sizeof(path), "/tmp/caucus-fuzz-bfcp-%d.db",
		 (int)getpid());
	unlink(path);
	if (store_open(&w.st, path) || confs_alloc(&w.cs, &cfg, w.st) ||
	    conf_create(w.cs, "demo", NULL, &w.c))
		abort();
	unlink(path);
	caller("sip:ann@example.com", "127.0.0.1:4000", NULL);
	caller("sip:mia@example.com", "127.0.0.2:4000", "moderator");
	if (conf_set_floor_policy(w.c, FLOOR_AUDIO, &fp) ||
	    floorctl_alloc(&w.fc, &fcfg, w.cs))
		abort();
	floorctl_set_sink(w.fc, sink, NULL);
	sa_set_str(&w.ann, "127.0.0.1", 5000);
	sa_set_str(&w.mia, "127.0.0.2", 5000);
	sa_set_str(&w.stranger, "192.0.2.1", 5000);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	world();
	if (size < 2)
		return 0;
	/* a copy of exactly the input's size: a read past it is caught */
	copy = malloc(size - 2 ? size - 2 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 2, size - 2);
	switch (data[0] % 4) {
	case 0:
		floorctl_recv_udp(w.fc, &w.ann, copy, size - 2);
		break;
	case 1:
		floorctl_recv_udp(w.fc, &w.mia, copy, size - 2);
		break;
	case 2:
		floorctl_recv_stream(w.fc, &w.ann, copy, size - 2, data[1]);
		break;
	default:
		floorctl_recv_udp(w.fc, &w.stranger, copy, size - 2);
		break;
	}
	free(copy);
	return 0;
}
