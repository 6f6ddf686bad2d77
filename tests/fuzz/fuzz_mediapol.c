/*
 * Fuzz target: the media policy document (src/conf/mediapol.c) as the API
 * takes it: strict JSON first (api_json_strict), then a PUT and a PATCH
 * over a full media policy; whatever is accepted prints, and what it
 * prints parses back to an equal policy.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "api/api_json.h"
#include "conf/mediapol.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mediapol base, np, again;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char doc[] =
		"{\"relations\":[{\"listener\":{\"role\":\"participant\"},"
		"\"speaker\":{\"uri\":\"sip:bob@example.com\"},"
		"\"gain_db\":-6.5},{\"listener\":{\"participant\":\"p3\"},"
		"\"speaker\":{\"role\":\"listener\"},\"hears\":false}],"
		"\"lecture\":{\"enabled\":true,\"lecturers\":[{\"role\":"
		"\"moderator\"},{\"uri\":\"sip:prof@example.com\"}]},"
		"\"sidebar_background_db\":-18}";
	char detail[160];

	(void)argc;
	(void)argv;
	(void)libre_init();
	return mediapol_parse(&base, NULL, doc, strlen(doc), detail,
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
		if (mediapol_parse(&np, patch ? &base : NULL, body, size,
				   detail, sizeof(detail)))
			continue;
		(void)mediapol_relation(&np, &(struct mediapol_person){
			"participant", "sip:bob@example.com", "p3"},
			&(struct mediapol_person){"moderator",
			"sip:prof@example.com;transport=tcp", "p1"});
		/* accepted: it prints, and what it prints is itself good
		 * and means the same */
		if (re_sdprintf(&json, "%H", mediapol_print, &np))
			continue;
		if (mediapol_parse(&again, NULL, json, strlen(json), detail,
				   sizeof(detail)) ||
		    !mediapol_equal(&np, &again))
			abort();
		json = mem_deref(json);
	}
	return 0;
}
