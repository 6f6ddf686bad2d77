/* Private to the api module: cascaded conferences (conf_remote.h) in the
 * API. A conference served by several nodes lists, after its own
 * participants, those the other nodes serve, each with the id
 * "<pid>@<node>"; requests that change one of those go to the node
 * serving it. Signalling thread. */
#ifndef CAUCUS_API_REMOTE_H
#define CAUCUS_API_REMOTE_H

#include <stdbool.h>
#include <re.h>

struct api_req;
struct conf;
struct conf_remote;
struct participant;

/* What a caller may see of a participant, local or another node's (spec
 * s. 5.7): nothing (hidden or waiting, to one who does not moderate), all
 * of it, or it anonymised. One rule for both (api_part_remote.c) */
enum api_sight { API_SIGHT_NONE, API_SIGHT_FULL, API_SIGHT_ANON };
struct api_seen {
	const struct conf *conf;
	const char *uri;          /* its AoR */
	bool anonymous, hidden;
	bool waiting;             /* pending, or keying the PIN */
};
/* all: the caller moderates c; self: the caller's AoR (NULL: none) */
enum api_sight api_sight(const struct api_req *r, bool all, const char *self,
			 const struct api_seen *s);

/* JSON of participants (api_part_remote.c). In a cluster, the node
 * serving local p ("node"), and for a cascade link which end it is and
 * the other end's node ("link", "link_node") */
int  api_part_cluster_json(struct odict *od, const struct participant *p,
			   const struct api_req *r);
/* The other nodes' participants r may see, appended to arr (keys go on
 * from its count) */
int  api_remotes_json(struct odict *arr, struct conf *c,
		      const struct api_req *r);
/* {pid} is another node's ("<pid>@<node>"; "%40" for '@' is taken too,
 * and made '@' in r->param[1]) */
bool api_remote_id(struct api_req *r);
/* param names another node's participant ("<pid>@<node>"; an escaped
 * "%40" is made '@' in place) */
bool api_remote_at(char *param);
/* GET .../participants/{pid}@{node}: the entry, or 404 (also for one the
 * caller may not see) */
void api_remote_part_get(struct api_req *r, struct conf *c);
/* The entry {pid} names, or NULL after replying 404 */
const struct conf_remote *api_remote_or_404(struct api_req *r,
					    struct conf *c);

/* A request that changes another node's participant (PATCH, DELETE,
 * POST on .../participants/{pid}@{node}...), answered: forwarded to the
 * node serving rp and its answer relayed (api_remote.c, the cluster's) */
void api_remote_forward(struct api_req *r, const struct conf_remote *rp);
/* Before a route's permission check (api.c): a {x} of its path that
 * names another node's participant ("<pid>@<node>", also escaped) makes
 * the request that node's: forwarded after the caller authenticated
 * (true: answered). part_get: the route is GET .../participants/{pid},
 * which this node answers from its roster (false for it). */
bool api_remote_route(struct api_req *r, bool part_get);

#endif
