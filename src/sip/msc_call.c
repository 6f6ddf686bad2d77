/*
 * A call's media on a mixer process (msc.h): taking a pooled connection,
 * placing conferences on mixers, telling the mixer the caller's media
 * (a re-INVITE of the connection whose offer is the caller's side as
 * negotiated: its address, the one codec and payload type agreed, the
 * directions) and the call's settings (RFC 6505 join and modifyjoin).
 * Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "sip/msc_int.h"
#include "util/log.h"

static struct mplace *place_find(const struct focus *f, const char *conf)
{
	struct le *le = list_head(hash_list(f->mplaces, hash_fast_str(conf)));

	for (; le; le = le->next) {
		struct mplace *pl = le->data;

		if (!strcmp(pl->conf, conf))
			return pl;
	}
	return NULL;
}

static void place_destructor(void *arg)
{
	struct mplace *pl = arg;

	hash_unlink(&pl->he);
	list_unlink(&pl->le);
	if (pl->valid && mscp_as_up(pl->ms->as))
		(void)mscp_as_conf_destroy(pl->ms->as, pl->confid);
	mem_deref(pl->ms);
}

/* The mixer for a conference not placed yet: the one up with the fewest
 * connections in use */
static struct msc *msc_pick(const struct focus *f)
{
	struct msc *best = NULL;
	struct le *le;

	for (le = list_head(&f->mscs); le; le = le->next) {
		struct msc *ms = le->data;

		if (ms->state != MSC_UP)
			continue;
		if (!best || ms->used < best->used)
			best = ms;
	}
	return best;
}

/* conf's conference on ms (made when it has none: createconference),
 * referenced */
static int place_get(struct focus *f, struct msc *ms, const char *conf,
		     struct mplace **plp)
{
	static uint32_t seq;
	struct mplace *pl = place_find(f, conf);
	int err;

	if (pl) {
		if (pl->ms != ms)
			return EXDEV;
		*plp = mem_ref(pl);
		return 0;
	}
	pl = mem_zalloc(sizeof(*pl), place_destructor);
	if (!pl)
		return ENOMEM;
	pl->ms = mem_ref(ms);
	str_ncpy(pl->conf, conf, sizeof(pl->conf));
	/* ids unique on the mixer, which other focuses may share */
	re_snprintf(pl->confid, sizeof(pl->confid), "%s.%08x.%u", conf,
		    f->msc_tag, ++seq);
	err = mscp_as_conf_create(ms->as, pl->confid, 0);
	if (err) {
		mem_deref(pl);
		return err;
	}
	pl->valid = true;
	hash_append(f->mplaces, hash_fast_str(conf), &pl->he, pl);
	list_append(&ms->places, &pl->le, pl);
	*plp = pl;
	return 0;
}

int msc_take(struct focus *f, const char *conf, struct msconn **mcp,
	     struct sa *maddr, msc_lost_h *losth, msc_talk_h *talkh,
	     void *arg)
{
	struct mplace *pl = place_find(f, conf);
	struct msc *ms = pl ? pl->ms : msc_pick(f);
	struct msconn *mc;
	int err;

	if (!ms || ms->state != MSC_UP)
		return ENOTCONN;
	mc = list_ledata(list_head(&ms->ready));
	if (!mc) {
		msc_fill(ms);
		return EAGAIN;
	}
	err = place_get(f, ms, conf, &pl);
	if (err)
		return err;
	list_unlink(&mc->le);
	list_append(&pl->conns, &mc->le, mc);
	mc->pl = pl;
	mc->taken = true;
	ms->used++;
	mc->losth = losth;
	mc->talkh = talkh;
	mc->arg = arg;
	*maddr = mc->maddr;
	*mcp = mc;
	msc_fill(ms);
	return 0;
}

static void key_of(struct media_key *k, const struct sdpneg_result *neg)
{
	memset(k, 0, sizeof(*k));
	k->rtp = neg->rtp;
	k->rtcp = neg->rtcp;
	k->pt = neg->pt;
	k->telev_pt = neg->telev_pt;
	k->codec = neg->codec;
	k->send = neg->send;
	k->recv = neg->recv;
	k->removed = neg->removed;
	k->level_id = neg->level_id;
	k->csrc_level_id = neg->csrc_level_id;
	k->opus = neg->opus;
}

static bool key_eq(const struct media_key *a, const struct media_key *b)
{
	return sa_cmp(&a->rtp, &b->rtp, SA_ALL) &&
		sa_cmp(&a->rtcp, &b->rtcp, SA_ALL) && a->pt == b->pt &&
		a->telev_pt == b->telev_pt && a->codec == b->codec &&
		a->send == b->send && a->recv == b->recv &&
		a->removed == b->removed && a->level_id == b->level_id &&
		a->csrc_level_id == b->csrc_level_id &&
		!memcmp(&a->opus, &b->opus, sizeof(a->opus));
}

/* Opus: the caller's fmtp, for the mixer's encoder */
static int opus_fmtp(struct re_printf *pf, const struct media_key *k)
{
	const struct media_opus_fmtp *o = &k->opus;
	int err = re_hprintf(pf, "a=fmtp:%u stereo=0", k->pt);

	if (o->maxplaybackrate)
		err |= re_hprintf(pf, ";maxplaybackrate=%u",
				  o->maxplaybackrate);
	if (o->maxaveragebitrate)
		err |= re_hprintf(pf, ";maxaveragebitrate=%u",
				  o->maxaveragebitrate);
	if (o->useinbandfec)
		err |= re_hprintf(pf, ";useinbandfec=%d",
				  o->useinbandfec > 0);
	if (o->usedtx)
		err |= re_hprintf(pf, ";usedtx=%d", o->usedtx > 0);
	return err | re_hprintf(pf, "\r\n");
}

