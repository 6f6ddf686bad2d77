/*
 * The settings of the media-server split (docs/mscp.md, spec s. 6.3):
 * role, mixers, focus_allow, control_addr, checked together. Called by
 * config_validate (config.c). Signalling thread, startup only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "main/config.h"
#include "main/config_int.h"

/* list items at most: the focus keeps a channel per mixer, the mixer's
 * limits an exempt entry per focus (util/srclimit.c takes 16) */
#define ROLE_LIST_MAX 16

static const char *const role_names[] = {"one", "focus", "mixer"};

enum config_role config_role(const struct config *cfg)
{
	for (size_t i = 0; i < ARRAY_SIZE(role_names); i++)
		if (!strcmp(cfg->role, role_names[i]))
			return (enum config_role)i;
	return CONFIG_ROLE_ONE;    /* (config_validate refuses the rest) */
}

static bool ip_ok(const struct pl *item)
{
	struct sa sa;

	return !sa_set(&sa, item, 0);
}

static bool any_ok(const struct pl *item)
{
	(void)item;
	return true;
}

/* host:port, host an IPv4 address or [an IPv6 one]; port 1 to 65535 */
static bool hostport_ok(const struct pl *item)
{
	struct sa sa;
	struct pl host, port;
	const char *colon = NULL;
	uint32_t n;

	for (size_t i = 0; i < item->l; i++)
		if (item->p[i] == ':')
			colon = item->p + i;
	if (!colon)
		return false;
	host.p = item->p;
	host.l = (size_t)(colon - item->p);
	port.p = colon + 1;
	port.l = item->l - host.l - 1;
	if (!host.l || !port.l || port.l > 5)
		return false;
	for (size_t i = 0; i < port.l; i++)
		if (port.p[i] < '0' || port.p[i] > '9')
			return false;
	n = pl_u32(&port);
	if (n < 1 || n > 65535)
		return false;
	if (host.p[0] == '[') {
		if (host.l < 3 || host.p[host.l - 1] != ']')
			return false;
		host.p++;
		host.l -= 2;
		return !sa_set(&sa, &host, 0) && sa_af(&sa) == AF_INET6;
	}
	/* an address: the focus's SIP stack resolves no names */
	return !sa_set(&sa, &host, 0) && sa_af(&sa) == AF_INET;
}

/* A comma list whose every item passes ok (no blanks; empty items
 * refused): the number of items, or -1 with the
 * bad one in bad (badsz bytes) */
static int list_check(const char *list, bool (*ok)(const struct pl *),
		      char *bad, size_t badsz)
{
	struct pl rest, item;
	int n = 0;

	pl_set_str(&rest, list);
	while (rest.l) {
		const char *comma = pl_strchr(&rest, ',');

		item.p = rest.p;
		item.l = comma ? (size_t)(comma - rest.p) : rest.l;
		pl_advance(&rest, item.l + (comma ? 1 : 0));
		if (!item.l || !ok(&item)) {
			re_snprintf(bad, badsz, "%r", &item);
			return -1;
		}
		n++;
		if (comma && !rest.l) {     /* a trailing comma */
			re_snprintf(bad, badsz, "");
			return -1;
		}
	}
	return n;
}

static int role_lists(const struct config *cfg, enum config_role role,
		      char *errbuf, size_t errsz)
{
	char bad[64];
	int n;

	n = list_check(cfg->mixers, hostport_ok, bad, sizeof(bad));
	if (n < 0 || n > ROLE_LIST_MAX) {
		snprintf(errbuf, errsz, "mixers: '%s' is not a host:port; "
			 "give the mixers' SIP addresses as host:port, comma "
			 "separated (at most %d)", n < 0 ? bad : cfg->mixers,
			 ROLE_LIST_MAX);
		return EINVAL;
	}
	if (role == CONFIG_ROLE_FOCUS && !n) {
		snprintf(errbuf, errsz, "mixers: role focus needs the mixer "
			 "processes' SIP addresses (host:port, comma "
			 "separated)");
		return EINVAL;
	}
	if (role != CONFIG_ROLE_FOCUS && n) {
		snprintf(errbuf, errsz, "mixers: only for role focus (role "
			 "is %s)", cfg->role);
		return EINVAL;
	}
	n = list_check(cfg->focus_allow, ip_ok, bad, sizeof(bad));
	if (n < 0 || n > ROLE_LIST_MAX) {
		snprintf(errbuf, errsz, "focus_allow: '%s' is not an IP "
			 "address; give the focuses' addresses, comma "
			 "separated (at most %d)", n < 0 ? bad :
			 cfg->focus_allow, ROLE_LIST_MAX);
		return EINVAL;
	}
	if (role == CONFIG_ROLE_MIXER && !n) {
		snprintf(errbuf, errsz, "focus_allow: a mixer needs the "
			 "addresses of the focuses it serves");
		return EINVAL;
	}
	/* a mixer exempts its focuses from the per-source limits (main) */
	if (role == CONFIG_ROLE_MIXER &&
	    n + list_check(cfg->limits_exempt, any_ok, bad, sizeof(bad)) >
	    ROLE_LIST_MAX) {
		snprintf(errbuf, errsz, "focus_allow: with limits_exempt, at "
			 "most %d entries (a mixer's focuses are exempt from "
			 "the limits)", ROLE_LIST_MAX);
		return EINVAL;
	}
	return 0;
}

int config_validate_role(const struct config *cfg, char *errbuf,
			 size_t errsz)
{
	struct sa sa;
	bool known = false;
	enum config_role role;

	for (size_t i = 0; i < ARRAY_SIZE(role_names); i++)
		known |= !strcmp(cfg->role, role_names[i]);
	if (!known) {
		snprintf(errbuf, errsz, "role: '%s' is not one of one, focus, "
			 "mixer", cfg->role);
		return EINVAL;
	}
	role = config_role(cfg);
	if (role_lists(cfg, role, errbuf, errsz))
		return EINVAL;
	if (cfg->control_addr[0] && sa_set_str(&sa, cfg->control_addr, 0)) {
		snprintf(errbuf, errsz, "control_addr: '%s' is not an IP "
			 "address", cfg->control_addr);
		return EINVAL;
	}
	/* a mixer has no store, no API and no conferences of its own */
	if (role == CONFIG_ROLE_MIXER && cfg->node[0]) {
		snprintf(errbuf, errsz, "node: a mixer is not a cluster node "
			 "(its focus is)");
		return EINVAL;
	}
	return 0;
}
