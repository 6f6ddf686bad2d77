/*
 * The settings table and its two readers (caucus.conf and argv).
 * Signalling thread, startup only.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "conf/conf.h"
#include "main/config.h"
#include "main/config_int.h"
#include "media/media.h"
#include "sip/sip.h"
#include "util/log.h"
#include "util/srclimit.h"

enum opt_type { OPT_STR, OPT_U32 };

struct opt {
	const char *name;     /* caucus.conf key; the flag is --name with '-' */
	enum opt_type type;
	size_t off;
	size_t size;          /* buffer size for OPT_STR */
	const char *def;
	uint32_t min, max;    /* bounds for OPT_U32 */
	const char *help;
};

#define S(f) OPT_STR, offsetof(struct config, f), \
	sizeof(((struct config *)0)->f)
#define U(f) OPT_U32, offsetof(struct config, f), 0

static const struct opt opts[] = {
	{"sip_addr", S(sip_addr), "127.0.0.1", 0, 0,
	 "address SIP listens on"},
	{"sip_port", U(sip_port), "5060", 1, 65535, "SIP port (UDP and TCP)"},
	{"sip_transports", S(sip_transports), "udp,tcp", 0, 0,
	 "comma list of udp, tcp, tls"},
	{"sip_tls_port", U(sip_tls_port), "5061", 1, 65535,
	 "SIP over TLS port (sips:), when sip_transports has tls"},
	{"tls_cert", S(tls_cert), "", 0, 0,
	 "PEM file with the TLS certificate chain and its private key, for "
	 "SIP over TLS and https (SIP: empty makes a self-signed one at "
	 "each start)"},
	{"http_tls", U(http_tls), "0", 0, 1,
	 "1: the HTTP API and console over TLS (https), with tls_cert"},
	{"domain", S(domain), "", 0, 0,
	 "domain of conference URIs (default: sip_addr)"},
	{"http_addr", S(http_addr), "127.0.0.1", 0, 0,
	 "address the HTTP API listens on"},
	{"http_port", U(http_port), "8080", 1, 65535, "HTTP API port"},
	{"db", S(db), "./var/caucus.db", 0, 0,
	 "the policy store: a SQLite file, or a postgresql:// URI (a "
	 "cluster's shared store, docs/scale.md)"},
	{"prompts_dir", S(prompts_dir), "", 0, 0,
	 "folder of prompt files (<dir>/<language>/<name>.wav or .ogg, "
	 "then <dir>/<name>.*) that replace the built-in spoken prompts "
	 "(docs/applications.md); empty: the built-in ones only"},
	{"recordings_dir", S(recordings_dir), "", 0, 0,
	 "where recordings go (<dir>/<conference>/<id>.ogg); empty: "
	 "'recordings' beside the db"},
	{"operator_uri", S(operator_uri), "", 0, 0,
	 "SIP URI the keypad's operator key dials into the conference "
	 "(empty: none)"},
	{"lobby_user", S(lobby_user), "", 0, 0,
	 "the dial-in lobby: sip:<lobby_user>@<domain> asks callers for a "
	 "conference's number (its id) and moves them there (then its PIN), "
	 "one number for every conference; empty: none"},
	{"pin_timeout_s", U(pin_timeout_s), "20", 5, 300,
	 "seconds a caller has to key a conference PIN"},
	{"pin_tries", U(pin_tries), "3", 1, 10,
	 "wrong PINs before the caller hears goodbye"},
	{"rtp_addr", S(rtp_addr), "", 0, 0,
	 "address for RTP (default: sip_addr)"},
	{"rtp_port_min", U(rtp_port_min), "20000", 1024, 65534,
	 "lowest RTP port"},
	{"rtp_port_max", U(rtp_port_max), "39999", 1025, 65535,
	 "highest RTP port"},
	{"rtp_sockets", S(rtp_sockets), "per-call", 0, 0,
	 "per-call: each call has its own RTP/RTCP port pair from the "
	 "range; per-thread: mixer thread i has one pair, rtp_port_min + 2i, "
	 "for all its calls, demultiplexed by source address and SSRC and "
	 "read and sent in batches (cheaper; a caller must send from the "
	 "address its SDP gives, or its host's, unless it is the only one "
	 "on the thread not yet heard)"},
	{"mixer_threads", U(mixer_threads), "0", 0, 64,
	 "mixer threads (0: one per core)"},
	{"video_threads", U(video_threads), "1", 0, 16,
	 "video forwarding threads (0: no video, every video stream is "
	 "answered with port 0); a composed conference has a thread of its "
	 "own besides"},
	{"jitter_ms", U(jitter_ms), "40", 20, 400,
	 "the jitter buffer's least playout delay (it waits longer when a "
	 "stream's jitter or late packets ask for it, up to 200 ms or this)"},
	{"mixer_rate", U(mixer_rate), "16000", 8000, 48000,
	 "the highest rate a conference mixes at unless it names one: "
	 "8000, 16000 or 48000 Hz. Below it each room follows its callers, "
	 "at the highest rate their codecs carry (G.711 8000, G.722 "
	 "16000, Opus 48000), changing as they come and go; streams at "
	 "other rates are resampled"},
	{"mixer_max_speakers", U(mixer_max_speakers), "4", 1, 16,
	 "the K loudest talkers mixed in each conference; everyone else "
	 "hears one shared mix, encoded once"},
	{"log_level", S(log_level), "info", 0, 0, "error, warn, info, debug"},
	{"demo", S(demo), "", 0, 0,
	 "create this conference at startup if it is missing"},
	{"api_max_body", U(api_max_body), "65536", 256, 16777216,
	 "largest HTTP request body in bytes"},
	{"web_root", S(web_root), "", 0, 0,
	 "folder of the web console files (default: found from where "
	 "caucusd is: PREFIX/share/caucus/web when installed, the "
	 "checkout's web/ in a build folder)"},
	{"notify_interval_ms", U(notify_interval_ms), "250", 0, 60000,
	 "least time between two NOTIFYs to one subscriber"},
	{"notify_min_expires", U(notify_min_expires), "60", 1, 3600,
	 "shortest subscription granted, seconds (423 below)"},
	{"admin_token", S(admin_token), "", 0, 0,
	 "bearer token the HTTP API requires (needed beyond loopback)"},
	{"sip_realm", S(sip_realm), "", 0, 0,
	 "SIP digest realm (default: the domain); users' passwords are "
	 "stored for it"},
	{"sip_digest_algorithms", S(sip_digest_algorithms), "SHA-256,MD5", 0,
	 0, "digest challenges, preferred first: SHA-256,MD5 (RFC 8760), "
	 "MD5,SHA-256 (for phones that read only the first), SHA-256 or "
	 "MD5"},
	{"nonce_ttl_s", U(nonce_ttl_s), "300", 10, 86400,
	 "how long a SIP digest nonce is good (then stale=true)"},
	{"factory_user", S(factory_user), "conference-factory", 0, 0,
	 "user part of the conference factory URI (RFC 4579); empty: none"},
	{"session_expires_s", U(session_expires_s), "1800", 0, 86400,
	 "RFC 4028 session interval granted when asked (0: no timers)"},
	{"session_min_se_s", U(session_min_se_s), "90", 1, 86400,
	 "shortest session interval accepted (422 below; RFC 4028: 90)"},
	{"moderation_timeout_s", U(moderation_timeout_s), "120", 0, 86400,
	 "a join waiting for a moderator is rejected after (0: never)"},
	{"moderation_answer", S(moderation_answer), "answer", 0, 0,
	 "how a join waiting for a moderator hears music on hold: answer "
	 "(an answered call) or early (183 early media; 200 on approval, 403 "
	 "on refusal)"},
	{"rtp_timeout_s", U(rtp_timeout_s), "60", 0, 3600,
	 "hang up a call that sent no RTP for this long (0: never)"},
	{"shutdown_ms", U(shutdown_ms), "2000", 0, 60000,
	 "how long shutdown waits for BYE transactions"},
	{"sip_rate_per_s", U(sip_rate_per_s), "50", 0, 1000000,
	 "SIP requests a second from one address, sustained; past it 503 "
	 "with Retry-After, then silence (0: no limit)"},
	{"sip_burst", U(sip_burst), "200", 1, 1000000,
	 "SIP requests at once from one address"},
	{"api_rate_per_s", U(api_rate_per_s), "50", 0, 1000000,
	 "HTTP API requests a second from one address, sustained; past it "
	 "429 (0: no limit)"},
	{"api_burst", U(api_burst), "200", 1, 1000000,
	 "HTTP API requests at once from one address"},
	{"block_after_refusals", U(block_after_refusals), "20", 0, 1000000,
	 "an address that earns this many refusals that tell a scanner "
	 "something (404, 403; API 401 too) within block_window_s is blocked "
	 "(0: never)"},
	{"block_window_s", U(block_window_s), "60", 1, 86400,
	 "the window of block_after_refusals"},
	{"block_s", U(block_s), "600", 1, 604800,
	 "how long a blocked address gets nothing (logged once: src=ADDR)"},
	{"max_calls_per_source", U(max_calls_per_source), "200", 0, 1000000,
	 "calls from one address at once (503 past it; 0: no limit)"},
	{"max_subscriptions_per_source", U(max_subscriptions_per_source),
	 "200", 0, 1000000,
	 "conference subscriptions from one address at once (0: no limit)"},
	{"max_connections_per_source", U(max_connections_per_source), "64", 0,
	 1000000, "TCP and TLS connections (SIP and HTTP) from one address "
	 "at once (0: no limit)"},
	{"max_call_rate", U(max_call_rate), "0", 0, 1000000,
	 "new calls a second at most, over all sources; past it, and "
	 "whenever the signalling thread falls behind, 503 (overloaded) with "
	 "Retry-After (0: by load only)"},
	{"max_subscribe_rate", U(max_subscribe_rate), "0", 0, 1000000,
	 "new conference subscriptions (and fetches) a second at most, over "
	 "all sources; past it, and whenever the signalling thread falls "
	 "behind, 503 (overloaded) with Retry-After (0: by load only)"},
	{"bfcp_port", S(bfcp_port), "auto", 0, 0,
	 "the BFCP floor control server's port, UDP and TCP (docs/floor.md): "
	 "auto is sip_port + 2; 0 turns BFCP off"},
	{"limits_exempt", S(limits_exempt), "", 0, 0,
	 "addresses no per-source limit applies to, as address/bits, comma "
	 "separated (an SBC or a proxy in front)"},
	{"node", S(node), "", 0, 0,
	 "this node's name in a cluster ([A-Za-z0-9_-], up to 32; needs a "
	 "postgresql:// db shared by the nodes); empty: one server alone"},
	{"cluster_capacity", U(cluster_capacity), "500", 1, 1000000,
	 "participants this node takes before Kamailio sends new joins of "
	 "its conferences to other nodes (cascading)"},
	{"cluster_proxies", S(cluster_proxies), "", 0, 0,
	 "proxies in front (Kamailio), as address/bits, comma separated: a "
	 "request from one is counted against the caller's address its Via "
	 "records (received, rport), and they are exempt from the limits"},
	{"role", S(role), "one", 0, 0,
	 "one: everything in this process; focus: signalling, policy, "
	 "notification and the API, the media on the mixer processes of "
	 "mixers (RFC 6230/6505, docs/mscp.md); mixer: media only, for the "
	 "focuses of focus_allow"},
	{"mixers", S(mixers), "", 0, 0,
	 "role focus: the mixer processes' SIP addresses, host:port, comma "
	 "separated (at most 16)"},
	{"mixer_pool", U(mixer_pool), "16", 1, 1000,
	 "role focus: media connections kept ready on each mixer (a join "
	 "takes one at once)"},
	{"focus_allow", S(focus_allow), "127.0.0.1", 0, 0,
	 "role mixer: IP addresses of the focuses whose INVITEs it takes, "
	 "comma separated (at most 16); others get 403"},
	{"control_addr", S(control_addr), "", 0, 0,
	 "role mixer: address the control channels (RFC 6230) listen on "
	 "(default: sip_addr)"},
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static bool node_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 32)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

