/*
 * Fuzz target: what cluster nodes say to each other
 * (src/cluster/cluster_wire.c). The first byte picks the path:
 *   'L' (and any other even byte): the rest is a Caucus-Link header's
 *        value from the network: cluster_link_decode answers 0 or
 *        EBADMSG; a link it takes prints again (signed with a test
 *        secret) into a value that decodes to the same fields, and that
 *        signature holds while a changed one does not;
 *   'S' (and any other odd byte): the rest is a node's roster share
 *        from the store: cluster_share_parse answers 0, EBADMSG or
 *        E2BIG; every entry it gives has an id, a URI and the node, and
 *        NUL-terminated strings.
 * A check that fails traps; the input is copied to a buffer of its exact
 * size, so a read past the end is caught.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "cluster/cluster_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static const char secret[] = "fuzz-secret-0123456789abcdef";

static void link_path(const char *p, size_t n)
{
	struct cluster_link l, back;
	struct pl pl = {.p = p, .l = n};
	char hdr[512];
	struct pl val;
	int err = cluster_link_decode(&l, &pl);

	CHECK(err == 0 || err == EBADMSG);
	if (err)
		return;
	CHECK(strlen(l.node) && strlen(l.conf) && strlen(l.sig) == 64);
	CHECK(!cluster_link_print(hdr, sizeof(hdr), secret, &l));
	CHECK(!strncmp(hdr, "Caucus-Link: ", 13));
	val.p = hdr + 13;
	val.l = strlen(hdr) - 13 - 2;       /* without the CRLF */
	CHECK(!cluster_link_decode(&back, &val));
	CHECK(!strcmp(back.node, l.node) && !strcmp(back.conf, l.conf) &&
	      !strcmp(back.focus, l.focus) && back.ts == l.ts);
	CHECK(cluster_link_valid(secret, &back));
	back.ts++;
	CHECK(!cluster_link_valid(secret, &back));
}

static void share_path(const char *p, size_t n)
{
	struct conf_remote *v = NULL;
	size_t count = 0;
	int err = cluster_share_parse("n2", p, n, &v, &count);

	CHECK(err == 0 || err == EBADMSG || err == E2BIG || err == ENOMEM);
	if (err) {
		CHECK(!v && !count);
		return;
	}
	for (size_t i = 0; i < count; i++) {
		CHECK(!strcmp(v[i].node, "n2"));
		CHECK(v[i].pid[0] && v[i].uri[0]);
		CHECK(memchr(v[i].display, 0, sizeof(v[i].display)));
		CHECK(memchr(v[i].focus, 0, sizeof(v[i].focus)));
		CHECK(memchr(v[i].contact, 0, sizeof(v[i].contact)));
	}
	mem_deref(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;

	if (size < 1)
		return 0;
	buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	if (data[0] & 1)
		share_path(buf, size - 1);
	else
		link_path(buf, size - 1);
	free(buf);
	return 0;
}
