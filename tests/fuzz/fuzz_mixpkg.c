/*
 * Fuzz target: the mixer package's parser (src/mscp/mixpkg*.c, libxml2
 * underneath): whatever is accepted prints, and what it prints parses
 * back equal (when within the size limit); a refusal leaves nothing but
 * its reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "mscp/mixpkg.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mixpkg_msg m, again;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return libre_init();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mbuf *mb;

	if (mixpkg_parse(&m, data, size) != MIXPKG_OK) {
		if (m.kind != MIXPKG_NONE || !m.reason[0])
			abort();
		return 0;
	}
	mb = mbuf_alloc(1024);
	if (!mb || mixpkg_print(mb, &m))
		abort();
	/* (escapes and indentation may take a document near the size
	 * limit past it when printed) */
	if (mb->end <= MIXPKG_DOC_MAX &&
	    (mixpkg_parse(&again, mb->buf, mb->end) != MIXPKG_OK ||
	     memcmp(&m, &again, sizeof(m))))
		abort();
	mem_deref(mb);
	return 0;
}
