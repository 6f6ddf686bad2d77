/* GET /metrics: Prometheus text exposition (format 0.0.4) of what the
 * server does: conferences and participants, SIP requests by method and
 * responses by class (as on the wire), NOTIFYs, API requests by route and
 * status class, RTP packets and loss, jitter, and per mixer thread the
 * tick duration histogram and late ticks. Signalling thread; reads
 * counters only. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "api/api_int.h"
#include "apps/apps.h"
#include "conf/conf.h"
#include "mixer/mixer.h"
#include "util/srclimit.h"
#include "notify/notify.h"
#include "sip/sip.h"

struct part_sums {
	uint64_t by_status[PART_FAILED + 1];
	uint64_t streams;
	uint32_t jitter_max_us;
	uint64_t jitter_sum_us;
};

static bool part_h(struct participant *p, void *arg)
{
	struct part_sums *s = arg;
	const struct part_stats *st = part_stats(p);

	s->by_status[part_status(p)]++;
	if (part_media(p)->codec[0] && st->rx_packets) {
		s->streams++;
		s->jitter_sum_us += st->jitter_us;
		if (st->jitter_us > s->jitter_max_us)
			s->jitter_max_us = st->jitter_us;
	}
	return false;
}

static bool conf_visit(struct conf *c, void *arg)
{
	(void)conf_apply_parts(c, part_h, arg);
	return false;
}

static int head(struct mbuf *mb, const char *name, const char *type,
		const char *help)
{
	return mbuf_printf(mb, "# HELP %s %s\n# TYPE %s %s\n", name, help,
			   name, type);
}

static int sip_part(struct mbuf *mb, const struct focus_stats *fs)
{
	int err = head(mb, "caucus_sip_requests_received_total", "counter",
		       "SIP requests received, by method");

	for (size_t i = 0; i < FOCUS_NMETHODS; i++)
		err |= mbuf_printf(mb, "caucus_sip_requests_received_total"
				   "{method=\"%s\"} %llu\n",
				   focus_method_name((int)i),
				   (unsigned long long)fs->req_rx[i]);
	err |= head(mb, "caucus_sip_responses_sent_total", "counter",
		    "SIP responses sent, by class");
	for (unsigned c = 1; c <= 6; c++)
		err |= mbuf_printf(mb, "caucus_sip_responses_sent_total"
				   "{class=\"%uxx\"} %llu\n", c,
				   (unsigned long long)fs->resp_tx[c]);
	err |= head(mb, "caucus_sip_auth_total", "counter",
		    "SIP digest authentication, by outcome");
	err |= mbuf_printf(mb, "caucus_sip_auth_total{outcome=\"challenged\"} "
			   "%llu\ncaucus_sip_auth_total{outcome=\"ok\"} %llu\n"
			   "caucus_sip_auth_total{outcome=\"failed\"} %llu\n",
			   (unsigned long long)fs->auth_challenged,
			   (unsigned long long)fs->auth_ok,
			   (unsigned long long)fs->auth_failed);
	err |= head(mb, "caucus_sip_malformed_total", "counter",
		    "SIP requests refused by the gate (400, 513; an ACK "
		    "dropped), by the check that failed");
	for (unsigned i = 0; i < FOCUS_NCHECKS; i++)
		err |= mbuf_printf(mb, "caucus_sip_malformed_total"
				   "{check=\"%s\"} %llu\n",
				   focus_check_name(i),
				   (unsigned long long)fs->malformed[i]);
	err |= head(mb, "caucus_calls_active", "gauge", "SIP calls up");
	err |= mbuf_printf(mb, "caucus_calls_active %llu\n",
			   (unsigned long long)fs->calls_active);
	err |= head(mb, "caucus_rtp_packets_received_total", "counter",
		    "RTP packets received from participants");
	err |= mbuf_printf(mb, "caucus_rtp_packets_received_total %llu\n",
			   (unsigned long long)fs->rtp_rx);
	err |= head(mb, "caucus_rtp_packets_sent_total", "counter",
		    "RTP packets sent to participants");
	err |= mbuf_printf(mb, "caucus_rtp_packets_sent_total %llu\n",
			   (unsigned long long)fs->rtp_tx);
	err |= head(mb, "caucus_rtp_packets_lost_total", "counter",
		    "RTP packets participants sent that never arrived");
	err |= mbuf_printf(mb, "caucus_rtp_packets_lost_total %llu\n",
			   (unsigned long long)fs->rtp_lost);
	err |= head(mb, "caucus_rtp_strangers_dropped_total", "counter",
		    "RTP and RTCP packets at a call's ports that did not come "
		    "from its participant, dropped");
	err |= mbuf_printf(mb, "caucus_rtp_strangers_dropped_total %llu\n",
			   (unsigned long long)fs->rtp_strangers);
	err |= head(mb, "caucus_srtp_unauthenticated_total", "counter",
		    "SRTP and SRTCP packets from a call's participant that "
		    "did not authenticate, dropped");
	err |= mbuf_printf(mb, "caucus_srtp_unauthenticated_total %llu\n",
			   (unsigned long long)fs->srtp_unauth);
	err |= head(mb, "caucus_dtls_total", "counter",
		    "DTLS-SRTP: calls keyed, calls ended without keys, and "
		    "handshakes refused for a certificate that was not the "
		    "SDP's fingerprint");
	err |= mbuf_printf(mb, "caucus_dtls_total{outcome=\"keyed\"} %llu\n"
			   "caucus_dtls_total{outcome=\"failed\"} %llu\n"
			   "caucus_dtls_total{outcome=\"fingerprint\"} %llu\n",
			   (unsigned long long)fs->dtls_ok,
			   (unsigned long long)fs->dtls_failed,
			   (unsigned long long)fs->dtls_mismatch);
	return err;
}

/* A histogram over mixer_tick_bounds_us per mixer thread, cumulative as
 * Prometheus wants it: the buckets at hist_off of each thread's stats,
 * their sum in us at sum_off, one count per tick */
