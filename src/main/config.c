/*
 * The settings table's two readers (caucus.conf and argv), its checks
 * and its printing (config_opts.c is the table).
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

#define opts config_opts
#define NOPTS config_nopts


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

/* A setting that is one of two words (else the error says so) */
static bool either(const char *name, const char *v, const char *a,
		   const char *b, char *errbuf, size_t errsz)
{
	if (!strcmp(v, a) || !strcmp(v, b))
		return true;
	snprintf(errbuf, errsz, "%s: '%s' is not %s or %s", name, v, a, b);
	return false;
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
	if (!either("rtp_io", cfg->rtp_io, "uring", "syscalls", errbuf,
		    errsz) ||
	    !either("rtp_sockets", cfg->rtp_sockets, "per-call", "per-thread",
		    errbuf, errsz) ||
	    !either("moderation_answer", cfg->moderation_answer, "answer",
		    "early", errbuf, errsz))
		return EINVAL;
	/* an API open to the network must ask who calls it */
	if (!cfg->admin_token[0] && strcmp(cfg->http_addr, "127.0.0.1") &&
	    strcmp(cfg->http_addr, "::1") &&
	    strcmp(cfg->http_addr, "localhost")) {
		snprintf(errbuf, errsz, "admin_token: required when http_addr "
			 "(%s) is not a loopback address", cfg->http_addr);
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
