/*
 * Inside src/main: the settings table (config_opts.c), and the split's
 * settings check (config_role.c), called by config_validate.
 */
#ifndef CAUCUS_CONFIG_INT_H
#define CAUCUS_CONFIG_INT_H

#include <stddef.h>

struct config;

enum opt_type { OPT_STR, OPT_U32 };

struct opt {
	const char *name;     /* caucus.conf key; the flag is --name with '-' */
	enum opt_type type;
	size_t off;
	size_t size;          /* buffer size for OPT_STR */
	const char *def;
	uint32_t min, max;    /* bounds for OPT_U32 */
	const char *help;
};

extern const struct opt config_opts[];
extern const size_t config_nopts;

int config_validate_role(const struct config *cfg, char *errbuf,
			 size_t errsz);

#endif
