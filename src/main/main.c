/*
 * caucusd: startup, wiring and graceful shutdown. Builds the modules in
 * dependency order (store, conferences, mixer, focus, API), runs libre's
 * loop on this (the signalling) thread, and on SIGINT/SIGTERM hangs up
 * every call before it exits 0. A second signal stops at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <re.h>
#include "api/api.h"
#include "apps/apps.h"
#include "cluster/cluster.h"
#include "conf/conf.h"
#include "floorctl/floorctl.h"
#include "main/config.h"
#include "mixer/mixer.h"
#include "video/video.h"
#include "notify/notify.h"
#include "sip/sip.h"
#include "store/store.h"
#include "users/users.h"
#include "main/accept_guard.h"
#include "util/fdlimit.h"
#include "util/log.h"
#include "util/srclimit.h"

struct app {
	struct config cfg;
	struct store *store;
	struct users *users;
	struct confs *confs;
	struct mixer *mixer;
	struct video *video;
	struct focus *focus;
	struct notifier *notifier;
	struct api *api;
	struct apps *apps;
	struct floorctl *floorctl;
	struct cluster *cluster;         /* NULL: one server alone */
	struct srclimit *sip_limit, *api_limit;
	bool stopping;
};

static struct app app;

static void mixer_event(const struct mixer_event *ev, void *arg)
{
	(void)arg;
	if (app.focus)
		focus_mixer_event(app.focus, ev);
}

