/*
 * The policy's multicast group for distributed mixing (policy.h's struct
 * policy_mcast, docs/media-policy.md): its three members parsed strictly
 * (a bad one is named, nothing is partly applied: policy_parse works on
 * a copy), printed back, and the group as an address for the SIP side
 * (the SDP answer names it, the mixer sends to it). Pure data;
 * signalling thread.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "conf/policy.h"
#include "util/json.h"

/* the one codec a group carries: what its listeners must have
 * negotiated (the others keep their unicast streams) */
static const char *const codecs[] = {"PCMU", "PCMA", "G722", "opus"};

void policy_mcast_default(struct policy_mcast *m)
{
	memset(m, 0, sizeof(*m));
	m->ttl = 1;               /* the local network, unless told */
	strcpy(m->codec, "PCMU");
}

bool policy_mcast_key(const char *key)
{
	return !strcmp(key, "mixing_multicast") ||
		!strcmp(key, "mixing_multicast_ttl") ||
		!strcmp(key, "mixing_multicast_codec");
}

/* "239.255.1.2:5004" or "[ff05::1:3]:5004": an IPv4 group (224.0.0.0/4)
 * or an IPv6 one (ff00::/8), and an even port (RTP's; the odd one above
 * is RTCP's by custom) from 1024 */
static bool group_parse(struct sa *sa, const char *s)
{
	uint16_t port;

	if (sa_decode(sa, s, strlen(s)))
		return false;
	port = sa_port(sa);
	if (port < 1024 || port > 65534 || (port & 1))
		return false;
	if (sa_af(sa) == AF_INET)
		return (ntohl(sa->u.in.sin_addr.s_addr) >> 28) == 14;
	return sa_af(sa) == AF_INET6 && sa->u.in6.sin6_addr.s6_addr[0] == 0xff;
}

static int bad(char *detail, size_t dsz, const char *what)
{
	snprintf(detail, dsz, "%s", what);
	return EINVAL;
}

int policy_mcast_parse(struct policy *p, const struct odict_entry *e,
		       char *detail, size_t dsz)
{
	struct policy_mcast *m = &p->mcast;
	struct sa sa;

	if (!strcmp(e->key, "mixing_multicast")) {
		if (e->type != ODICT_STRING ||
		    strlen(e->u.str) >= sizeof(m->group) ||
		    (e->u.str[0] && !group_parse(&sa, e->u.str)))
			return bad(detail, dsz, "field 'mixing_multicast' "
				   "must be \"\" (off) or a multicast group "
				   "and an even port from 1024 to 65534 "
				   "(\"239.255.1.2:5004\", "
				   "\"[ff05::1:3]:5004\")");
		strcpy(m->group, e->u.str);
		return 0;
	}
	if (!strcmp(e->key, "mixing_multicast_ttl")) {
		if (e->type != ODICT_INT || e->u.integer < 1 ||
		    e->u.integer > 255)
			return bad(detail, dsz, "field 'mixing_multicast_ttl' "
				   "must be a whole number from 1 to 255");
		m->ttl = (uint8_t)e->u.integer;
		return 0;
	}
	for (size_t i = 0; e->type == ODICT_STRING &&
		     i < sizeof(codecs) / sizeof(codecs[0]); i++) {
		if (!strcasecmp(e->u.str, codecs[i])) {
			strcpy(m->codec, codecs[i]);
			return 0;
		}
	}
	return bad(detail, dsz, "field 'mixing_multicast_codec' must be "
		   "PCMU, PCMA, G722 or opus");
}

int policy_mcast_print(struct re_printf *pf, const struct policy *p)
{
	return re_hprintf(pf, "\"mixing_multicast\":%H,"
			  "\"mixing_multicast_ttl\":%u,"
			  "\"mixing_multicast_codec\":\"%s\"",
			  json_print_string, p->mcast.group, p->mcast.ttl,
			  p->mcast.codec);
}

bool policy_mcast_group(const struct policy *p, struct sa *group)
{
	return p->mcast.group[0] && group_parse(group, p->mcast.group);
}
