/*
 * caucus-loadgen's command line: one table of options (name, what it
 * sets), the usage text beside it, and the checks of what they say
 * together. Main thread, before anything starts.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loadgen.h"

struct opts o = {
	.target = "sip:demo@127.0.0.1:5060", .api = "http://127.0.0.1:8080",
	.n = 50, .rate = 200, .warmup_s = 3, .seconds = 10, .talkers = 2,
	.max_loss_pct = 100, .user = "lg",
};

static void usage(void)
{
	fprintf(stderr, "usage: caucus-loadgen --pid PID [--target URI] "
		"[--api URL] [--n N] [--rate CPS] [--warmup S] [--seconds S]"
		" [--talkers K] [--sdp-port-offset K] [--max-loss PCT]"
		" [--janus URL | --peers FILE] [--codec pcmu|g722|opus|mixed]"
		" [--own-sockets] [--srtp] [--header] [--setup CMD]"
		" [--targets URI,URI...] [--tones K] [--check-legs M]"
		" [--tone-spread] [--latency] [--hold] [--rejoin]"
		" [--report-every S] [--user NAME] [--self-mix M]\n"
		"  --pid 0 (or none): caucusd's CPU is not measured\n"
		"  --user NAME: the legs call from sip:NAME<i>@127.0.0.1"
		" (lg)\n"
		"  --target again, or --targets: leg i dials target i %% n\n"
		"  --tones K (<= 16): the first K legs (spread over the range:"
		" --tone-spread) send tones of their own, the others silence;"
		" M legs (--check-legs; the K and others spread over the"
		" range) say which they hear: TONES line, exit 1 when one"
		" misses a tone or hears its own; --latency: gated tones,"
		" onsets timed (LATENCY line); caucusd mixes the 4 loudest"
		" unless the conference's max_speakers says more\n"
		"  --hold (or --seconds 0): up until SIGTERM; ALLUP when all"
		" are in; LIVE on SIGUSR1 or every --report-every S; a new"
		" tone window on SIGUSR2; --rejoin: calls that end, or get no"
		" media for 3 s, are placed again\n"
		"  --self-mix M: the first M legs say they mix for themselves"
		" (a=x-caucus-mixing:self); checked, they tell streams apart"
		" by SSRC and check the tones in each: SELFMIX lines\n");
	exit(2);
}

static int opt_codec(const char *v)
{
	static const char *const names[] = {"pcmu", "g722", "opus", "mixed"};

	for (unsigned c = 0; c < 4; c++) {
		if (!strcmp(v, names[c])) {
			o.codec = (enum lg_codec)c;
			return 0;
		}
	}
	return EINVAL;
}

/* --target again adds one; --targets a,b,c adds them all */
static int opt_target(const char *v)
{
	if (o.ntargets == LG_MAX_TARGETS)
		return E2BIG;
	o.targets[o.ntargets++] = v;
	return 0;
}

static int opt_targets(const char *v)
{
	char *copy = strdup(v), *save = NULL;
	int err = copy ? 0 : ENOMEM;

	/* (the copy lives as long as the program: targets[] points in) */
	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && !err;
	     t = strtok_r(NULL, ",", &save))
		err = opt_target(t);
	return err;
}

static int opt_header(const char *v)
{
	(void)v;
	printf("%6s %7s %9s %10s %10s %8s %8s %8s %6s %8s\n",
	       "N", "joined", "cpu %", "us/pf", "mixer us",
	       "loss %", "jit ms", "jit max", "late", "p99 late");
	exit(0);
}

enum opt_kind { OPT_FLAG, OPT_UINT, OPT_INT, OPT_DOUBLE, OPT_STR, OPT_FN };