static void video_event(const struct video_event *ev, void *arg)
{
	(void)arg;
	if (app.focus)
		focus_video_event(app.focus, ev);
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

static void shutdown_done(void *arg)
{
	(void)arg;
	re_cancel();
}

static void signal_handler(int sig)
{
	if (app.stopping) {
		log_warn("main", "msg=\"second signal, stopping now\"");
		re_cancel();
		return;
	}
	app.stopping = true;
	log_info("main", "msg=\"stopping\" signal=%d participants=%u", sig,
		 confs_participant_count(app.confs));
	notifier_terminate_all(app.notifier);
	focus_shutdown(app.focus, app.cfg.shutdown_ms, shutdown_done, NULL);
}

static int load_config(int argc, char *argv[])
{
	const char *file = NULL;
	int help = 0;
	char err[320];

	config_defaults(&app.cfg);
	/* flags twice: once to find --config, again so flags win over it */
	if (config_parse_args(&app.cfg, argc, argv, &file, &help, err,
			      sizeof(err)))
		goto bad;
	if (help == 2) {
		config_print_sample(stdout);
		exit(0);
	}
	if (help) {
		config_usage(stdout, argv[0]);
		exit(0);
	}
	if (file) {
		config_defaults(&app.cfg);
		if (config_load_file(&app.cfg, file, err, sizeof(err)) ||
		    config_parse_args(&app.cfg, argc, argv, &file, &help, err,
				      sizeof(err)))
			goto bad;
	}
	if (config_validate(&app.cfg, err, sizeof(err)))
		goto bad;
	return 0;
bad:
	fprintf(stderr, "caucusd: %s\n(try --help)\n", err);
	return EINVAL;
}

/* Two sockets per participant (RTP, RTCP) on top of SIP and HTTP: a few
 * hundred participants pass the usual soft limit of 1024 descriptors
 * (util/fdlimit.c raises it and libre's table with it). */
static void raise_fd_limit(void)
{
	int ok;
	unsigned max = fd_limit_raise(&ok);

	if (!ok)
		log_warn("main", "msg=\"fd_setsize failed\" max=%u", max);
	log_dbg("main", "msg=\"descriptors\" max=%u poll=%s", max,
		poll_method_name(poll_method_best()));
}

static int notify_contact(char *buf, size_t sz, const char *conf_id,
			  const struct sip_msg *msg, void *arg)
{
	return focus_contact_uri(buf, sz, arg, conf_id, msg->tp,
				 !pl_strcasecmp(&msg->uri.scheme, "sips"));
}

static int subscribe_gate(struct conf *c, const struct sip_msg *msg,
			  bool *moderator, void *arg)
{
	return focus_gate_subscribe(arg, c, msg, moderator);
}

/* The per-source limits of SIP and of the API (docs/security.md), and
 * of connections at accept() */
static int limits_start(const struct config *cfg)
{
	struct srclimit_cfg sc = {
		.what = "sip", .rate_per_s = cfg->sip_rate_per_s,
		.burst = cfg->sip_burst,
		.offences = cfg->block_after_refusals,
		.window_s = cfg->block_window_s, .block_s = cfg->block_s,
		.exempt = cfg->limits_exempt,
		.proxies = cfg->cluster_proxies,
		.held_max = {cfg->max_calls_per_source,
			     cfg->max_subscriptions_per_source},
	};
	struct srclimit_cfg ac = sc;
	int err;

	ac.what = "api";
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

/* The applications: recordings and the speech cache beside the db
 * unless a folder is set */
static int apps_start(const struct config *cfg)
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
static int floorctl_start(const struct config *cfg)
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

static int start(void)
{
	struct config *cfg = &app.cfg;
	char domain[160], http_base[96];
	const char *rtp_addr = cfg->rtp_addr[0] ? cfg->rtp_addr :
		cfg->sip_addr;
	struct confs_cfg ccfg = {.domain = domain, .http_base = http_base};
	struct mixer_cfg mcfg = {.threads = cfg->mixer_threads,
				 .packet_h = mixer_packet,
				 .jitter_ms = cfg->jitter_ms,
				 .max_speakers = cfg->mixer_max_speakers,
				 .mix_hz = cfg->mixer_rate};
	struct focus_cfg fcfg = {
		.sip_addr = cfg->sip_addr, .sip_port = (uint16_t)cfg->sip_port,
		.udp = strstr(cfg->sip_transports, "udp") != NULL,
		.tcp = strstr(cfg->sip_transports, "tcp") != NULL,
		.tls = strstr(cfg->sip_transports, "tls") != NULL,
		.tls_port = (uint16_t)cfg->sip_tls_port,
		.tls_cert = cfg->tls_cert,
		.rtp_addr = rtp_addr,
		.rtp_port_min = (uint16_t)cfg->rtp_port_min,
		.rtp_port_max = (uint16_t)cfg->rtp_port_max,
		.rtp_timeout_s = cfg->rtp_timeout_s,
		.factory_user = cfg->factory_user,
		.session_expires_s = cfg->session_expires_s,
		.session_min_se_s = cfg->session_min_se_s,
		.moderation_timeout_s = cfg->moderation_timeout_s,
		.moderation_early = !strcmp(cfg->moderation_answer, "early"),
		.realm = cfg->sip_realm[0] ? cfg->sip_realm : domain,
		.nonce_ttl_s = cfg->nonce_ttl_s,
		.digest_algs = cfg->sip_digest_algorithms,
		.bfcp_port = config_bfcp_port(cfg),
	};
	struct api_cfg acfg = {
		.addr = cfg->http_addr, .port = (uint16_t)cfg->http_port,
		.max_body = cfg->api_max_body, .web_root = cfg->web_root,
		.admin_token = cfg->admin_token,
		.tls_cert = cfg->http_tls ? cfg->tls_cert : NULL,
	};
	int err;

	if (cfg->domain[0])
		snprintf(domain, sizeof(domain), "%s", cfg->domain);
	else if (cfg->sip_port == 5060)
		snprintf(domain, sizeof(domain), "%s", cfg->sip_addr);
	else
		snprintf(domain, sizeof(domain), "%s:%u", cfg->sip_addr,
			 cfg->sip_port);
	snprintf(http_base, sizeof(http_base), "%s://%s:%u",
		 cfg->http_tls ? "https" : "http", cfg->http_addr,
		 cfg->http_port);

	err = limits_start(cfg);
	if (err)
		return err;
	fcfg.limit = app.sip_limit;
	err = store_open(&app.store, cfg->db);
	if (err) {
		log_err("main", "msg=\"cannot open store\" db=%s", cfg->db);
		return err;
	}
	err = users_alloc(&app.users, app.store, fcfg.realm, domain);
	if (err) {
		log_err("main", "msg=\"cannot load users\" err=%m", err);
		return err;
	}
	fcfg.users = app.users;
	err = confs_alloc(&app.confs, &ccfg, app.store);
	err = err ? err : confs_load(app.confs);
	if (err) {
		log_err("main", "msg=\"cannot load conferences\" err=%m", err);
		return err;
	}
	if (cfg->demo[0] && !confs_lookup(app.confs, cfg->demo)) {
		struct conf *c;

		err = conf_create(app.confs, cfg->demo, "Demo conference", &c);
		if (err == EEXIST)     /* another node of the cluster made it
					* a moment ago */
			err = confs_sync(app.confs, cfg->demo);
		if (err) {
			log_err("main", "msg=\"cannot create demo\" id=%s "
				"err=%m", cfg->demo, err);
			return err;
		}
	}
	if (cfg->lobby_user[0]) {
		struct conf *c = confs_lookup(app.confs, cfg->lobby_user);

		err = c ? 0 : conf_create(app.confs, cfg->lobby_user,
					  "Dial-in lobby", &c);
		if (err) {
			log_err("main", "msg=\"cannot make the dial-in lobby\" "
				"id=%s err=%m", cfg->lobby_user, err);
			return err;
		}
		conf_set_lobby_only(c, true);
	}
	if (!strcmp(cfg->rtp_sockets, "per-thread")) {
		/* thread i on the even port rtp_port_min + 2i and the next */
		struct sa a;

		err = sa_set_str(&a, rtp_addr, 0);
		if (err) {
			log_err("main", "msg=\"rtp_addr is not an address\" "
				"rtp_addr=%s", rtp_addr);
			return err;
		}
		memcpy(&mcfg.shared_addr, &a.u, a.len);
		mcfg.shared_port = (uint16_t)((cfg->rtp_port_min + 1) & ~1u);
		mcfg.shared_port_max = (uint16_t)cfg->rtp_port_max;
	}
	err = mixer_alloc(&app.mixer, &mcfg, mixer_event, NULL);
	if (err) {
		log_err("main", "msg=\"cannot start mixer\" err=%m", err);
		return err;
	}
	if (cfg->video_threads) {
		struct video_cfg vcfg = {.threads = cfg->video_threads};

		err = video_alloc(&app.video, &vcfg, video_event, NULL);
		if (err) {
			log_err("main", "msg=\"cannot start video\" err=%m",
				err);
			return err;
		}
	}
	fcfg.video = app.video;
	err = focus_alloc(&app.focus, &fcfg, app.confs, app.mixer);
	if (err)
		return err;
	if (cfg->node[0]) {
		char sip[80];
		struct cluster_cfg kcfg = {.node = cfg->node, .sip_addr = sip,
					   .api_url = http_base,
					   .capacity = cfg->cluster_capacity};

		snprintf(sip, sizeof(sip), "%s:%u", cfg->sip_addr,
			 cfg->sip_port);
		err = cluster_alloc(&app.cluster, &kcfg, app.store, app.confs,
				    app.users, app.focus);
		if (err) {
			log_err("main", "msg=\"cannot join the cluster\" "
				"node=%s err=%m", cfg->node, err);
			return err;
		}
	}
	err = notifier_alloc(&app.notifier, focus_sip(app.focus), app.confs,
			     focus_laddr(app.focus), cfg->notify_interval_ms,
			     cfg->notify_min_expires);
	if (!err) {
		notifier_set_gate(app.notifier, subscribe_gate, app.focus);
		notifier_set_limit(app.notifier, app.sip_limit);
		notifier_set_contact(app.notifier, notify_contact, app.focus);
	}
	err = err ? err : focus_start(app.focus);
	if (err) {
		log_err("main", "msg=\"cannot start the notifier\" err=%m",
			err);
		return err;
	}
	err = apps_start(cfg);
	err = err ? err : floorctl_start(cfg);
	if (err)
		return err;
	acfg.users = app.users;
	acfg.limit = app.api_limit;
	acfg.sip_limit = app.sip_limit;
	err = api_alloc(&app.api, &acfg, app.confs, app.focus, app.mixer,
			app.notifier);
	if (err) {
		log_err("main", "msg=\"cannot start the API\" err=%m", err);
		return err;
	}
	api_set_apps(app.api, app.apps);
	api_set_cluster(app.api, app.cluster);
	log_info("main", "msg=\"ready\" conferences=%u sip=%s:%u http=%s",
		 confs_count(app.confs), cfg->sip_addr, cfg->sip_port,
		 http_base);
	return 0;
}

static void stop(void)
{
	/* the focus first: its calls hold mixer streams */
	app.floorctl = mem_deref(app.floorctl);    /* it follows confs */
	app.api = mem_deref(app.api);
	app.apps = mem_deref(app.apps);      /* it holds conferences */
	app.cluster = mem_deref(app.cluster);   /* hands conferences on */
	app.notifier = mem_deref(app.notifier);
	app.focus = mem_deref(app.focus);
	app.confs = mem_deref(app.confs);
	app.users = mem_deref(app.users);
	app.mixer = mem_deref(app.mixer);
	app.video = mem_deref(app.video);
	app.store = mem_deref(app.store);
	app.sip_limit = mem_deref(app.sip_limit);
	app.api_limit = mem_deref(app.api_limit);
}

int main(int argc, char *argv[])
{
	enum log_level lvl;
	int err;

	if (load_config(argc, argv))
		return 2;
	(void)log_level_parse(app.cfg.log_level, &lvl);
	log_set_level(lvl);
	err = libre_init();
	if (err) {
		fprintf(stderr, "caucusd: libre_init: %s\n", strerror(err));
		return 1;
	}
	raise_fd_limit();
	err = start();
	if (!err) {
		err = re_main(signal_handler);
		log_info("main", "msg=\"stopped\"");
	}
	stop();
	tmr_debug();
	libre_close();
	mem_debug();
	return err ? 1 : 0;
}
