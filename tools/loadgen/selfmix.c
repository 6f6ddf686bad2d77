/*
 * caucus-loadgen --self-mix M: the first M legs say in their SDP that
 * they mix for themselves (a=x-caucus-mixing:self; caucus's distributed
 * mixing, spec s. 6.4, docs/media-policy.md): where the conference's
 * policy lets them, caucusd sends each of them the talkers as RTP streams
 * of their own instead of a mix.
 *
 * A checked one of them (tones.c picks the checked legs) tells what it
 * gets apart by SSRC and measures every tone in every stream (Goertzel
 * per 20 ms frame, as tones.c does for a mix, each stream with its own
 * decoder). Over a tone window it is:
 *   - separate: every SSRC that carried audio carries one tone;
 *   - mixed: one SSRC carries all it heard (what a phone gets);
 * and it passes (counted ok on the TONES line) when it is either, heard
 * every tone but its own, and no stream carried its own. A SELFMIX line
 * per such leg says which, with what each SSRC carried.
 *
 * Where the answer names a multicast group (a=x-caucus-multicast, caucus
 * sending each talker once to the group instead of to each listener;
 * docs/media-policy.md), the leg joins it on the interface of its own
 * address and hears the talkers from there, dropping the SSRC the
 * answer says is its own voice; the SELFMIX line counts the talker
 * packets that came by unicast and from the group, and its own dropped.
 *
 * selfmix_plan and selfmix_answer on the main thread before the media
 * starts, the rest on the media thread.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "loadgen.h"

/* as tones.c's HEARD_DBFS (why there) */
#define HEARD_DBFS -40.0
#define SELF_SSRCS 8
#define FRAME_MAX 320            /* 20 ms at 16 kHz */

struct self_stream {
	uint32_t ssrc;
	bool used;
	struct media_coder *mc;   /* G.722, Opus: decoded at 16 kHz */
	double pow[LG_MAX_TONES]; /* over the window: sum of amplitude^2 */
	unsigned frames;
	uint64_t seen;            /* packets, for the slot's age */
};

struct self_rx {
	unsigned rate;
	struct self_stream s[SELF_SSRCS];
	uint64_t packets;
	unsigned overflow;        /* SSRCs beyond SELF_SSRCS in a window */
	bool from_group;          /* the packet at hand came from it */
	uint64_t unicast, group, own;   /* talker packets this window: by
					 * unicast, from the group; its
					 * own voice dropped from it */
};

int selfmix_plan(void)
{
	int err = 0;

	for (unsigned i = 0; i < o.n && i < o.self_mix; i++) {
		struct leg *l = &legs[i];
		enum media_codec c = lg_leg_codec(l->idx);

		l->self_mix = true;
		if (!l->trx)              /* not checked: it only says so */
			continue;
		l->srx = calloc(1, sizeof(*l->srx));
		if (!l->srx)
			return ENOMEM;
		l->srx->rate = c == MEDIA_PCMU ? 8000 : 16000;
		for (unsigned k = 0; k < SELF_SSRCS && !err; k++)
			if (c != MEDIA_PCMU)
				l->srx->s[k].mc = media_coder_new(c, 16000,
								  NULL, &err);
	}
	return err;
}

void selfmix_free(void)
{
	for (unsigned i = 0; i < o.n && i < o.self_mix; i++) {
		struct self_rx *r = legs[i].srx;

		for (unsigned k = 0; r && k < SELF_SSRCS; k++)
			media_coder_free(r->s[k].mc);
		free(r);
		legs[i].srx = NULL;
		if (legs[i].mc_on)
			close(legs[i].mc_fd);
		legs[i].mc_on = false;
	}
}

void selfmix_answer(struct leg *l)
{
	const char *v = sdp_media_rattr(l->m, "x-caucus-multicast");
	char addr[64], codec[16];
	unsigned port, pt, clock;
	unsigned long ssrc;
	struct sockaddr_in g = {.sin_family = AF_INET}, me;
	socklen_t mlen = sizeof(me);
	struct ip_mreq mr;
	int one = 1, fd;

	/* (a call placed again keeps the group it joined) */
	if (!v || l->mc_on ||
	    sscanf(v, "%63s %u %u/%15[^/]/%u ssrc=%lu", addr, &port, &pt,
		   codec, &clock, &ssrc) != 6 ||
	    inet_pton(AF_INET, addr, &g.sin_addr) != 1 ||
	    getsockname(socks[l->sock], (struct sockaddr *)&me, &mlen))
		return;
	g.sin_port = htons((uint16_t)port);
	mr.imr_multiaddr = g.sin_addr;
	mr.imr_interface = me.sin_addr;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	/* every leg of the group binds it: each gets its own copy */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&g, sizeof(g)) ||
	    setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr))) {
		fprintf(stderr, "loadgen: leg %u cannot join %s:%u: %s\n",
			l->idx, addr, port, strerror(errno));
		close(fd);
		return;
	}
	l->mc_fd = fd;
	l->mc_ssrc = (uint32_t)ssrc;
	l->mc_on = true;
}

void selfmix_group_recv(uint64_t now_us)
{
	uint8_t buf[1500];

	for (unsigned i = 0; i < o.n && i < o.self_mix; i++) {
		struct leg *l = &legs[i];
		struct rtp_hdr h;
		ssize_t n;

		while (l->mc_on && (n = recv(l->mc_fd, buf, sizeof(buf),
					     MSG_DONTWAIT)) > 0) {
			if (!rtp_parse(&h, buf, (size_t)n))
				continue;
			if (h.ssrc == l->mc_ssrc) {      /* its own voice */
				if (l->srx)
					l->srx->own++;
				continue;
			}
			lg_leg_rx(l, now_us);
			if (!l->trx || !l->srx)
				continue;
			l->srx->from_group = true;
			tones_rx(l, &h, 0);
			l->srx->from_group = false;
		}
	}
}


