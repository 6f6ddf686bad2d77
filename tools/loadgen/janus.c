/*
 * caucus-loadgen --janus URL: the same N legs, joined to a Janus
 * AudioBridge room as plain RTP participants instead of by SIP, so the
 * benchmark can run the peer side by side with the same generator
 * (bench/janus.sh). Blocking requests (http.c), on the main
 * thread before the media thread starts: a few thousand requests on
 * loopback, off the measured window.
 *
 * The Janus API (janus.conf.meetecho.com/docs/rest.html): create a
 * session, attach one AudioBridge handle per participant, create a room
 * (sampling_rate 8000, or 48000 for Opus; allow_rtp_participants),
 * "join" each handle with {"codec":"pcmu" or "opus","rtp":{"ip","port",
 * "payload_type"}} naming the leg's
 * socket; the "joined" event, fetched by long poll, names the port Janus
 * receives that participant on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "loadgen.h"

#define JROOM 4242

static const char *jurl;
static uint64_t session;
static uint64_t *handles;

/* One request; the body of the answer into *odp (JSON) */
static int http(const char *method, const char *path, const char *body,
		struct odict **odp)
{
	static char buf[1 << 20];
	char *b;
	/* no time limit: the event request is a long poll */
	int err = lg_http(jurl, method, path, body, 0, buf, sizeof(buf), &b);

	return err ? err : json_decode_odict(odp, 32, b, strlen(b), 16);
}

static const struct odict *obj(const struct odict *od, const char *key)
{
	const struct odict_entry *e = od ? odict_lookup(od, key) : NULL;

	return e && e->type == ODICT_OBJECT ? e->u.odict : NULL;
}

static uint64_t id_of(const struct odict *od)
{
	const struct odict *data = obj(od, "data");
	uint64_t id = 0;

	if (data)
		(void)odict_get_number(data, &id, "id");
	return id;
}

static int post(const char *path, const char *body, struct odict **odp)
{
	int err = http("POST", path, body, odp);

	if (!err && getenv("LG_DEBUG"))
		re_fprintf(stderr, "janus %s: %H\n", path, odict_debug, *odp);
	return err;
}

/* Reads events until every leg's "joined" named its Janus port */
static int collect(unsigned *joined)
{
	char path[64];
	struct odict *evs = NULL;
	int err;

	snprintf(path, sizeof(path), "/janus/%llu?maxev=1000",
		 (unsigned long long)session);
	err = http("GET", path, NULL, &evs);
	if (err)
		return err;
	for (struct le *le = evs->lst.head; le; le = le->next) {
		const struct odict_entry *e = le->data;
		const struct odict *ev = e->u.odict, *pd, *d, *rtp;
		uint64_t sender = 0, port = 0;

		if (e->type != ODICT_OBJECT)
			continue;
		(void)odict_get_number(ev, &sender, "sender");
		pd = obj(ev, "plugindata");
		d = pd ? obj(pd, "data") : NULL;
		if (d && odict_string(d, "error")) {
			/* a join refused: waiting for it would be forever */
			fprintf(stderr, "loadgen: Janus refused a join: %s\n",
				odict_string(d, "error"));
			mem_deref(evs);
			return EPROTO;
		}
		rtp = d ? obj(d, "rtp") : NULL;
		if (!rtp || !odict_get_number(rtp, &port, "port"))
			continue;
		for (unsigned i = 0; i < o.n; i++) {
			if (handles[i] != sender || legs[i].up)
				continue;
			legs[i].dst.sin_family = AF_INET;
			legs[i].dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			legs[i].dst.sin_port = htons((uint16_t)port);
			legs[i].up = true;
			(*joined)++;
		}
	}
	mem_deref(evs);
	return 0;
}

int janus_join_all(const char *url)
{
	struct odict *od = NULL;
	char path[96], body[512];
	unsigned joined = 0;
	int err;

	jurl = url;
	handles = calloc(o.n + 1, sizeof(*handles));
	if (!handles)
		return ENOMEM;
	err = post("/janus", "{\"janus\":\"create\",\"transaction\":\"c\"}",
		   &od);
	session = err ? 0 : id_of(od);
	od = mem_deref(od);
	if (!session)
		return err ? err : EPROTO;
	snprintf(path, sizeof(path), "/janus/%llu",
		 (unsigned long long)session);
	for (unsigned i = 0; i <= o.n; i++) {
		err = post(path, "{\"janus\":\"attach\",\"plugin\":"
			   "\"janus.plugin.audiobridge\",\"transaction\":\"a\"}",
			   &od);
		handles[i] = err ? 0 : id_of(od);
		od = mem_deref(od);
		if (!handles[i])
			return err ? err : EPROTO;
	}
	/* the last handle makes the room */
	snprintf(path, sizeof(path), "/janus/%llu/%llu",
		 (unsigned long long)session,
		 (unsigned long long)handles[o.n]);
	snprintf(body, sizeof(body), "{\"janus\":\"message\",\"transaction\":"
		 "\"r\",\"body\":{\"request\":\"create\",\"room\":%d,"
		 "\"sampling_rate\":%u,\"allow_rtp_participants\":true,"
		 "\"audiolevel_event\":false,\"record\":false}}", JROOM,
		 o.codec == LG_PCMU ? 8000 : o.codec == LG_G722 ? 16000 :
		 48000);
	err = post(path, body, &od);
	od = mem_deref(od);
	if (err)
		return err;
	for (unsigned i = 0; i < o.n; i++) {
		struct sockaddr_in a;
		socklen_t len = sizeof(a);

		if (getsockname(socks[legs[i].sock], (struct sockaddr *)&a,
				&len))
			return errno;
		snprintf(path, sizeof(path), "/janus/%llu/%llu",
			 (unsigned long long)session,
			 (unsigned long long)handles[i]);
		snprintf(body, sizeof(body), "{\"janus\":\"message\","
			 "\"transaction\":\"j%u\",\"body\":{\"request\":"
			 "\"join\",\"room\":%d,\"codec\":\"%s\",\"rtp\":{"
			 "\"ip\":\"127.0.0.1\",\"port\":%u,\"payload_type\":%d}}}",
			 i, JROOM, lg_leg_codec(i) == MEDIA_OPUS ? "opus" :
			 lg_leg_codec(i) == MEDIA_G722 ? "g722" : "pcmu",
			 ntohs(a.sin_port), (int)lg_leg_codec(i));
		err = post(path, body, &od);
		od = mem_deref(od);
		if (err)
			return err;
		if (i % 10 == 9)      /* every join tells all others: drain */
			(void)collect(&joined);
	}
	for (int tries = 0; joined < o.n && tries < 2000; tries++) {
		err = collect(&joined);
		if (err)
			return err;
	}
	established = joined;
	fprintf(stderr, "loadgen: %u/%u joined Janus room %d\n", joined, o.n,
		JROOM);
	return joined == o.n ? 0 : ETIMEDOUT;
}
