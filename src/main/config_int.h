/*
 * Inside src/main: the split's settings check (config_role.c), called
 * by config_validate.
 */
#ifndef CAUCUS_CONFIG_INT_H
#define CAUCUS_CONFIG_INT_H

#include <stddef.h>

struct config;

int config_validate_role(const struct config *cfg, char *errbuf,
			 size_t errsz);

#endif
