/* Private to the subscription files of the notify module: sub.c sends
 * NOTIFYs (shared renders, partial or full, one in flight, expiry),
 * sub_in.c takes SUBSCRIBE requests, notifier.c holds them together.
 * sub_in.c and notifier.c call sub.c, never the other way round.
 * Signalling thread. */
#ifndef CAUCUS_SUB_INT_H
#define CAUCUS_SUB_INT_H

#include <re.h>
#include "conf/conf.h"
#include "notify/notify.h"

/* A render of one conference in one view at one version, shared by its
 * subscribers until the conference changes */
struct rcache {
	struct le le;
	struct conf *conf;            /* referenced */
	const struct sidebar *sb;     /* the sidebar's document (NULL: the
				       * conference's); dropped with the
				       * conference's renders at each change,
				       * before a sidebar can go */
	bool moderator;
	uint32_t version;
	struct notify_render *r;
};

struct notifier {
	struct list renders;          /* struct rcache */
	const struct conf *ending;    /* destroyed, final NOTIFYs going */
	struct sip *sip;
	struct sip_lsnr *lsnr;
	struct confs *confs;
	struct list subs;
	struct tmr tmr;
	/* one timer for every subscription's expiry, due at the earliest:
	 * a thousand hour-long timers in libre's sorted timer list would
	 * make every transaction's timer walk past them */
	struct tmr exp_tmr;
	uint64_t exp_next;            /* when exp_tmr fires */
	uint32_t interval_ms;
	uint32_t min_expires;
	const struct sa *laddr;
	struct notify_stats st;
	uint32_t delay_hist[NOTIFY_DELAY_BUCKETS];   /* ms; last: more */
	notify_gate_h *gateh;
	void *gate_arg;
	notify_admit_h *admith;
	void *admit_arg;
	struct srclimit *limit;       /* NULL: none */
	notify_contact_h *contacth;
	void *contact_arg;
};

enum sub_end { END_NONE = 0, END_TIMEOUT, END_NORESOURCE, END_UNSUB };

struct nsub {
	struct le le;
	struct notifier *n;
	struct sip_dialog *dlg;
	struct sip_request *req;      /* the NOTIFY in flight */
	struct conf *conf;            /* referenced */
	struct notify_render *last;   /* what the subscriber has */
	char contact[160];
	uint32_t version;             /* last version sent */
	uint64_t expires_at_ms;
	uint64_t dirty_since_ms;      /* first change not yet sent */
	bool dirty;                   /* the conference changed since */
	bool want_full;               /* next NOTIFY: the full state */
	enum sub_end end;             /* ending: the NOTIFY to send is final */
	bool final_sent;
	struct notify_view view;      /* view.sidebar: see sb_id */
	/* a subscription to a sidebar's URI: the sidebar, by id (sidebars
	 * are not referenced: view.sidebar is looked up again at each
	 * change of the conference) and URI (for the last document once
	 * it ended); "": the conference's */
	char sb_id[SIDEBAR_ID_MAX + 1];
	char *sb_uri;
	struct sa src;                /* counted per source while it lasts */
	bool src_held;
};


/* A new subscription to c, or to its sidebar sb (NULL: c itself), not
 * yet listed (sub.c) */
int  sub_alloc(struct nsub **sp, struct notifier *n, struct conf *c,
	       const struct sidebar *sb);
/* Sends the next NOTIFY now if none is in flight. */
void sub_send_next(struct nsub *s);
/* Ends a subscription with a final NOTIFY (after the one in flight). */
void sub_end(struct nsub *s, enum sub_end why);
/* The subscription expires in expires seconds */
void sub_arm_expiry(struct nsub *s, uint32_t expires);
/* A conference changed (conf_change_h): its subscribers are due a
 * NOTIFY within the interval */
void sub_conf_changed(struct conf *c, bool destroyed, void *arg);
/* SUBSCRIBE requests (sub_in.c), libre's sip_listen handler */
bool sub_subscribe_handler(const struct sip_msg *msg, void *arg);

#endif
