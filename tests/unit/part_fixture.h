/* Participants for the unit tests that render or count conference state
 * (test_notify_doc, test_alloc_fail): added as the SIP side would report
 * them, through conf's setters. */
#ifndef CAUCUS_TEST_PART_FIXTURE_H
#define CAUCUS_TEST_PART_FIXTURE_H

#include "conf/conf.h"

/* n added to c (asserted) with endpoint ep and that status; its dialog
 * (Call-ID call-PID, tags ftPID and ttPID, contact sip:ep@10.0.0.PID);
 * when connected or on hold, its media: codec, sendrecv or recvonly,
 * tx SSRC 1000 + PID */
struct participant *part_fixture_add(struct conf *c, void *ep,
				     const struct part_new *n,
				     enum part_status status,
				     const char *codec);

/* A sidebar of c (asserted): id, display text, listed by value or by
 * reference only in the conference's document; no background */
struct sidebar *part_fixture_sidebar(struct conf *c, const char *id,
				     const char *display, bool by_val);

#endif