static const struct opt *opt_find(const char *name, size_t len)
{
	for (size_t i = 0; i < NOPTS; i++) {
		const char *n = opts[i].name;
		size_t j;

		if (strlen(n) != len)
			continue;
		for (j = 0; j < len; j++) {
			char c = name[j] == '-' ? '_' : name[j];
			if (c != n[j])
				break;
		}
		if (j == len)
			return &opts[i];
	}
	return NULL;
}

static int opt_set(struct config *cfg, const struct opt *o, const char *val,
		   char *errbuf, size_t errsz)
{
	char *p = (char *)cfg + o->off;

	if (o->type == OPT_STR) {
		if (strlen(val) >= o->size) {
			snprintf(errbuf, errsz, "%s: value longer than %zu",
				 o->name, o->size - 1);
			return EINVAL;
		}
		strcpy(p, val);
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long v = strtoul(val, &end, 10);
	if (errno || end == val || *end || v < o->min || v > o->max ||
	    val[0] == '-') {
		snprintf(errbuf, errsz, "%s: '%s' is not a number in %u..%u",
			 o->name, val, o->min, o->max);
		return EINVAL;
	}
	*(uint32_t *)(void *)p = (uint32_t)v;
	return 0;
}

void config_defaults(struct config *cfg)
{
	char err[64];

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NOPTS; i++)
		(void)opt_set(cfg, &opts[i], opts[i].def, err, sizeof(err));
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* One line at most: longer ones are refused, not cut in two */
#define LINE_MAX_LEN 510

/* name: the file's, for the messages */
static int load_stream(struct config *cfg, FILE *f, const char *name,
		       char *errbuf, size_t errsz)
{
	char *line = NULL, err[256];
	size_t cap = 0;
	unsigned lineno = 0;
	ssize_t n;
	int rc = 0;

	while (!rc && (n = getline(&line, &cap, f)) >= 0) {
		char *s, *eq, *key;
		const struct opt *o;

		lineno++;
		if (n > LINE_MAX_LEN) {
			snprintf(errbuf, errsz, "%s:%u: line longer than %d "
				 "characters", name, lineno, LINE_MAX_LEN);
			rc = EINVAL;
			break;
		}
		if (memchr(line, '\0', (size_t)n)) {
			snprintf(errbuf, errsz, "%s:%u: a NUL byte", name,
				 lineno);
			rc = EINVAL;
			break;
		}
		s = trim(line);
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(errbuf, errsz, "%s:%u: expected key = value",
				 name, lineno);
			rc = EINVAL;
			break;
		}
		*eq = '\0';
		key = trim(s);
		o = opt_find(key, strlen(key));
		if (!o) {
			snprintf(errbuf, errsz, "%s:%u: unknown setting '%s'",
				 name, lineno, key);
			rc = EINVAL;
		}
		else if (opt_set(cfg, o, trim(eq + 1), err, sizeof(err))) {
			snprintf(errbuf, errsz, "%s:%u: %s", name, lineno,
				 err);
			rc = EINVAL;
		}
	}
	free(line);
	return rc;
}