static const struct opt_def {
	const char *name;
	enum opt_kind kind;
	void *p;                  /* what it sets */
	int (*fn)(const char *v);
} opt_defs[] = {
	{"--own-sockets",     OPT_FLAG,   &o.own_sockets,     NULL},
	{"--srtp",            OPT_FLAG,   &o.srtp,            NULL},
	{"--tone-spread",     OPT_FLAG,   &o.tone_spread,     NULL},
	{"--latency",         OPT_FLAG,   &o.latency,         NULL},
	{"--hold",            OPT_FLAG,   &o.hold,            NULL},
	{"--rejoin",          OPT_FLAG,   &o.rejoin,          NULL},
	{"--header",          OPT_FLAG,   NULL,               opt_header},
	{"--target",          OPT_FN,     NULL,               opt_target},
	{"--targets",         OPT_FN,     NULL,               opt_targets},
	{"--codec",           OPT_FN,     NULL,               opt_codec},
	{"--api",             OPT_STR,    &o.api,             NULL},
	{"--janus",           OPT_STR,    &o.janus,           NULL},
	{"--peers",           OPT_STR,    &o.peers,           NULL},
	{"--setup",           OPT_STR,    &o.setup,           NULL},
	{"--user",            OPT_STR,    &o.user,            NULL},
	{"--n",               OPT_UINT,   &o.n,               NULL},
	{"--rate",            OPT_UINT,   &o.rate,            NULL},
	{"--warmup",          OPT_UINT,   &o.warmup_s,        NULL},
	{"--seconds",         OPT_UINT,   &o.seconds,         NULL},
	{"--talkers",         OPT_UINT,   &o.talkers,         NULL},
	{"--sdp-port-offset", OPT_UINT,   &o.sdp_port_offset, NULL},
	{"--tones",           OPT_UINT,   &o.tones,           NULL},
	{"--check-legs",      OPT_UINT,   &o.check_legs,      NULL},
	{"--self-mix",        OPT_UINT,   &o.self_mix,        NULL},
	{"--report-every",    OPT_UINT,   &o.report_every_s,  NULL},
	{"--pid",             OPT_INT,    &o.pid,             NULL},
	{"--max-loss",        OPT_DOUBLE, &o.max_loss_pct,    NULL},
};

void lg_opts_parse(int argc, char *argv[])
{
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		const struct opt_def *d = NULL;

		for (size_t k = 0; k < sizeof(opt_defs) / sizeof(*d); k++)
			if (!strcmp(argv[i], opt_defs[k].name))
				d = &opt_defs[k];
		if (!d)
			usage();
		if (d->kind == OPT_FLAG) {
			if (d->fn)
				(void)d->fn(NULL);
			else
				*(bool *)d->p = true;
			continue;
		}
		if (!v)
			usage();
		switch (d->kind) {
		case OPT_UINT:   *(unsigned *)d->p = (unsigned)atoi(v); break;
		case OPT_INT:    *(int *)d->p = atoi(v); break;
		case OPT_DOUBLE: *(double *)d->p = atof(v); break;
		case OPT_STR:    *(const char **)d->p = v; break;
		default:
			if (d->fn(v))
				usage();
		}
		i++;
	}
	if (!o.ntargets)
		o.targets[o.ntargets++] = o.target;
	o.target = o.targets[0];
	if (!o.seconds)
		o.hold = true;
	if (o.tones)
		o.talkers = o.tones;
	if (!o.n || o.n > 20000 || o.pid < 0 || !o.rate ||
	    o.tones > LG_MAX_TONES || o.tones > o.n || o.self_mix > o.n ||
	    (o.rejoin && !o.hold) || ((o.janus || o.peers) && o.rejoin))
		usage();
}

/* --peers FILE: one UDP port on 127.0.0.1 per line, one per leg */
int lg_peers_read(const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned port, n = 0;

	if (!f)
		return errno;
	while (n < o.n && fscanf(f, "%u", &port) == 1 && port < 65536) {
		legs[n].dst.sin_family = AF_INET;
		legs[n].dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		legs[n].dst.sin_port = htons((uint16_t)port);
		legs[n].up = true;
		n++;
	}
	fclose(f);
	established = n;
	return n == o.n ? 0 : EINVAL;
}
