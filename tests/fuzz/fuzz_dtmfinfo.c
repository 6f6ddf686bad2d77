/*
 * Fuzz target: the bodies of SIP INFO carrying keypad digits
 * (src/sip/dtmfinfo.c). The first input byte picks the Content-Type
 * (modulo the table below), the rest is the body. Whatever comes, the
 * answer is a digit of the keypad, EBADMSG, or ENOTSUP for a type that
 * is not DTMF; never a read past the body (ASan).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sip/dtmfinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const ctypes[] = {
	"application/dtmf-relay",
	"application/dtmf",
	"Application/DTMF-Relay; charset=us-ascii",
	"application/media_control+xml",
};
#define NCTYPES (sizeof(ctypes) / sizeof(ctypes[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *ctype;
	uint8_t *body;
	char digit = 0;
	int err;

	if (!size)
		return 0;
	ctype = ctypes[data[0] % NCTYPES];
	/* a copy of exactly the body's size: a read past it is caught */
	body = malloc(size - 1 ? size - 1 : 1);
	if (!body)
		return 0;
	memcpy(body, data + 1, size - 1);
	err = dtmfinfo_parse(ctype, body, size - 1, &digit);
	free(body);
	if (err == 0 && (!digit || !strchr("0123456789*#ABCD", digit)))
		__builtin_trap();
	if (err != 0 && err != EBADMSG && err != ENOTSUP)
		__builtin_trap();
	if (err == ENOTSUP && data[0] % NCTYPES != NCTYPES - 1)
		__builtin_trap();
	if (err != ENOTSUP && data[0] % NCTYPES == NCTYPES - 1)
		__builtin_trap();
	return 0;
}
