/*
 * caucusd settings. One table (config.c) defines every setting once: its
 * name in caucus.conf, its --flag, its default and its help text. No file is
 * needed for the defaults. Signalling thread, at startup only.
 */
#ifndef CAUCUS_CONFIG_H
#define CAUCUS_CONFIG_H

#include <stdint.h>
#include <stdio.h>

struct config {
	char sip_addr[64];
	uint32_t sip_port;
	char sip_transports[32];
	uint32_t sip_tls_port;
	char tls_cert[256];
	uint32_t http_tls;
	char domain[128];
	char http_addr[64];
	uint32_t http_port;
	char db[256];
	char rtp_addr[64];
	uint32_t rtp_port_min;
	uint32_t rtp_port_max;
	char rtp_sockets[16];
	char rtp_io[16];
	uint32_t mixer_threads;
	uint32_t video_threads;
	uint32_t jitter_ms;
	uint32_t mixer_max_speakers;
	uint32_t mixer_rate;
	char log_level[16];
	char demo[64];
	uint32_t api_max_body;
	uint32_t shutdown_ms;
	char web_root[256];
	uint32_t notify_interval_ms;
	uint32_t notify_min_expires;
	uint32_t rtp_timeout_s;
	char factory_user[64];
	char admin_token[128];
	uint32_t session_expires_s;
	uint32_t session_min_se_s;
	uint32_t moderation_timeout_s;
	char sip_realm[128];
	char moderation_answer[8];
	char sip_digest_algorithms[16];
	uint32_t nonce_ttl_s;
	/* per-source limits (util/srclimit.h, docs/security.md) */
	uint32_t sip_rate_per_s, sip_burst;
	uint32_t api_rate_per_s, api_burst;
	uint32_t block_after_refusals, block_window_s, block_s;
	uint32_t max_calls_per_source, max_subscriptions_per_source;
	uint32_t max_connections_per_source;
	uint32_t max_call_rate;     /* sip/overload.c */
	uint32_t max_subscribe_rate;
	char limits_exempt[256];
	/* the applications (apps/apps.h, docs/applications.md) */
	char prompts_dir[256];
	char recordings_dir[256];
	char operator_uri[256];
	char lobby_user[64];
	uint32_t pin_timeout_s, pin_tries;
	/* the BFCP floor control server (floorctl/floorctl.h) */
	char bfcp_port[8];
	/* the cluster (cluster/cluster.h, docs/scale.md) */
	char node[33];
	uint32_t cluster_capacity;
	char cluster_proxies[256];
	/* the media-server split (docs/mscp.md, spec s. 6.3) */
	char role[8];               /* one, focus, mixer */
	char mixers[256];           /* focus: host:port,... */
	uint32_t mixer_pool;        /* focus: media connections ready on
				     * each mixer */
	char focus_allow[256];      /* mixer: focuses' addresses */
	char control_addr[64];      /* mixer: "" is sip_addr */
};

/* The process's part (role): all in one, the focus of a split, or one
 * of its mixers */
enum config_role { CONFIG_ROLE_ONE, CONFIG_ROLE_FOCUS, CONFIG_ROLE_MIXER };
enum config_role config_role(const struct config *cfg);

void config_defaults(struct config *cfg);
/* Reads `key = value` lines; errbuf gets "file:line: reason" on error. */
int  config_load_file(struct config *cfg, const char *path, char *errbuf,
		      size_t errsz);
/* The same from len bytes in memory (tests, the fuzz target) */
int  config_load_mem(struct config *cfg, const char *buf, size_t len,
		     char *errbuf, size_t errsz);
/* Applies argv flags (*want_help: 1 for --help, 2 for --sample-config).
 * *cfgfile is set when --config is given (the caller
 * loads the file first, then re-applies the flags so flags win). */
int  config_parse_args(struct config *cfg, int argc, char *argv[],
		       const char **cfgfile, int *want_help, char *errbuf,
		       size_t errsz);
int  config_validate(const struct config *cfg, char *errbuf, size_t errsz);
void config_usage(FILE *f, const char *prog);
/* The BFCP port bfcp_port gives (auto: sip_port + 2); 0: BFCP off */
uint16_t config_bfcp_port(const struct config *cfg);
/* caucus.conf.sample: every setting with its help and default */
void config_print_sample(FILE *f);

#endif