/* The stream of ssrc: its slot, a free one, else the one heard from
 * least lately (its decoder goes on, the window's sums start over) */
static struct self_stream *stream_of(struct self_rx *r, uint32_t ssrc)
{
	struct self_stream *pick = NULL;

	for (unsigned k = 0; k < SELF_SSRCS; k++)
		if (r->s[k].used && r->s[k].ssrc == ssrc)
			return &r->s[k];
	for (unsigned k = 0; k < SELF_SSRCS && !pick; k++)
		if (!r->s[k].used)
			pick = &r->s[k];
	if (!pick) {
		pick = &r->s[0];
		for (unsigned k = 1; k < SELF_SSRCS; k++)
			if (r->s[k].seen < pick->seen)
				pick = &r->s[k];
		r->overflow++;
	}
	pick->used = true;
	pick->ssrc = ssrc;
	pick->frames = 0;
	memset(pick->pow, 0, sizeof(pick->pow));
	return pick;
}

void selfmix_rx(struct leg *l, const struct rtp_hdr *h, bool collecting)
{
	struct self_rx *r = l->srx;
	enum media_codec c = lg_leg_codec(l->idx);
	int16_t pcm[FRAME_MAX * 3];
	struct self_stream *s;
	int n;

	if (!r)
		return;
	if (collecting)
		*(r->from_group ? &r->group : &r->unicast) += 1;
	if (c == MEDIA_PCMU && (h->pt == 0 || h->pt == 8))
		c = (enum media_codec)h->pt;
	else if (h->pt != (uint8_t)c)
		return;               /* telephone-event, comfort noise */
	s = stream_of(r, h->ssrc);
	s->seen = ++r->packets;
	n = media_coder_decode(s->mc, c, pcm, sizeof(pcm) / sizeof(pcm[0]),
			       h->payload, h->plen);
	if (n <= 0 || n > FRAME_MAX || !collecting)
		return;
	for (unsigned k = 0; k < o.tones; k++) {
		double a = lg_goertzel(pcm, (size_t)n, tone_hz(k), r->rate);

		s->pow[k] += a * a;
	}
	s->frames++;
}

/* The tones (bits) a stream carried over the window */
static uint32_t stream_heard(const struct self_stream *s)
{
	uint32_t heard = 0;

	for (unsigned k = 0; s->frames && k < o.tones; k++)
		if (10 * log10(s->pow[k] / s->frames /
			       (32768.0 * 32768.0) + 1e-12) >= HEARD_DBFS)
			heard |= 1u << k;
	return heard;
}

/* "580+730" */
static size_t hz_print(char *buf, size_t sz, uint32_t mask)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned k = 0; k < o.tones && used + 8 < sz; k++)
		if (mask & (1u << k))
			used += (size_t)snprintf(buf + used, sz - used,
						 "%s%.0f", used ? "+" : "",
						 tone_hz(k));
	if (!used)
		used = (size_t)snprintf(buf, sz, "-");
	return used;
}

static unsigned bits(uint32_t m)
{
	return (unsigned)__builtin_popcount(m);
}

bool selfmix_report(struct leg *l)
{
	struct self_rx *r = l->srx;
	uint32_t heard = 0, want = 0, own = l->tone >= 0 ?
		1u << l->tone : 0;
	unsigned nlive = 0, nsingle = 0, most = 0;
	char streams[256] = "", h1[96], h2[96], mine[16] = "-";
	size_t used = 0;
	const char *mode;
	bool ok;

	if (!r)
		return false;
	for (unsigned k = 0; k < SELF_SSRCS; k++)
		if (r->s[k].used && r->s[k].frames > most)
			most = r->s[k].frames;
	/* a stream that carried audio: a quarter of the window at least
	 * (one that ended or began in it does not count) */
	for (unsigned k = 0; k < SELF_SSRCS; k++) {
		struct self_stream *s = &r->s[k];
		uint32_t m = s->used ? stream_heard(s) : 0;

		if (s->used && s->frames * 4 >= most && most && m) {
			nlive++;
			nsingle += bits(m) == 1;
			heard |= m;
			if (used + 16 < sizeof(streams)) {
				used += (size_t)snprintf(streams + used,
							 sizeof(streams) -
							 used, "%s",
							 used ? "/" : "");
				used += hz_print(streams + used,
						 sizeof(streams) - used, m);
			}
		}
		s->frames = 0;
		memset(s->pow, 0, sizeof(s->pow));
	}
	for (unsigned k = 0; k < o.tones; k++)
		if ((int)k != l->tone)
			want |= 1u << k;
	mode = nlive == 1 && bits(heard) > 1 ? "mixed" :
		nlive && nsingle == nlive ? "separate" : "bad";
	ok = strcmp(mode, "bad") && !(want & ~heard) && !(heard & own);
	hz_print(h1, sizeof(h1), heard);
	hz_print(h2, sizeof(h2), want & ~heard);
	if (own)
		hz_print(mine, sizeof(mine), own);
	printf("SELFMIX leg=%u tone=%s ssrcs=%u streams=%s heard=%s "
	       "missing=%s echo=%u mode=%s overflow=%u unicast=%llu "
	       "multicast=%llu own_dropped=%llu\n", l->idx, mine,
	       nlive, used ? streams : "-", h1, h2, (heard & own) != 0, mode,
	       r->overflow, (unsigned long long)r->unicast,
	       (unsigned long long)r->group, (unsigned long long)r->own);
	r->overflow = 0;
	r->unicast = r->group = r->own = 0;
	return ok;
}
