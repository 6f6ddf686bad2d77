/*
 * caucusd: startup, wiring and graceful shutdown. Builds the modules in
 * dependency order (store, conferences, mixer, focus, API), runs libre's
 * loop on this (the signalling) thread, and on SIGINT/SIGTERM hangs up
 * every call before it exits 0. A second signal stops at once. The role
 * (docs/mscp.md) picks the parts: one and focus start them all (a focus
 * puts its calls' media on the mixer processes of `mixers`), mixer only
 * the mixer threads and their SIP UA (parts.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "api/api.h"
#include "cluster/cluster.h"
#include "conf/conf.h"
#include "main/app.h"
#include "main/config.h"
#include "mixer/mixer.h"
#include "video/video.h"
#include "notify/notify.h"
#include "sip/sip.h"
#include "store/store.h"
#include "users/users.h"
#include "util/fdlimit.h"
#include "util/log.h"

struct app app;

static void video_event(const struct video_event *ev, void *arg)
{
	(void)arg;
	if (app.focus)
		focus_video_event(app.focus, ev);
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
	if (app.notifier)
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

static bool subscribe_admit(const struct sip_msg *msg, void *arg)
{
	return focus_admit_subscribe(arg, msg);
}

/* The store, the users and the conferences (with the demo and the
 * lobby when set) */
static int confs_start(const struct config *cfg, const char *domain,
		       const char *http_base, const char *realm)
{
	struct confs_cfg ccfg = {.domain = domain, .http_base = http_base};
	int err = store_open(&app.store, cfg->db);

	if (err) {
		log_err("main", "msg=\"cannot open store\" db=%s", cfg->db);
		return err;
	}
	err = users_alloc(&app.users, app.store, realm, domain);
	if (err) {
		log_err("main", "msg=\"cannot load users\" err=%m", err);
		return err;
	}
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
	return 0;
}

/* Roles one and focus */
static int start(void)
{
	struct config *cfg = &app.cfg;
	char domain[160], http_base[96];
	const char *realm = cfg->sip_realm[0] ? cfg->sip_realm : domain;
	struct focus_cfg fcfg;
	struct api_cfg acfg = {
		.addr = cfg->http_addr, .port = (uint16_t)cfg->http_port,
		.max_body = cfg->api_max_body, .web_root = cfg->web_root,
		.admin_token = cfg->admin_token,
		.tls_cert = cfg->http_tls ? cfg->tls_cert : NULL,
	};
	int err;

	app_names(cfg, domain, sizeof(domain), http_base, sizeof(http_base));
	err = app_limits_start(cfg, cfg->limits_exempt);
	err = err ? err : confs_start(cfg, domain, http_base, realm);
	err = err ? err : app_mixer_start(cfg);
	if (err)
		return err;
	app_focus_cfg(&fcfg, cfg, realm);
	fcfg.users = app.users;
	fcfg.bfcp_port = config_bfcp_port(cfg);
	/* role focus: the calls' media on these mixer processes */
	fcfg.mixers = cfg->mixers[0] ? cfg->mixers : NULL;
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
		notifier_set_admit(app.notifier, subscribe_admit, app.focus);
		notifier_set_limit(app.notifier, app.sip_limit);
		notifier_set_contact(app.notifier, notify_contact, app.focus);
	}
	err = err ? err : focus_start(app.focus);
	if (err) {
		log_err("main", "msg=\"cannot start the notifier\" err=%m",
			err);
		return err;
	}
	err = app_apps_start(cfg);
	err = err ? err : app_floorctl_start(cfg);
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
	if (config_role(cfg) == CONFIG_ROLE_FOCUS)
		log_info("main", "msg=\"ready\" role=focus mixers=%s "
			 "conferences=%u sip=%s:%u http=%s", cfg->mixers,
			 confs_count(app.confs), cfg->sip_addr, cfg->sip_port,
			 http_base);
	else
		log_info("main", "msg=\"ready\" conferences=%u sip=%s:%u "
			 "http=%s", confs_count(app.confs), cfg->sip_addr,
			 cfg->sip_port, http_base);
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
	err = config_role(&app.cfg) == CONFIG_ROLE_MIXER ?
		app_start_mixer() : start();
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
