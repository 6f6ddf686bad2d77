/*
 * Watching calls that are up (call_watch.c): RFC 4028 session timers (the
 * focus refreshes, or gives up on a peer that should have), the RTP
 * inactivity timeout from the mixer's reports, and the mixer's events.
 * A call found dead ends with a BYE saying why and a failed entry.
 * Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "mixer/mixer.h"
#include "sip/call_int.h"
#include "sip/dtls.h"
#include "util/log.h"

/* The call failed after it was up: BYE with why, listed as failed */
void call_fail(struct call *call, uint16_t code, const char *why)
{
	struct participant *p = call->part;
	char hdr[96];

	re_snprintf(hdr, sizeof(hdr), "Reason: SIP;cause=%u;text=\"%s\"\r\n",
		    code, why);
	(void)sipsess_set_close_headers(call->sess, "%s", hdr);
	call->part = NULL;
	if (p) {
		part_set_ep(p, NULL);
		part_failed(p, code, why);
	}
	mem_deref(call);
}

static void st_fire(void *arg);

/* RFC 4028: as the refresher, a re-INVITE at half the interval; else
 * the deadline for the peer's refresh */
void call_st_arm(struct call *call)
{
	if (!call->st.interval)
		return;
	tmr_start(&call->st_tmr, call->st.refresher_uas ?
		  call->st.interval * 500ull :
		  stimer_deadline_ms(call->st.interval), st_fire, call);
}

static void st_fire(void *arg)
{
	struct call *call = arg;
	struct mbuf *desc = NULL;
	int err;

	if (call->st.refresher_uas) {
		err = sdpneg_offer(call->sdp, &desc);
		err = err ? err : sipsess_modify(call->sess, desc);
		mem_deref(desc);
		if (err)
			log_info("sip", "msg=\"session refresh not sent\" "
				 "err=%m", err);
		call_st_arm(call);
		return;
	}
	if (call->part)
		log_info("sip", "msg=\"session timer expired, hanging up\" "
			 "conf=%s pid=%s interval=%u",
			 conf_id(part_conf(call->part)), part_id(call->part),
			 call->st.interval);
	call_fail(call, 408, "session timer expired");
}

/* RTP timeout: a call that should send us RTP and sent none for the
 * configured time has gone from the network without a BYE (crashed phone,
 * lost link). It is hung up with a BYE saying why, and listed as failed. */
static void rtp_check(struct call *call, const struct mixer_stream_stats *st)
{
	uint64_t now = tmr_jiffies(), limit = call->f->rtp_timeout_ms;
	struct participant *p = call->part;

	/* totals for /metrics: what moved since the last report */
	if (st->rx_packets > call->rx_packets)
		call->f->stats.rtp_rx += st->rx_packets - call->rx_packets;
	if (st->tx_packets > call->tx_packets)
		call->f->stats.rtp_tx += st->tx_packets - call->tx_packets;
	if (st->rx_lost > call->rx_lost)
		call->f->stats.rtp_lost += st->rx_lost - call->rx_lost;
	if (st->rx_stranger > call->rx_stranger)
		call->f->stats.rtp_strangers += st->rx_stranger -
			call->rx_stranger;
	call->rx_stranger = st->rx_stranger;
	if (st->rx_unauth > call->rx_unauth)
		call->f->stats.srtp_unauth += st->rx_unauth - call->rx_unauth;
	call->rx_unauth = st->rx_unauth;
	call->tx_packets = st->tx_packets;
	call->rx_lost = st->rx_lost;
	if (st->rx_packets != call->rx_packets) {
		call->rx_packets = st->rx_packets;
		call->rx_last_ms = now;
		return;
	}
	/* a peer that holds with a=inactive (or sendonly from us) sends
	 * nothing by right */
	if (!limit || !call->established || !call->neg.recv ||
	    now - call->rx_last_ms < limit)
		return;
	log_info("sip", "msg=\"RTP timeout, hanging up\" conf=%s pid=%s "
		 "uri=%s silent_ms=%llu", conf_id(part_conf(p)), part_id(p),
		 part_uri(p), (unsigned long long)(now - call->rx_last_ms));
	call_fail(call, 408, "RTP timeout");
}

/* The mixer's counters as the roster keeps them (conf knows nothing of
 * the mixer) */
static void stats_report(struct participant *p,
			 const struct mixer_stream_stats *m)
{
	struct part_stats st = {
		.rx_packets = m->rx_packets, .tx_packets = m->tx_packets,
		.rx_lost = m->rx_lost, .rx_late = m->rx_late,
		.rx_stranger = m->rx_stranger,
		.rx_unauth = m->rx_unauth,
		.rx_dup = m->rx_dup, .concealed = m->concealed,
		.decode_skipped = m->decode_skipped,
		.fec_recovered = m->fec_recovered, .tx_dtx = m->tx_dtx,
		.jitter_us = m->jitter_us, .jb_target_us = m->jb_target_us,
		.jb_depth_us = m->jb_depth_us, .jb_skipped = m->jb_skipped,
		.jb_stretched = m->jb_stretched, .mix_hz = m->mix_hz,
	};

	part_set_stats(p, &st);
}

static bool stream_cmp(struct le *le, void *arg)
{
	return ((struct call *)le->data)->stream_id == *(uint32_t *)arg;
}

void call_mixer_packet(struct focus *f, uint32_t stream_id, bool rtcp,
		       const struct sockaddr_storage *src, socklen_t srclen,
		       const uint8_t *data, size_t len)
{
	struct call *call = list_ledata(hash_lookup(f->calls, stream_id,
						    stream_cmp, &stream_id));

	if (call)
		dtls_call_packet(call->dtls, rtcp, src, srclen, data, len);
}

void call_mixer_event(struct focus *f, const struct mixer_event *ev)
{
	uint32_t id = ev->stream_id;
	struct call *call = list_ledata(hash_lookup(f->calls, id, stream_cmp,
						    &id));

	if (!call || !call->part)
		return;
	switch (ev->type) {
	case MIXER_EV_STATS:
		stats_report(call->part, &ev->stats);
		/* (a meter's level: telemetry, never roster state) */
		if (ev->stats.level != MIXER_LEVEL_NONE)
			part_level(call->part, ev->stats.level);
		rtp_check(call, &ev->stats);
		break;
	case MIXER_EV_DTMF:
		log_dbg("sip", "msg=\"dtmf\" conf=%s pid=%s digit=%c",
			conf_id(part_conf(call->part)), part_id(call->part),
			ev->digit);
		part_dtmf(call->part, ev->digit);
		break;
	case MIXER_EV_TALKING:
		part_set_talking(call->part, ev->talking);
		break;
	}
}
