/* libre's SIP message decoder, kept from the address headers it would
 * spend the square of their length on (sipdec_guard.c: caucusd defines
 * sip_msg_decode over libre's). Any thread. */
#ifndef CAUCUS_SIPDEC_GUARD_H
#define CAUCUS_SIPDEC_GUARD_H

/* How many messages were refused here */
unsigned long sipdec_guard_refused(void);

#endif
