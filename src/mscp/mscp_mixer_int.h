/*
 * The executor's objects, shared by its two files: the requests that
 * change conferences and joins (mscp_mixer.c) and dispatch, audit, the
 * mixer's talking events and the notifications (mscp_events.c). Only
 * those include this.
 */
#ifndef CAUCUS_MSCP_MIXER_INT_H
#define CAUCUS_MSCP_MIXER_INT_H

#include <re.h>
#include "mscp/mscp_mixer.h"

struct mscp_conf {
	struct le le;
	struct mscp_mixer *ex;
	char id[MIXPKG_ID_MAX + 1];
	uint32_t room;
	struct mixpkg_conf cfg;
	struct tmr tmr;             /* the next active-talkers-notify */
	uint64_t last_ms;           /* when the last one went */
	bool dirty;                 /* talkers changed since */
};

/* How a connection is joined */
struct join_cfg {
	bool in, out;               /* heard / hears */
	bool mute_in, mute_out;
	double gain_in_db, gain_out_db;
};

struct mscp_conn {
	struct le le;
	char id[MIXPKG_ID_MAX + 1];
	uint32_t stream, home_room;
	struct mixer_media base;
	struct mscp_conf *conf;     /* joined to, or NULL */
	struct join_cfg j;
	bool talking;
};

struct mscp_mixer {
	struct mixer *mx;
	uint32_t next_room;
	unsigned next_conf;
	struct list confs, conns;
	mscp_event_h *eh;
	mscp_rehome_h *rehomeh;
	void *arg;
};

struct mscp_conf *mscp_conf_find(const struct mscp_mixer *ex,
				 const char *id);
struct mscp_conn *mscp_conn_find(const struct mscp_mixer *ex,
				 const char *id);
void mscp_emit(struct mscp_mixer *ex, const struct mixpkg_msg *ev);
void mscp_emit_unjoin(struct mscp_mixer *ex, const struct mscp_conn *c,
		      const struct mscp_conf *cf, uint16_t status,
		      const char *why);
/* Moves c into cf with j (NULL: back home, parked); 0 or the mixer's
 * error (nothing changed then) */
int  mscp_conn_join(struct mscp_mixer *ex, struct mscp_conn *c,
		    struct mscp_conf *cf, const struct join_cfg *j);
/* The requests; MIXPKG_OK or a status with *why */
uint16_t mscp_do_join(struct mscp_mixer *ex, const struct mixpkg_msg *req,
		      const char **why);
uint16_t mscp_do_create(struct mscp_mixer *ex, const struct mixpkg_msg *req,
			struct mixpkg_msg *resp, const char **why);
uint16_t mscp_do_modify(struct mscp_mixer *ex, const struct mixpkg_msg *req,
			const char **why);
uint16_t mscp_do_destroy(struct mscp_mixer *ex,
			 const struct mixpkg_msg *req, const char **why);

#endif