static int hists(struct mbuf *mb, const char *name, const char *help,
		 const struct mixer_thread_stats *st, unsigned n,
		 size_t hist_off, size_t sum_off)
{
	int err = head(mb, name, "histogram", help);

	for (unsigned t = 0; t < n; t++) {
		const char *base = (const char *)&st[t];
		uint64_t h[MIXER_TICK_BUCKETS], sum_us, cum = 0;

		memcpy(h, base + hist_off, sizeof(h));
		memcpy(&sum_us, base + sum_off, sizeof(sum_us));
		for (unsigned b = 0; b < MIXER_TICK_BUCKETS; b++) {
			char le[24] = "+Inf";

			cum += h[b];
			if (b < MIXER_TICK_BUCKETS - 1)
				re_snprintf(le, sizeof(le), "%.6f",
					    mixer_tick_bounds_us[b] / 1e6);
			err |= mbuf_printf(mb, "%s_bucket{thread=\"%u\","
					   "le=\"%s\"} %llu\n", name, t, le,
					   (unsigned long long)cum);
		}
		err |= mbuf_printf(mb, "%s_sum{thread=\"%u\"} %.6f\n"
				   "%s_count{thread=\"%u\"} %llu\n", name, t,
				   sum_us / 1e6, name, t,
				   (unsigned long long)st[t].ticks);
	}
	return err;
}

/* One series per mixer thread of a 64-bit field of its stats */
static int per_thread(struct mbuf *mb, const char *name, const char *type,
		      const char *help, const struct mixer_thread_stats *st,
		      unsigned n, size_t off)
{
	int err = head(mb, name, type, help);

	for (unsigned t = 0; t < n; t++) {
		uint64_t v;

		memcpy(&v, (const char *)&st[t] + off, sizeof(v));
		err |= mbuf_printf(mb, "%s{thread=\"%u\"} %llu\n", name, t,
				   (unsigned long long)v);
	}
	return err;
}

