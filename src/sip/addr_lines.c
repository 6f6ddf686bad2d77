/*
 * The address headers of a SIP message's header section, read once, line
 * by line, before anything decodes them: a From, To or Contact longer
 * than SIP_ADDR_MAX (folded lines counted whole), a second From or To, or
 * more than SIP_VALUES_MAX values of Via, Route, Record-Route and Contact
 * lines together, is a fault. libre's decoders spend the square of an
 * address's length on it (main/sipdec_guard.c keeps such messages from
 * libre; the UDP guard names the fault in its answer). Any thread.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#include "sip/sip.h"

/* Which address header a line names (0: none), by its full or compact
 * name, case as it comes */
static int addr_kind(const char *p, size_t n)
{
	static const char *const names[][2] = {
		{"From", "f"}, {"To", "t"}, {"Contact", "m"}, {"Via", "v"},
		{"Route", "Route"}, {"Record-Route", "Record-Route"},
	};

	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	for (int i = 0; i < 6; i++)
		for (int k = 0; k < 2; k++)
			if (strlen(names[i][k]) == n &&
			    !strncasecmp(p, names[i][k], n))
				return i + 1;
	return 0;
}

const char *sip_addr_lines_check(const char *p, size_t len)
{
	static const char *const too_long[] = {
		NULL, "From too long", "To too long", "Contact too long",
	};
	/* (kinds 1 to 3 are addresses; 3 to 6 are lists) */
	static const char *const twice[] = {
		NULL, "From missing or repeated", "To missing or repeated",
		NULL, NULL, NULL, NULL,
	};
	unsigned seen[7] = {0}, values = 0;
	int kind = 0;                  /* of the header being read */
	size_t vlen = 0, i = 0;
	bool first = true;             /* the start line */

	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - p) : len, n = end - i;
		const char *colon;

		if (n && p[end - 1] == '\r')
			n--;
		if (first) {
			first = false;
		}
		else if (!n) {
			break;                 /* the end of the headers */
		}
		else if (p[i] == ' ' || p[i] == '\t') {
			vlen += n;             /* a folded line goes on */
		}
		else {
			colon = memchr(p + i, ':', n);
			kind = colon ? addr_kind(p + i, (size_t)(colon - (p + i)))
				: 0;
			vlen = colon ? n - (size_t)(colon + 1 - (p + i)) : 0;
			if (kind && ++seen[kind] > 1 && twice[kind])
				return twice[kind];
		}
		/* a line not yet ended counts too: one that grows a byte at
		 * a time over TCP is refused as soon as it is too long */
		if (kind && kind <= 3 && vlen > SIP_ADDR_MAX)
			return too_long[kind];
		/* libre makes a header of each value of a Via, Route,
		 * Record-Route or Contact list and decodes every Via: 16 KB
		 * of commas cost 40 ms */
		if (kind >= 3) {
			values += 1;
			for (size_t k = i; k < i + n; k++)
				values += p[k] == ',';
			if (values > SIP_VALUES_MAX)
				return "too many Via, Route or Contact values";
		}
		i = nl ? end + 1 : len;
	}
	return NULL;
}