/* The caller's side as an offer to the mixer: where the caller is, the
 * codec agreed with its payload type, the directions seen from the
 * caller (it sends when we receive) */
static int caller_sdp(struct mbuf **descp, const struct msconn *mc,
		      const struct sa *laddr)
{
	const struct media_key *k = &mc->key;
	struct mbuf *mb = mbuf_alloc(512);
	const char *dir = k->send && k->recv ? "sendrecv" :
		k->recv ? "sendonly" : k->send ? "recvonly" : "inactive";
	const char *ip = sa_af(&k->rtp) == AF_INET6 ? "IP6" : "IP4";
	const unsigned clock = media_rtp_clock(k->codec);
	int err;

	if (!mb)
		return ENOMEM;
	err = mbuf_printf(mb, "v=0\r\no=caucus 1 %u IN %s %j\r\ns=-\r\n"
			  "c=IN %s %j\r\nt=0 0\r\n", mc->sdp_ver, sa_af(laddr) == AF_INET6 ? "IP6" :
			  "IP4", laddr, ip, &k->rtp);
	if (k->removed) {
		err |= mbuf_printf(mb, "m=audio 0 RTP/AVP %u\r\n", k->pt);
		goto out;
	}
	err |= mbuf_printf(mb, "m=audio %u RTP/AVP %u", sa_port(&k->rtp),
			   k->pt);
	if (k->telev_pt >= 0)
		err |= mbuf_printf(mb, " %d", k->telev_pt);
	err |= mbuf_printf(mb, "\r\na=rtpmap:%u %s/%u%s\r\n", k->pt,
			   media_codec_name(k->codec), clock,
			   k->codec == MEDIA_OPUS ? "/2" : "");
	if (k->codec == MEDIA_OPUS)
		err |= mbuf_printf(mb, "%H", opus_fmtp, k);
	if (k->telev_pt >= 0)
		err |= mbuf_printf(mb, "a=rtpmap:%d telephone-event/8000\r\n"
				   "a=fmtp:%d 0-15\r\n", k->telev_pt,
				   k->telev_pt);
	/* the levels it sends (the mixer's talk detector takes them) and
	 * those it wants of the mix */
	if (k->level_id)
		err |= mbuf_printf(mb, "a=extmap:%u/sendonly %s\r\n",
				   k->level_id, SDPNEG_AUDIO_LEVEL);
	if (k->csrc_level_id)
		err |= mbuf_printf(mb, "a=extmap:%u/recvonly %s\r\n",
				   k->csrc_level_id, SDPNEG_CSRC_LEVEL);
	if (sa_isset(&k->rtcp, SA_ALL) &&
	    (!sa_cmp(&k->rtcp, &k->rtp, SA_ADDR) ||
	     sa_port(&k->rtcp) != sa_port(&k->rtp) + 1))
		err |= mbuf_printf(mb, "a=rtcp:%u IN %s %j\r\n",
				   sa_port(&k->rtcp), ip, &k->rtcp);
	err |= mbuf_printf(mb, "a=%s\r\n", dir);
 out:
	mb->pos = 0;
	if (err)
		mem_deref(mb);
	else
		*descp = mb;
	return err;
}

int msc_apply(struct msconn *mc, const char *conf,
	      const struct sdpneg_result *neg, const struct mscp_join *j,
	      unsigned n)
{
	struct focus *f = mc->ms->f;
	struct media_key k;
	int err = 0;

	if (!mc->pl || strcmp(mc->pl->conf, conf)) {
		/* the lobby moved the call: the conference's there */
		struct mplace *pl = NULL;

		err = place_get(f, mc->ms, conf, &pl);
		if (err)
			return err;
		list_unlink(&mc->le);
		if (mc->pl && mc->join_sent && mc->pl->valid)
			(void)mscp_as_unjoin(mc->ms->as, mc->connid,
					     mc->pl->confid);
		mem_deref(mc->pl);
		mc->pl = pl;
		list_append(&pl->conns, &mc->le, mc);
		mc->join_sent = false;
	}
	key_of(&k, neg);
	if (!mc->key_set || !key_eq(&k, &mc->key)) {
		struct mbuf *desc = NULL;

		mc->key = k;
		mc->key_set = true;
		mc->sdp_ver++;
		err = caller_sdp(&desc, mc, &f->sip_laddr);
		err = err ? err : sipsess_modify(mc->sess, desc);
		mem_deref(desc);
		if (err)
			log_warn("sip", "msg=\"mixer not told the caller's "
				 "media\" mixer=%s conn=%s err=%m",
				 mc->ms->addr, mc->connid, err);
	}
	if (n != mc->pl->n && mscp_as_up(mc->ms->as)) {
		mc->pl->n = n;
		(void)mscp_as_conf_modify(mc->ms->as, mc->pl->confid, n);
	}
	if (!mc->join_sent || j->muted != mc->j.muted ||
	    j->deaf != mc->j.deaf || j->gain_in_db != mc->j.gain_in_db ||
	    j->gain_out_db != mc->j.gain_out_db) {
		mc->j = *j;
		msc_join_send(mc);
	}
	return err;
}
