/* Hex digests (see hashhex.h). */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <openssl/evp.h>
#include <re.h>
#include "util/hashhex.h"

int hashhex(enum hashhex_alg alg, char out[HASHHEX_MAX], const void *d,
	    size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const EVP_MD *md = alg == HASHHEX_MD5 ? EVP_md5() :
		alg == HASHHEX_SHA256 ? EVP_sha256() : NULL;
	unsigned char buf[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!md)
		return EINVAL;
	if (!EVP_Digest(d, n, buf, &len, md, NULL))
		return EPROTO;
	for (unsigned int i = 0; i < len; i++) {
		out[2 * i] = hex[buf[i] >> 4];
		out[2 * i + 1] = hex[buf[i] & 15];
	}
	out[2 * len] = '\0';
	return 0;
}

int hashhex_printf(enum hashhex_alg alg, char out[HASHHEX_MAX],
		   const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = re_vsdprintf(&s, fmt, ap);
	va_end(ap);
	if (!err)
		err = hashhex(alg, out, s, strlen(s));
	if (s) {
		memset(s, 0, strlen(s));    /* it may hold a password */
		mem_deref(s);
	}
	return err;
}

int hashhex_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}
