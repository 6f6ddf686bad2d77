/*
 * The HTTP/JSON API under /v1 (and the web console at /). Routes come from
 * one table in api.c; handlers change state through the conf module and
 * let the reconciler act. Signalling thread only.
 */
#ifndef CAUCUS_API_H
#define CAUCUS_API_H

#include <stdint.h>

struct api;
struct confs;
struct focus;
struct mixer;
struct notifier;
struct users;

struct api_cfg {
	const char *addr;
	uint16_t port;
	uint32_t max_body;
	const char *web_root;     /* folder of console files; NULL or "":
				   * found beside the executable */
	const char *admin_token;  /* "" or NULL: no authentication */
	struct users *users;      /* per-user tokens */
	struct srclimit *limit;   /* per-source limits of the API (NULL:
				   * none) */
	struct srclimit *sip_limit;   /* the focus's, for /metrics */
	const char *tls_cert;     /* PEM (certificate and key): https;
				   * NULL: plain http */
};

/* The applications (announcements, recordings) the API drives; NULL:
 * none (their routes answer 503) */
struct apps;
void api_set_apps(struct api *a, struct apps *apps);
/* The cluster this node is part of (status, remote participants) */
struct cluster;
void api_set_cluster(struct api *a, struct cluster *cl);
int api_alloc(struct api **apip, const struct api_cfg *cfg,
	      struct confs *cs, struct focus *f, struct mixer *mx,
	      struct notifier *nt);

#endif
