/*
 * GET /v1/status: the server at a glance for its administrators: uptime,
 * conferences and participants, SIP and notification counters, and each
 * mixer thread's ticks. Signalling thread.
 */
#include <string.h>
#include "api/api_int.h"
#include "cluster/cluster.h"
#include "conf/conf.h"
#include "mixer/mixer.h"
#include "notify/notify.h"
#include "sip/sip.h"

/* a histogram over mixer_tick_bounds_us (the last bucket unbounded) */
static int hist_add(struct odict *od, const char *k, const uint64_t *h)
{
	struct odict *arr;
	int err = odict_alloc(&arr, MIXER_TICK_BUCKETS);

	for (unsigned b = 0; !err && b < MIXER_TICK_BUCKETS; b++) {
		char idx[4];

		re_snprintf(idx, sizeof(idx), "%u", b);
		err = odict_entry_add(arr, idx, ODICT_INT, (int64_t)h[b]);
	}
	err = err ? err : odict_entry_add(od, k, ODICT_ARRAY, arr);
	mem_deref(arr);
	return err;
}

static int mixer_json(struct odict **arrp, struct mixer *mx)
{
	struct odict *arr;
	int err = odict_alloc(&arr, 8);
	/* sends counted as they complete: per-thread sockets, io_uring */
	bool batched = strcmp(mixer_rtp_io(mx), "syscalls") != 0;

	for (unsigned i = 0; !err && i < mixer_thread_count(mx); i++) {
		struct mixer_thread_stats st;
		struct odict *t = NULL;
		char key[8];

		mixer_thread_stats(mx, i, &st);
		re_snprintf(key, sizeof(key), "%u", i);
		err = odict_alloc(&t, 8);
		err = err ? err : api_add_int(t, "streams", st.streams);
		err |= api_add_int(t, "ticks", (int64_t)st.ticks);
		err |= api_add_int(t, "late_ticks", (int64_t)st.late_ticks);
		err |= api_add_int(t, "busy_us", (int64_t)st.busy_us);
		err |= api_add_int(t, "max_tick_us", st.max_tick_us);
		err |= hist_add(t, "late_hist", st.late_hist);
		err |= api_add_int(t, "events_dropped", (int64_t)st.events_dropped);
		if (st.port) {        /* per-thread RTP sockets */
			err |= api_add_int(t, "rtp_port", st.port);
			err |= api_add_int(t, "rtp_unmatched",
				       (int64_t)st.rx_unmatched);
		}
		if (batched)
			err |= api_add_int(t, "rtp_tx_dropped",
				       (int64_t)st.tx_dropped);
		err |= odict_entry_add(arr, key, ODICT_OBJECT, t);
		mem_deref(t);
	}
	if (err)
		mem_deref(arr);
	else
		*arrp = arr;
	return err;
}

void api_set_cluster(struct api *a, struct cluster *cl)
{
	a->cluster = cl;
}

/* --role focus: the mixer processes (none: nothing said) */
static int mixers_add(struct odict *od, const struct focus *f)
{
	struct focus_mixer m[16];
	unsigned n = focus_mixers(f, m, 16);
	struct odict *arr = NULL;
	int err;

	if (!n)
		return 0;
	err = odict_alloc(&arr, 16);
	for (unsigned i = 0; i < n && i < 16 && !err; i++) {
		struct odict *o = NULL;
		char key[8];

		err = odict_alloc(&o, 8);
		err = err ? err : api_add_str(o, "address", m[i].addr);
		err = err ? err : api_add_str(o, "state",
					      m[i].up ? "up" : "down");
		err = err ? err : api_add_int(o, "ready", m[i].ready);
		err = err ? err : api_add_int(o, "used", m[i].used);
		err = err ? err : api_add_int(o, "conferences",
					      m[i].conferences);
		err = err ? err : api_add_int(o, "lost", m[i].lost);
		re_snprintf(key, sizeof(key), "%u", i);
		err = err ? err : odict_entry_add(arr, key, ODICT_OBJECT, o);
		mem_deref(o);
	}
	err = err ? err : odict_entry_add(od, "mixers", ODICT_ARRAY, arr);
	mem_deref(arr);
	return err;
}

/* Admission of new calls by load (sip/overload.c), and the API's
 * refusals while the thread is behind */
