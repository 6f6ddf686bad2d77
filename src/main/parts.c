/*
 * The parts main.c's start puts together (limits, mixer threads, the
 * focus's settings, applications, BFCP), and the whole start of role
 * mixer: a caucusd that only carries media for the focuses of
 * focus_allow (docs/mscp.md). Signalling thread, at startup.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <re.h>
#include "apps/apps.h"
#include "conf/conf.h"
#include "floorctl/floorctl.h"
#include "main/accept_guard.h"
#include "main/app.h"
#include "mixer/mixer.h"
#include "sip/sip.h"
#include "store/store.h"
#include "util/log.h"
#include "util/srclimit.h"

static void mixer_event(const struct mixer_event *ev, void *arg)
{
	(void)arg;
	if (app.focus)
		focus_mixer_event(app.focus, ev);
}

static void mixer_packet(uint32_t stream_id, bool rtcp,
			 const struct sockaddr_storage *src, socklen_t srclen,
			 const uint8_t *data, size_t len, void *arg)
{
	(void)arg;
	if (app.focus)
		focus_mixer_packet(app.focus, stream_id, rtcp, src, srclen,
				   data, len);
}

static const char *rtp_addr(const struct config *cfg)
{
	return cfg->rtp_addr[0] ? cfg->rtp_addr : cfg->sip_addr;
}

void app_names(const struct config *cfg, char *domain, size_t dsz,
	       char *http_base, size_t hsz)
{
	if (cfg->domain[0])
		snprintf(domain, dsz, "%s", cfg->domain);
	else if (cfg->sip_port == 5060)
		snprintf(domain, dsz, "%s", cfg->sip_addr);
	else
		snprintf(domain, dsz, "%s:%u", cfg->sip_addr, cfg->sip_port);
	snprintf(http_base, hsz, "%s://%s:%u", cfg->http_tls ? "https" :
		 "http", cfg->http_addr, cfg->http_port);
}

/* The per-source limits of SIP and of the API (docs/security.md), and
 * of connections at accept() */
int app_limits_start(const struct config *cfg, const char *sip_exempt)
{
	struct srclimit_cfg sc = {
		.what = "sip", .rate_per_s = cfg->sip_rate_per_s,
		.burst = cfg->sip_burst,
		.offences = cfg->block_after_refusals,
		.window_s = cfg->block_window_s, .block_s = cfg->block_s,
		.exempt = sip_exempt,
		.proxies = cfg->cluster_proxies,
		.held_max = {cfg->max_calls_per_source,
			     cfg->max_subscriptions_per_source},
	};
	struct srclimit_cfg ac = sc;
	int err;

	ac.what = "api";
	ac.exempt = cfg->limits_exempt;
	ac.proxies = NULL;
	ac.rate_per_s = cfg->api_rate_per_s;
	ac.burst = cfg->api_burst;
	ac.held_max[0] = ac.held_max[1] = 0;
	err = srclimit_alloc(&app.sip_limit, &sc);
	err = err ? err : srclimit_alloc(&app.api_limit, &ac);
	err = err ? err : accept_guard_set(cfg->max_connections_per_source);
	if (err) {
		log_err("main", "msg=\"cannot set up the limits\" err=%m", err);
		return err;
	}
	accept_guard_limits(app.sip_limit);
	return 0;
}

int app_mixer_start(const struct config *cfg)
{
	struct mixer_cfg mcfg = {.threads = cfg->mixer_threads,
				 .packet_h = mixer_packet,
				 .jitter_ms = cfg->jitter_ms,
				 .max_speakers = cfg->mixer_max_speakers,
				 .mix_hz = cfg->mixer_rate,
				 .uring = !strcmp(cfg->rtp_io, "uring")};
	int err;

	if (!strcmp(cfg->rtp_sockets, "per-thread")) {
		/* thread i on the even port rtp_port_min + 2i and the next */
		struct sa a;

		err = sa_set_str(&a, rtp_addr(cfg), 0);
		if (err) {
			log_err("main", "msg=\"rtp_addr is not an address\" "
				"rtp_addr=%s", rtp_addr(cfg));
			return err;
		}
		memcpy(&mcfg.shared_addr, &a.u, a.len);
		mcfg.shared_port = (uint16_t)((cfg->rtp_port_min + 1) & ~1u);
		mcfg.shared_port_max = (uint16_t)cfg->rtp_port_max;
	}
	err = mixer_alloc(&app.mixer, &mcfg, mixer_event, NULL);
	if (err)
		log_err("main", "msg=\"cannot start mixer\" err=%m", err);
	return err;
}

void app_focus_cfg(struct focus_cfg *fc, const struct config *cfg,
		   const char *realm)
{
	*fc = (struct focus_cfg){
		.sip_addr = cfg->sip_addr, .sip_port = (uint16_t)cfg->sip_port,
		.udp = strstr(cfg->sip_transports, "udp") != NULL,
		.tcp = strstr(cfg->sip_transports, "tcp") != NULL,
		.tls = strstr(cfg->sip_transports, "tls") != NULL,
		.tls_port = (uint16_t)cfg->sip_tls_port,
		.tls_cert = cfg->tls_cert,
		.rtp_addr = rtp_addr(cfg),
		.rtp_port_min = (uint16_t)cfg->rtp_port_min,
		.rtp_port_max = (uint16_t)cfg->rtp_port_max,
		.rtp_timeout_s = cfg->rtp_timeout_s,
		.max_call_rate = cfg->max_call_rate,
		.max_subscribe_rate = cfg->max_subscribe_rate,
		.factory_user = cfg->factory_user,
		.session_expires_s = cfg->session_expires_s,
		.session_min_se_s = cfg->session_min_se_s,
		.moderation_timeout_s = cfg->moderation_timeout_s,
		.moderation_early = !strcmp(cfg->moderation_answer, "early"),
		.realm = realm,
		.nonce_ttl_s = cfg->nonce_ttl_s,
		.digest_algs = cfg->sip_digest_algorithms,
		.limit = app.sip_limit,
		.mixer_pool = cfg->mixer_pool,
	};
}