int config_load_file(struct config *cfg, const char *path, char *errbuf,
		     size_t errsz)
{
	FILE *f = fopen(path, "r");
	int rc;

	if (!f) {
		snprintf(errbuf, errsz, "%s: %s", path, strerror(errno));
		return errno;
	}
	rc = load_stream(cfg, f, path, errbuf, errsz);
	fclose(f);
	return rc;
}

int config_load_mem(struct config *cfg, const char *buf, size_t len,
		    char *errbuf, size_t errsz)
{
	FILE *f;
	int rc;

	if (!len)
		return 0;
	f = fmemopen((void *)buf, len, "r");
	if (!f) {
		snprintf(errbuf, errsz, "memory: %s", strerror(errno));
		return errno;
	}
	rc = load_stream(cfg, f, "(memory)", errbuf, errsz);
	fclose(f);
	return rc;
}

int config_parse_args(struct config *cfg, int argc, char *argv[],
		      const char **cfgfile, int *want_help, char *errbuf,
		      size_t errsz)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val, *eq;
		const struct opt *o;
		size_t len;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			*want_help = 1;
			return 0;
		}
		if (!strcmp(a, "--sample-config")) {
			*want_help = 2;
			return 0;
		}
		if (strncmp(a, "--", 2)) {
			snprintf(errbuf, errsz, "unexpected argument '%s'", a);
			return EINVAL;
		}
		a += 2;
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a) : strlen(a);
		if (eq) {
			val = eq + 1;
		}
		else if (i + 1 < argc) {
			val = argv[++i];
		}
		else {
			snprintf(errbuf, errsz, "--%s needs a value", a);
			return EINVAL;
		}
		if (len == 6 && !strncmp(a, "config", 6)) {
			*cfgfile = val;
			continue;
		}
		o = opt_find(a, len);
		if (!o) {
			snprintf(errbuf, errsz, "unknown flag '--%.*s'",
				 (int)len, a);
			return EINVAL;
		}
		if (opt_set(cfg, o, val, errbuf, errsz))
			return EINVAL;
	}
	return 0;
}