static int overload_add(struct odict *od, const struct api *a)
{
	struct focus_overload ov;
	struct odict *o = NULL;
	int err;

	focus_overload_stats(a->focus, &ov);
	err = odict_alloc(&o, 32);
	if (err)
		return err;
	err |= api_add_str(o, "state", ov.state);
	err |= api_add_int(o, "rejected_overload", (int64_t)ov.rejected);
	err |= api_add_int(o, "retransmissions_rejected",
			   (int64_t)ov.retrans_rejected);
	err |= api_add_int(o, "admitted", (int64_t)ov.admitted);
	err |= api_add_int(o, "rate_per_s", (int64_t)ov.rate_per_s);
	err |= api_add_int(o, "max_call_rate", (int64_t)ov.max_call_rate);
	err |= api_add_int(o, "delay_ms", ov.delay_ms);
	err |= api_add_int(o, "queue_ms", ov.queue_ms);
	err |= api_add_int(o, "loop_lag_p99_ms", ov.lag_p99_ms);
	err |= api_add_bool(o, "measure_asleep", ov.asleep);
	err |= api_add_int(o, "measure_woken", (int64_t)ov.woken);
	err |= api_add_int(o, "api_rejected_overload",
			   (int64_t)a->overload_refused);
	err |= api_add_str(o, "subscriptions_state", ov.subs_state);
	err |= api_add_int(o, "subscriptions_admitted",
			   (int64_t)ov.subs_admitted);
	err |= api_add_int(o, "subscriptions_rejected_overload",
			   (int64_t)ov.subs_rejected);
	err |= api_add_int(o, "subscriptions_rate_per_s",
			   (int64_t)ov.subs_rate_per_s);
	err |= api_add_int(o, "max_subscribe_rate",
			   (int64_t)ov.max_subscribe_rate);
	err |= odict_entry_add(od, "overload", ODICT_OBJECT, o);
	mem_deref(o);
	return err;
}

void api_status(struct api_req *r)
{
	struct odict *od = NULL, *sip = NULL, *mix = NULL, *nt = NULL;
	struct focus_stats fs;
	int err = odict_alloc(&od, 8);

	focus_get_stats(r->api->focus, &fs);
	err |= odict_alloc(&sip, 8);
	err |= odict_alloc(&nt, 4);
	if (err)
		goto out;
	err |= api_add_str(od, "version", "0.1.0");
	err |= api_add_int(od, "uptime_s",
		       (int64_t)(api_uptime_us(r->api) / 1000000));
	err |= api_add_int(od, "conferences", confs_count(r->api->confs));
	err |= api_add_int(od, "participants",
		       confs_participant_count(r->api->confs));
	err |= api_add_int(sip, "requests_in", (int64_t)fs.requests_in);
	err |= api_add_int(sip, "invites_in", (int64_t)fs.invites_in);
	err |= api_add_int(sip, "rejected", (int64_t)fs.rejected);
	err |= api_add_int(sip, "calls_active", (int64_t)fs.calls_active);
	err |= overload_add(od, r->api);
	err |= odict_entry_add(od, "sip", ODICT_OBJECT, sip);
	if (r->api->notifier) {
		struct notify_stats ns;

		notifier_stats(r->api->notifier, &ns);
		err |= api_add_int(nt, "subscriptions", (int64_t)ns.subscriptions);
		err |= api_add_int(nt, "notifies_sent", (int64_t)ns.notifies);
		err |= api_add_int(nt, "partial_sent", (int64_t)ns.partial);
		err |= api_add_int(nt, "bytes_sent", (int64_t)ns.bytes);
		err |= api_add_int(nt, "change_notifies", (int64_t)ns.delayed);
		err |= api_add_int(nt, "delay_p50_ms", ns.delay_p50_ms);
		err |= api_add_int(nt, "delay_p99_ms", ns.delay_p99_ms);
		err |= api_add_int(nt, "delay_max_ms", ns.delay_max_ms);
		err |= odict_entry_add(od, "notify", ODICT_OBJECT, nt);
	}
	if (r->api->cluster) {
		struct cluster_stats cst;
		struct odict *cl = NULL;

		cluster_get_stats(r->api->cluster, &cst);
		err |= odict_alloc(&cl, 16);
		err |= api_add_str(cl, "node", cluster_node(r->api->cluster));
		err |= api_add_int(cl, "nodes", cst.nodes);
		err |= api_add_int(cl, "owned", cst.owned);
		err |= api_add_int(cl, "links_up", cst.links_up);
		err |= api_add_int(cl, "links_down", cst.links_down);
		err |= api_add_int(cl, "remote_participants", cst.remotes);
		err |= api_add_int(cl, "roster_writes",
				   (int64_t)cst.roster_writes);
		err |= api_add_int(cl, "roster_reads",
				   (int64_t)cst.roster_reads);
		err |= api_add_int(cl, "store_errors",
				   (int64_t)cst.store_errors);
		err |= api_add_int(cl, "links_refused",
				   (int64_t)cst.links_refused);
		if (!err)
			err |= odict_entry_add(od, "cluster", ODICT_OBJECT, cl);
		mem_deref(cl);
	}
	err |= mixers_add(od, r->api->focus);
	err |= mixer_json(&mix, r->api->mixer);
	err |= odict_entry_add(od, "mixer_threads", ODICT_ARRAY, mix);
	err |= api_add_str(od, "rtp_io", mixer_rtp_io(r->api->mixer));
out:
	mem_deref(sip);
	mem_deref(mix);
	mem_deref(nt);
	api_reply_obj(r, 200, "OK", od, err, NULL);
}
