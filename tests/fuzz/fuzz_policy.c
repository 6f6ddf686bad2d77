/*
 * Fuzz target: the conference policy document (src/conf/policy.c) as the
 * API takes it: strict JSON first (api_json_strict), then a PUT and a
 * PATCH over a full policy; whatever is accepted prints and parses back
 * to the same document, and its diff against the old is computed.
 */
#include <stdint.h>
#include <string.h>
#include <re.h>
#include "api/api_json.h"
#include "conf/policy.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct policy base, np, again;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char doc[] =
		"{\"locked\":false,\"default_action\":\"moderate\","
		"\"rules\":[{\"domain\":\"example.com\",\"action\":\"allow\"}],"
		"\"users\":[{\"aor\":\"sip:a@example.com\",\"role\":"
		"\"moderator\",\"invite\":true}]}";
	char detail[160];

	(void)argc;
	(void)argv;
	(void)libre_init();
	return policy_parse(&base, NULL, doc, strlen(doc), detail,
			    sizeof(detail));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	char detail[160];
	char *json = NULL;

	if (size > 65536 || !api_json_strict(body, size))
		return 0;
	for (int patch = 0; patch < 2; patch++) {
		if (policy_parse(&np, patch ? &base : NULL, body, size, detail,
				 sizeof(detail)))
			continue;
		(void)policy_diff(&base, &np);
		/* accepted: it prints, and what it prints is itself good */
		if (re_sdprintf(&json, "%H", policy_print, &np))
			continue;
		if (policy_parse(&again, NULL, json, strlen(json), detail,
				 sizeof(detail)))
			__builtin_trap();
		json = mem_deref(json);
	}
	return 0;
}