static bool port_number(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+')
		return false;
	v = strtoul(s, &end, 10);
	if (*end || v > 65535)
		return false;
	if (port)
		*port = (uint16_t)v;
	return true;
}

uint16_t config_bfcp_port(const struct config *cfg)
{
	uint16_t port = 0;

	if (!strcmp(cfg->bfcp_port, "auto"))
		return (uint16_t)(cfg->sip_port + 2);
	return port_number(cfg->bfcp_port, &port) ? port : 0;
}

int config_validate(const struct config *cfg, char *errbuf, size_t errsz)
{
	enum log_level lvl;
	char tmp[32];
	char *save = NULL, *tok;

	if (log_level_parse(cfg->log_level, &lvl)) {
		snprintf(errbuf, errsz, "log_level: '%s' is not one of "
			 "error, warn, info, debug", cfg->log_level);
		return EINVAL;
	}
	if (cfg->lobby_user[0] && !conf_id_valid(cfg->lobby_user)) {
		snprintf(errbuf, errsz, "lobby_user: '%s' is not a conference "
			 "id (1 to 64 of A-Z a-z 0-9 . _ -)", cfg->lobby_user);
		return EINVAL;
	}
	if (!media_rate_valid(cfg->mixer_rate)) {
		snprintf(errbuf, errsz, "mixer_rate: %u is not one of 8000, "
			 "16000, 48000", (unsigned)cfg->mixer_rate);
		return EINVAL;
	}
	if (cfg->rtp_port_max <= cfg->rtp_port_min + 2) {
		snprintf(errbuf, errsz, "rtp_port_max must be above "
			 "rtp_port_min + 2");
		return EINVAL;
	}
	if (strcmp(cfg->rtp_sockets, "per-call") &&
	    strcmp(cfg->rtp_sockets, "per-thread")) {
		snprintf(errbuf, errsz, "rtp_sockets: '%s' is not per-call or "
			 "per-thread", cfg->rtp_sockets);
		return EINVAL;
	}
	/* an API open to the network must ask who calls it */
	if (!cfg->admin_token[0] && strcmp(cfg->http_addr, "127.0.0.1") &&
	    strcmp(cfg->http_addr, "::1") &&
	    strcmp(cfg->http_addr, "localhost")) {
		snprintf(errbuf, errsz, "admin_token: required when http_addr "
			 "(%s) is not a loopback address", cfg->http_addr);
		return EINVAL;
	}
	if (strcmp(cfg->moderation_answer, "answer") &&
	    strcmp(cfg->moderation_answer, "early")) {
		snprintf(errbuf, errsz, "moderation_answer: '%s' is not answer "
			 "or early", cfg->moderation_answer);
		return EINVAL;
	}
	if (!focus_digest_algs_valid(cfg->sip_digest_algorithms)) {
		snprintf(errbuf, errsz, "sip_digest_algorithms: '%s' is not "
			 "one of SHA-256,MD5 / MD5,SHA-256 / SHA-256 / MD5",
			 cfg->sip_digest_algorithms);
		return EINVAL;
	}
	if (cfg->http_tls && !cfg->tls_cert[0]) {
		snprintf(errbuf, errsz, "http_tls: needs tls_cert (a PEM file "
			 "with the certificate and its key)");
		return EINVAL;
	}
	if (!srclimit_exempt_valid(cfg->limits_exempt)) {
		snprintf(errbuf, errsz, "limits_exempt: '%s' is not a comma "
			 "list of address/bits (at most 16)",
			 cfg->limits_exempt);
		return EINVAL;
	}
	if (!srclimit_exempt_valid(cfg->cluster_proxies)) {
		snprintf(errbuf, errsz, "cluster_proxies: '%s' is not a comma "
			 "list of address/bits (at most 16)",
			 cfg->cluster_proxies);
		return EINVAL;
	}
	if (cfg->node[0] && !node_name_valid(cfg->node)) {
		snprintf(errbuf, errsz, "node: '%s' is not a name of "
			 "[A-Za-z0-9_-], up to 32", cfg->node);
		return EINVAL;
	}
	if (cfg->node[0] && strncmp(cfg->db, "postgresql://", 13) &&
	    strncmp(cfg->db, "postgres://", 11)) {
		snprintf(errbuf, errsz, "node: a cluster node needs a shared "
			 "store (db = postgresql://...), not '%s'", cfg->db);
		return EINVAL;
	}
	if (cfg->admin_token[0] && strlen(cfg->admin_token) < 16) {
		snprintf(errbuf, errsz, "admin_token: use at least 16 "
			 "characters");
		return EINVAL;
	}
	if (strcmp(cfg->bfcp_port, "auto") && !port_number(cfg->bfcp_port,
							    NULL)) {
		snprintf(errbuf, errsz, "bfcp_port: '%s' is not auto or a "
			 "number in 0..65535", cfg->bfcp_port);
		return EINVAL;
	}
	if (!strcmp(cfg->bfcp_port, "auto") && cfg->sip_port > 65533) {
		snprintf(errbuf, errsz, "bfcp_port: auto (sip_port + 2) is "
			 "past 65535; give a number");
		return EINVAL;
	}
	snprintf(tmp, sizeof(tmp), "%s", cfg->sip_transports);
	for (tok = strtok_r(tmp, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "udp") && strcmp(tok, "tcp") &&
		    strcmp(tok, "tls")) {
			snprintf(errbuf, errsz, "sip_transports: unknown "
				 "transport '%s'", tok);
			return EINVAL;
		}
	}
	return config_validate_role(cfg, errbuf, errsz);
}

void config_usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s [--config FILE] [--setting VALUE ...]\n\n"
		"Every setting is also a caucus.conf line `setting = value`;"
		" flags win over the file.\n\n", prog);
	for (size_t i = 0; i < NOPTS; i++) {
		char flag[40];
		size_t j;

		snprintf(flag, sizeof(flag), "--%s", opts[i].name);
		for (j = 2; flag[j]; j++)
			if (flag[j] == '_')
				flag[j] = '-';
		fprintf(f, "  %-18s %-40s [%s]\n", flag, opts[i].help,
			opts[i].def);
	}
}

void config_print_sample(FILE *f)
{
	fprintf(f, "# caucus.conf: every setting is optional; these are the "
		"defaults.\n"
		"# Each one is also a flag: sip_port = 5070 is --sip-port "
		"5070.\n"
		"# Start with: caucusd --config /etc/caucus/caucus.conf\n"
		"# Made by caucusd --sample-config from the settings table.\n");
	for (size_t i = 0; i < NOPTS; i++)
		fprintf(f, "\n# %s\n%s =%s%s\n", opts[i].help, opts[i].name,
			opts[i].def[0] ? " " : "", opts[i].def);
}
