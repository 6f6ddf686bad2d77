/*
 * Graceful overload (overload.c): admission of new calls by the
 * signalling thread's load and max_call_rate. Signalling thread.
 */
#ifndef CAUCUS_SIP_OVERLOAD_H
#define CAUCUS_SIP_OVERLOAD_H

#include <stdbool.h>
#include <re.h>

struct focus;
struct overload;

/* max_call_rate: calls a second at most (0: by load only) */
int  overload_alloc(struct overload **op, struct focus *f,
		    unsigned max_call_rate);
/* An INVITE outside a dialog: true to go on; false when it was refused
 * (a stateless 503 with Retry-After, counted) */
bool overload_admit(struct overload *o, const struct sip_msg *msg);

#endif