/* The applications: recordings and the speech cache beside the db
 * unless a folder is set */
int app_apps_start(const struct config *cfg)
{
	char base[256], rec[300], cache[300];
	const char *slash = strrchr(cfg->db, '/');
	struct apps_cfg ac = {
		.prompts_dir = cfg->prompts_dir,
		.operator_uri = cfg->operator_uri,
		.pin_timeout_s = cfg->pin_timeout_s,
		.pin_tries = cfg->pin_tries,
		.cache_dir = cache, .recordings_dir = rec,
	};
	int err;

	if (!strncmp(cfg->db, "postgresql://", 13) ||
	    !strncmp(cfg->db, "postgres://", 11)) {
		/* a shared store: the files are this node's own, in
		 * ./var/<node> */
		(void)mkdir("./var", 0750);
		snprintf(base, sizeof(base), "./var/%s", cfg->node[0] ?
			 cfg->node : "local");
		(void)mkdir(base, 0750);
	}
	else {
		snprintf(base, sizeof(base), "%.*s", slash ?
			 (int)(slash - cfg->db) : 1, slash ? cfg->db : ".");
	}
	snprintf(cache, sizeof(cache), "%s/prompt-cache", base);
	snprintf(rec, sizeof(rec), "%s", cfg->recordings_dir);
	if (!rec[0])
		snprintf(rec, sizeof(rec), "%s/recordings", base);
	err = apps_alloc(&app.apps, &ac, app.confs, app.mixer);
	if (err)
		log_err("main", "msg=\"cannot start the applications\" "
			"err=%m", err);
	return err;
}

/* The BFCP floor control server, once the conferences exist */
int app_floorctl_start(const struct config *cfg)
{
	struct floorctl_cfg fc = {.addr = cfg->sip_addr,
				  .port = config_bfcp_port(cfg),
				  .max_conns_per_source = 8};
	int err;

	if (!fc.port) {
		log_info("main", "msg=\"bfcp off\"");
		return 0;
	}
	err = floorctl_alloc(&app.floorctl, &fc, app.confs);
	if (err) {
		log_err("main", "msg=\"cannot listen\" what=bfcp port=%u "
			"err=%m", fc.port, err);
		return err;
	}
	log_info("main", "msg=\"bfcp listening\" addr=%s port=%u "
		 "transports=udp,tcp", cfg->sip_addr,
		 floorctl_port(app.floorctl));
	return 0;
}

/*
 * Role mixer. The focus module is the mixer's SIP UA (focus_allow set:
 * it takes INVITEs from those addresses only, media connections and
 * control dialogs, and refuses the rest). It still wants a conference
 * registry, which wants a store: an in-memory SQLite one, so that a
 * mixer never touches a file, and holds no conference (no demo, no
 * lobby). No notifier, API, applications, BFCP, cluster or users.
 */
int app_start_mixer(void)
{
	const struct config *cfg = &app.cfg;
	char domain[160], http_base[96], exempt[600];
	struct confs_cfg ccfg = {.domain = domain, .http_base = http_base};
	struct focus_cfg fcfg;
	const char *control = cfg->control_addr[0] ? cfg->control_addr :
		cfg->sip_addr;
	int err;

	app_names(cfg, domain, sizeof(domain), http_base, sizeof(http_base));
	/* the focuses open a call here per participant, and a pool ahead:
	 * a caller's limits must not apply to them */
	snprintf(exempt, sizeof(exempt), "%s%s%s", cfg->limits_exempt,
		 cfg->limits_exempt[0] ? "," : "", cfg->focus_allow);
	err = app_limits_start(cfg, exempt);
	if (err)
		return err;
	err = store_open(&app.store, ":memory:");
	err = err ? err : confs_alloc(&app.confs, &ccfg, app.store);
	if (err) {
		log_err("main", "msg=\"cannot make the conference registry\" "
			"err=%m", err);
		return err;
	}
	err = app_mixer_start(cfg);
	if (err)
		return err;
	app_focus_cfg(&fcfg, cfg, domain);
	fcfg.factory_user = "";
	fcfg.focus_allow = cfg->focus_allow;
	fcfg.control_addr = control;
	err = focus_alloc(&app.focus, &fcfg, app.confs, app.mixer);
	err = err ? err : focus_start(app.focus);
	if (err) {
		log_err("main", "msg=\"cannot start the mixer's SIP UA\" "
			"err=%m", err);
		return err;
	}
	log_info("main", "msg=\"ready\" role=mixer sip=%s:%u rtp=%s:%u-%u "
		 "control=%s focus_allow=%s", cfg->sip_addr, cfg->sip_port,
		 fcfg.rtp_addr, cfg->rtp_port_min, cfg->rtp_port_max, control,
		 cfg->focus_allow);
	return 0;
}