static int mixer_part(struct mbuf *mb, struct mixer *mx)
{
	unsigned n = mixer_thread_count(mx);
	struct mixer_thread_stats *st = mem_zalloc((n ? n : 1) * sizeof(*st),
						   NULL);
	int err;

	if (!st)
		return ENOMEM;
	/* each thread's counters read once, so that the families agree */
	for (unsigned t = 0; t < n; t++)
		mixer_thread_stats(mx, t, &st[t]);
	err = hists(mb, "caucus_mixer_tick_duration_seconds",
		    "work per 20 ms mixer tick, by thread", st, n,
		    offsetof(struct mixer_thread_stats, tick_hist),
		    offsetof(struct mixer_thread_stats, busy_us));
	err |= hists(mb, "caucus_mixer_tick_lateness_seconds",
		     "how late each 20 ms mixer tick started, by thread", st,
		     n, offsetof(struct mixer_thread_stats, late_hist),
		     offsetof(struct mixer_thread_stats, late_us));
	err |= per_thread(mb, "caucus_mixer_late_ticks_total", "counter",
			  "mixer ticks that ended after the next was due", st,
			  n, offsetof(struct mixer_thread_stats, late_ticks));
	err |= head(mb, "caucus_mixer_streams", "gauge",
		    "participant streams, by mixer thread");
	for (unsigned t = 0; t < n; t++)
		err |= mbuf_printf(mb, "caucus_mixer_streams{thread=\"%u\"} "
				   "%u\n", t, st[t].streams);
	if (n && st[0].port) {           /* per-thread RTP sockets */
		err |= per_thread(mb, "caucus_rtp_unmatched_packets_total",
				  "counter", "packets at a mixer thread's RTP "
				  "port that no call claimed", st, n,
				  offsetof(struct mixer_thread_stats,
					   rx_unmatched));
		err |= per_thread(mb, "caucus_rtp_send_dropped_packets_total",
				  "counter", "packets a mixer thread's RTP "
				  "socket refused to send", st, n,
				  offsetof(struct mixer_thread_stats,
					   tx_dropped));
	}
	mem_deref(st);
	return err;
}

/* Per-source limits (util/srclimit.h), of SIP and of the API */
static int limits_part(struct mbuf *mb, const struct api *a)
{
	static const char *const what[] = {"sip", "api"};
	struct srclimit_stats st[2] = {{0}, {0}};
	int err = 0;

	if (a->sip_limit)
		srclimit_stats(a->sip_limit, &st[0]);
	if (a->limit)
		srclimit_stats(a->limit, &st[1]);
	err |= head(mb, "caucus_limit_refused_total", "counter",
		    "requests over their address's rate, refused (SIP 503, "
		    "API 429)");
	for (int i = 0; i < 2; i++)
		err |= mbuf_printf(mb, "caucus_limit_refused_total"
				   "{what=\"%s\"} %llu\n", what[i],
				   (unsigned long long)st[i].refused);
	err |= head(mb, "caucus_limit_dropped_total", "counter",
		    "requests dropped without an answer (a flood, a blocked "
		    "address)");
	for (int i = 0; i < 2; i++)
		err |= mbuf_printf(mb, "caucus_limit_dropped_total"
				   "{what=\"%s\"} %llu\n", what[i],
				   (unsigned long long)st[i].dropped);
	err |= head(mb, "caucus_limit_blocks_total", "counter",
		    "addresses blocked for too many refusals (404, 403, 401)");
	for (int i = 0; i < 2; i++)
		err |= mbuf_printf(mb, "caucus_limit_blocks_total{what=\"%s\"} "
				   "%llu\n", what[i],
				   (unsigned long long)st[i].blocks);
	err |= head(mb, "caucus_limit_blocked_addresses", "gauge",
		    "addresses blocked now");
	for (int i = 0; i < 2; i++)
		err |= mbuf_printf(mb, "caucus_limit_blocked_addresses{what="
				   "\"%s\"} %u\n", what[i], st[i].blocked);
	err |= head(mb, "caucus_limit_held_refused_total", "counter",
		    "calls, subscriptions and connections refused: their "
		    "address had its most at once");
	err |= mbuf_printf(mb, "caucus_limit_held_refused_total{kind=\"calls\"}"
			   " %llu\ncaucus_limit_held_refused_total{kind="
			   "\"subscriptions\"} %llu\n"
			   "caucus_limit_held_refused_total{kind=\"connections"
			   "\"} %llu\n",
			   (unsigned long long)st[0].held_refused[0],
			   (unsigned long long)st[0].held_refused[1],
			   (unsigned long long)st[0].conns_refused);
	return err;
}

