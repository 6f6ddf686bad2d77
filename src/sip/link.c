/*
 * The cluster's hooks into the focus (sip.h, struct focus_cluster): set by
 * the cluster module, read where an INVITE comes in (call_in.c) or a
 * cascade link is dialled (call.c). A leaf: it calls nothing else of the
 * module. Signalling thread.
 */
#include "conf/conf_remote.h"
#include "sip/sdpneg.h"
#include "sip/sip_int.h"

void focus_set_cluster(struct focus *f, const struct focus_cluster *fc,
		       void *arg)
{
	f->cluster = fc;
	f->cluster_arg = arg;
}

int focus_link_dial(struct focus *f, const struct participant *p,
		    struct sdpneg *sdp, char *buf, size_t sz)
{
	buf[0] = '\0';
	if (part_link(p, NULL, NULL) != PART_LINK_UP || !f->cluster ||
	    !f->cluster->link_hdrs)
		return 0;
	/* two mixes, not a phone: the widest codec both nodes have, so
	 * that a cascade does not bring the conference down to G.711 */
	sdpneg_prefer(sdp, "opus");
	return f->cluster->link_hdrs(p, buf, sz, f->cluster_arg);
}
