/*
 * Floors (spec s. 5.11; the model of BFCP, RFC 8855): a floor is the
 * right to use a resource. A conference has one floor for now, its audio
 * (FLOOR_AUDIO): with floor control on (its policy's `enabled`), only the
 * floor's holders are mixed and everybody else listens.
 *
 * Participants request the floor (by BFCP, by raising a hand on the
 * keypad, or the API on their behalf); a chair (the conference's
 * moderators and administrators, or the API) grants, denies or revokes
 * it; or the floor's policy grants by itself: automatic, first come
 * first served by priority, at most max_holders at once, each grant for
 * at most limit_s. Requests wait in a queue (their position is what
 * BFCP's queue position says).
 *
 * Requests are state of the conference: every change of one is a new
 * version (conf_changed) and goes to the floor handler (the BFCP server
 * tells the requester and the clients that asked about the floor),
 * before a request that ended (denied, cancelled, released, revoked) is
 * forgotten. Signalling thread only.
 */
#ifndef CAUCUS_FLOOR_H
#define CAUCUS_FLOOR_H

#include <stdbool.h>
#include <stdint.h>

struct confs;
struct conf;
struct participant;

#define FLOOR_AUDIO 1
#define FLOOR_MAX_HOLDERS 16
#define FLOOR_QUEUE_MAX 64          /* requests waiting per floor */
#define FLOOR_INFO_MAX 128          /* participant-provided text */

enum floor_mode { FLOOR_MODE_CHAIR, FLOOR_MODE_AUTO };

struct floor_policy {
	bool enabled;               /* floor control on: only holders heard */
	enum floor_mode mode;
	unsigned max_holders;       /* 1 to FLOOR_MAX_HOLDERS */
	uint32_t limit_s;           /* a grant's length; 0: until released */
};

/* The statuses of a request: BFCP's values (RFC 8855 s. 5.2.5) */
enum floor_status {
	FLOOR_PENDING = 1, FLOOR_ACCEPTED, FLOOR_GRANTED, FLOOR_DENIED,
	FLOOR_CANCELLED, FLOOR_RELEASED, FLOOR_REVOKED,
};
const char *floor_status_name(enum floor_status st);
/* Ended: the request is gone once the handler has seen it so */
bool floor_status_final(enum floor_status st);

/* The floor's policy (defaults: off, chair-moderated, one holder, no
 * limit); setting it stores it with the conference (EIO: the store
 * failed, nothing changed; EINVAL: out of range; ENOENT: no such floor).
 * Turning it off ends every request (released); a smaller max_holders
 * revokes the latest grants beyond it; auto mode grants what waits. */
const struct floor_policy *conf_floor_policy(const struct conf *c,
					     unsigned floorid);
int  conf_set_floor_policy(struct conf *c, unsigned floorid,
			   const struct floor_policy *fp);

struct floor_request;
/* A request for floorid with p as beneficiary (by: who asked, a chair
 * asking on p's behalf; NULL: p itself, or the API); priority 0 to 4
 * (BFCP's lowest to highest); info: its text (NULL: none). Auto mode may
 * grant it at once. EALREADY: p has a request for that floor that has
 * not ended (*rp is it); ENOENT: no such floor; EPERM: floor control is
 * off; ENOSPC: FLOOR_QUEUE_MAX wait. */
int  conf_floor_request(struct conf *c, unsigned floorid,
			struct participant *p, struct participant *by,
			uint8_t priority, const char *info,
			struct floor_request **rp);
/* The beneficiary (or who asked) lets go: released if granted, else
 * cancelled */
void floor_request_release(struct floor_request *r);
/* A chair's decision: FLOOR_ACCEPTED (stays queued), FLOOR_GRANTED,
 * FLOOR_DENIED (not granted) or FLOOR_REVOKED (granted); why: its status
 * text (NULL: none). EINVAL: not a decision for that status (granting a
 * granted one, revoking one not granted); ENOSPC: granting beyond
 * max_holders. */
int  floor_request_decide(struct floor_request *r, enum floor_status st,
			  const char *why);

struct floor_request *conf_floor_request_find(const struct conf *c,
					      uint16_t id);
/* p's request for floorid that has not ended, or NULL */
struct floor_request *conf_floor_request_of(const struct conf *c,
					    unsigned floorid,
					    const struct participant *p);
/* The requests of floorid that have not ended: holders first (by grant
 * time), then the queue in order (priority, then age) */
typedef bool (floor_request_h)(struct floor_request *r, void *arg);
struct floor_request *conf_apply_floor_requests(const struct conf *c,
						unsigned floorid,
						floor_request_h *h, void *arg);
unsigned conf_floor_holders(const struct conf *c, unsigned floorid);

uint16_t floor_request_id(const struct floor_request *r);
unsigned floor_request_floor(const struct floor_request *r);
enum floor_status floor_request_status(const struct floor_request *r);
struct participant *floor_request_beneficiary(const struct floor_request *r);
/* who asked on the beneficiary's behalf (NULL: itself, or the API) */
struct participant *floor_request_by(const struct floor_request *r);
uint8_t floor_request_priority(const struct floor_request *r);
/* place in the queue, 1 the next (0: granted, or ended) */
unsigned floor_request_queue_pos(const struct floor_request *r);
const char *floor_request_info(const struct floor_request *r);   /* "" */
const char *floor_request_status_info(const struct floor_request *r);
int64_t floor_request_since(const struct floor_request *r);      /* ms */

/* Told of every change of a request's status (or queue position), the
 * request still readable (the BFCP server) */
typedef void (floor_change_h)(struct floor_request *r, void *arg);
void confs_set_floor_handler(struct confs *cs, floor_change_h *h, void *arg);

/* The conference whose BFCP conference id (conf_room) is room */
struct conf *confs_lookup_room(const struct confs *cs, uint32_t room);

#endif