/* Admission of new calls by load (sip/overload.c) */
static int overload_part(struct mbuf *mb, const struct api *a)
{
	static const char *const states[] = {"open", "limiting", "shedding"};
	struct focus_overload ov;
	int err;

	focus_overload_stats(a->focus, &ov);
	err = head(mb, "caucus_sip_rejected_overload_total", "counter",
		   "new calls refused with 503 (overloaded)");
	err |= mbuf_printf(mb, "caucus_sip_rejected_overload_total %llu\n",
			   (unsigned long long)ov.rejected);
	err |= head(mb, "caucus_sip_subscriptions_rejected_overload_total",
		    "counter", "new subscriptions refused with 503 "
		    "(overloaded)");
	err |= mbuf_printf(mb, "caucus_sip_subscriptions_rejected_overload"
			   "_total %llu\n",
			   (unsigned long long)ov.subs_rejected);
	err |= head(mb, "caucus_sip_admitted_total", "counter",
		    "new calls admitted by the overload control");
	err |= mbuf_printf(mb, "caucus_sip_admitted_total %llu\n",
			   (unsigned long long)ov.admitted);
	err |= head(mb, "caucus_sip_admission_state", "gauge",
		    "1 for the admission state in force");
	for (size_t i = 0; i < 3; i++)
		err |= mbuf_printf(mb, "caucus_sip_admission_state{state="
				   "\"%s\"} %d\n", states[i],
				   !strcmp(states[i], ov.state));
	err |= head(mb, "caucus_sip_admission_rate", "gauge",
		    "new calls a second let in (0: no limit in force)");
	err |= mbuf_printf(mb, "caucus_sip_admission_rate %.1f\n",
			   ov.rate_per_s);
	err |= head(mb, "caucus_signalling_delay_seconds", "gauge",
		    "the signalling thread's delay: loop lag or SIP socket "
		    "wait, the larger");
	err |= mbuf_printf(mb, "caucus_signalling_delay_seconds %.3f\n",
			   ov.delay_ms / 1000.0);
	err |= head(mb, "caucus_loop_lag_p99_seconds", "gauge",
		    "the event loop's lag, 99th percentile of the last 10 s");
	err |= mbuf_printf(mb, "caucus_loop_lag_p99_seconds %.3f\n",
			   ov.lag_p99_ms / 1000.0);
	err |= head(mb, "caucus_api_rejected_overload_total", "counter",
		    "API requests refused with 429 while the thread was behind");
	err |= mbuf_printf(mb, "caucus_api_rejected_overload_total %llu\n",
			   (unsigned long long)a->overload_refused);
	return err;
}

static int api_part(struct mbuf *mb, const struct api *a)
{
	int err = head(mb, "caucus_api_requests_total", "counter",
		       "HTTP API requests, by route and status class");

	for (size_t i = 0; i <= a->nroutes; i++) {
		const char *m = "", *p = "other";

		if (i < a->nroutes) {
			m = a->routes[i].method;
			p = a->routes[i].path;
		}
		for (unsigned c = 1; c <= 5; c++) {
			size_t row = i < a->nroutes ? i : API_MAX_ROUTES;

			if (!a->hits[row][c])
				continue;
			err |= mbuf_printf(mb, "caucus_api_requests_total{"
					   "route=\"%s%s%s\",code=\"%uxx\"} "
					   "%llu\n", m, m[0] ? " " : "", p, c,
					   (unsigned long long)
					   a->hits[row][c]);
		}
	}
	return err;
}

