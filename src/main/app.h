/*
 * Inside src/main: the process's parts (one of each, made by start and
 * freed by stop in main.c) and the helpers that make them (parts.c),
 * shared by the roles: one (everything), focus (everything but the
 * media, on mixer processes) and mixer (media only; docs/mscp.md).
 * Signalling thread only.
 */
#ifndef CAUCUS_APP_H
#define CAUCUS_APP_H

#include <stdbool.h>
#include "main/config.h"

struct focus_cfg;

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

extern struct app app;

/* The conference URIs' host[:port] and the API's base URL */
void app_names(const struct config *cfg, char *domain, size_t dsz,
	       char *http_base, size_t hsz);
/* The per-source limits of SIP and of the API; sip_exempt: SIP's
 * exempt list (limits_exempt, and a mixer's focuses) */
int  app_limits_start(const struct config *cfg, const char *sip_exempt);
/* The mixer threads (app.mixer), their events to the focus */
int  app_mixer_start(const struct config *cfg);
/* The focus's settings every role shares (realm: the digest realm) */
void app_focus_cfg(struct focus_cfg *fc, const struct config *cfg,
		   const char *realm);
/* The applications and the BFCP server (roles one and focus) */
int  app_apps_start(const struct config *cfg);
int  app_floorctl_start(const struct config *cfg);
/* Role mixer: the mixer threads and the focus as the mixer's SIP UA */
int  app_start_mixer(void);

#endif
