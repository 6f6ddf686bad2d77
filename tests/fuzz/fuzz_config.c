/*
 * Fuzz target: the settings file (src/main/config.c) and the settings
 * check, on any bytes; and the same bytes as command-line flags (split
 * at spaces and newlines). Whatever is accepted and passes the check is
 * printed back as a sample; nothing may crash or read out of bounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "main/config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void as_flags(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[66], *save = NULL, *tok;
	const char *file = NULL;
	struct config c;
	char err[256];
	int argc = 1, help = 0;

	if (!copy)
		return;
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[0] = "caucusd";
	for (tok = strtok_r(copy, " \n", &save); tok && argc < 65;
	     tok = strtok_r(NULL, " \n", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	config_defaults(&c);
	if (!config_parse_args(&c, argc, argv, &file, &help, err,
			       sizeof(err)))
		(void)config_validate(&c, err, sizeof(err));
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	char err[256];

	if (size > 65536)
		return 0;
	config_defaults(&c);
	if (!config_load_mem(&c, (const char *)data, size, err, sizeof(err)) &&
	    !config_validate(&c, err, sizeof(err))) {
		FILE *f = fopen("/dev/null", "w");

		if (f) {
			config_print_sample(f);
			fclose(f);
		}
	}
	as_flags(data, size);
	return 0;
}