void api_metrics(struct api_req *r)
{
	static const char *const st_names[] = {
		"dialing-in", "dialing-out", "alerting", "connected",
		"on-hold", "disconnecting", "failed",
	};
	struct part_sums ps = {0};
	struct focus_stats fs;
	struct mbuf *mb = mbuf_alloc(8192);
	int err;

	if (!mb) {
		api_error(r, 500, "Internal Server Error", "out of memory",
			  NULL);
		return;
	}
	focus_get_stats(r->api->focus, &fs);
	(void)confs_apply(r->api->confs, conf_visit, &ps);
	err = head(mb, "caucus_uptime_seconds", "gauge", "since start");
	err |= mbuf_printf(mb, "caucus_uptime_seconds %llu\n",
			   (unsigned long long)(api_uptime_us(r->api) /
						1000000));
	err |= head(mb, "caucus_conferences", "gauge", "conferences");
	err |= mbuf_printf(mb, "caucus_conferences %u\n",
			   confs_count(r->api->confs));
	err |= head(mb, "caucus_participants", "gauge",
		    "participants, by RFC 4575 status");
	for (size_t i = 0; i <= PART_FAILED; i++)
		err |= mbuf_printf(mb, "caucus_participants{status=\"%s\"} "
				   "%llu\n", st_names[i],
				   (unsigned long long)ps.by_status[i]);
	err |= sip_part(mb, &fs);
	if (r->api->apps) {
		unsigned playing, recording;

		apps_counts(r->api->apps, &playing, &recording);
		err |= head(mb, "caucus_announcements_active", "gauge",
			    "announcements being said or waiting their turn "
			    "(each an application stream in the mixer)");
		err |= mbuf_printf(mb, "caucus_announcements_active %u\n",
				   playing);
		err |= head(mb, "caucus_recordings_active", "gauge",
			    "conferences being recorded");
		err |= mbuf_printf(mb, "caucus_recordings_active %u\n",
				   recording);
	}
	err |= head(mb, "caucus_rtp_jitter_seconds", "gauge",
		    "interarrival jitter over live streams (RFC 3550)");
	err |= mbuf_printf(mb, "caucus_rtp_jitter_seconds{stat=\"max\"} "
			   "%.6f\ncaucus_rtp_jitter_seconds{stat=\"mean\"} "
			   "%.6f\n", ps.jitter_max_us / 1e6, ps.streams ?
			   ps.jitter_sum_us / 1e6 / (double)ps.streams : 0.0);
	if (r->api->notifier) {
		struct notify_stats ns;

		notifier_stats(r->api->notifier, &ns);
		err |= head(mb, "caucus_notify_subscriptions", "gauge",
			    "conference event package subscriptions");
		err |= mbuf_printf(mb, "caucus_notify_subscriptions %llu\n",
				   (unsigned long long)ns.subscriptions);
		err |= head(mb, "caucus_notify_sent_total", "counter",
			    "NOTIFYs sent for the conference package");
		err |= mbuf_printf(mb, "caucus_notify_sent_total %llu\n",
				   (unsigned long long)ns.notifies);
		err |= head(mb, "caucus_notify_bytes_total", "counter",
			    "bytes of NOTIFY bodies sent");
		err |= mbuf_printf(mb, "caucus_notify_bytes_total %llu\n",
				   (unsigned long long)ns.bytes);
	}
	err |= mixer_part(mb, r->api->mixer);
	err |= limits_part(mb, r->api);
	err |= overload_part(mb, r->api);
	api_count(r, 200);       /* this reply counts before it is printed */
	err |= api_part(mb, r->api);
	if (err) {
		mem_deref(mb);
		api_error(r, 500, "Internal Server Error", "out of memory",
			  NULL);
		return;
	}
	(void)http_reply(r->conn, 200, "OK",
			 "Content-Type: text/plain; version=0.0.4; "
			 "charset=utf-8\r\n"
			 "Cache-Control: no-store\r\n"
			 "Content-Length: %zu\r\n\r\n%b", mb->end, mb->buf,
			 mb->end);
	mem_deref(mb);
}

void api_openapi(struct api_req *r)
{
	size_t len = strlen(api_openapi_json);

	api_count(r, 200);
	(void)http_reply(r->conn, 200, "OK",
			 "Content-Type: application/json\r\n"
			 "Cache-Control: no-cache\r\n"
			 "Content-Length: %zu\r\n\r\n%b", len,
			 api_openapi_json, len);
}
