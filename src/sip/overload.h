/*
 * Graceful overload (overload.c): admission of new calls and
 * subscriptions by the signalling thread's load and the configured
 * ceilings. Signalling thread.
 */
#ifndef CAUCUS_SIP_OVERLOAD_H
#define CAUCUS_SIP_OVERLOAD_H

#include <stdbool.h>
#include <re.h>

struct focus;
struct overload;

/* max_call_rate: calls a second at most (0: by load only);
 * max_subscribe_rate: the same for new subscriptions */
int  overload_alloc(struct overload **op, struct focus *f,
		    unsigned max_call_rate, unsigned max_subscribe_rate);
/* An INVITE outside a dialog: true to go on; false when it was refused
 * (a stateless 503 with Retry-After, counted) */
bool overload_admit(struct overload *o, const struct sip_msg *msg);
/* A SUBSCRIBE outside a dialog (a new subscription or a fetch): the same,
 * by a bucket of their own on the same delay and max_subscribe_rate */
bool overload_admit_sub(struct overload *o, const struct sip_msg *msg);
/* Any request at the SIP gate (focus_validate). One over TCP or TLS is
 * work the probe's helper never sees (it sees UDP datagrams): it wakes a
 * sleeping measure at the busy pace, as a datagram does. o may be NULL */
void overload_request(struct overload *o, const struct sip_msg *msg);

#endif
