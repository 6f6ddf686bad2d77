/*
 * Participants of a cascaded conference in the API (api_remote.h): who
 * may see what of a participant (one rule for local ones and other
 * nodes'), the cluster's members of a local participant's JSON, and the
 * participants other nodes serve, listed after the local ones with the
 * id "<pid>@<node>" and the fields a local one has where that node
 * published them. Called by api_conf.c; calls only api_reply.c and
 * api_json.c. Signalling thread.
 */
#include <string.h>
#include "api/api_int.h"
#include "api/api_remote.h"
#include "conf/conf.h"
#include "conf/conf_remote.h"
#include "conf/policy.h"

enum api_sight api_sight(const struct api_req *r, bool all, const char *self,
			 const struct api_seen *s)
{
	if (r->admin || (self && !strcasecmp(self, s->uri)))
		return API_SIGHT_FULL;
	if (!all && (s->hidden || s->waiting))
		return API_SIGHT_NONE;
	/* moderators see through anonymity where the policy lets them */
	if (all && conf_policy(s->conf)->reveal_anonymous)
		return API_SIGHT_FULL;
	return s->anonymous ? API_SIGHT_ANON : API_SIGHT_FULL;
}

static const char *link_name(enum part_link l)
{
	return l == PART_LINK_DOWN ? "down" : "up";
}

int api_part_cluster_json(struct odict *od, const struct participant *p,
			  const struct api_req *r)
{
	const char *node = confs_node(r->api->confs), *lnode;
	enum part_link l = part_link(p, &lnode, NULL);
	int err = 0;

	if (node[0])
		err |= api_add_str(od, "node", node);
	if (l != PART_LINK_NONE) {
		err |= api_add_str(od, "link", link_name(l));
		err |= api_add_str(od, "link_node", lnode);
	}
	return err;
}

static enum api_sight remote_sight(const struct api_req *r, struct conf *c,
				   const struct conf_remote *rp)
{
	struct api_seen s = {.conf = c, .uri = rp->uri,
			     .anonymous = rp->anonymous, .hidden = rp->hidden,
			     .waiting = rp->pending};

	return api_sight(r, api_sees_all(r, c), api_self_aor(r), &s);
}

static int media_json(struct odict *od, const struct conf_remote *rp)
{
	struct odict *m = NULL;
	int err = odict_alloc(&m, 4);

	err = err ? err : api_add_str(m, "codec", rp->codec);
	err = err ? err : odict_entry_add(od, "media", ODICT_OBJECT, m);
	mem_deref(m);
	return err;
}

static int remote_json(struct odict **odp, const struct conf_remote *rp,
		       enum api_sight sight)
{
	bool anon = sight == API_SIGHT_ANON;
	struct odict *od;
	char id[64];
	int err = odict_alloc(&od, 16);

	if (err)
		return err;
	re_snprintf(id, sizeof(id), "%s@%s", rp->pid, rp->node);
	err |= api_add_str(od, "id", id);
	err |= api_add_str(od, "node", rp->node);
	err |= api_add_bool(od, "remote", true);
	err |= api_add_str(od, "uri", anon ? CONF_ANON_URI : rp->uri);
	err |= api_add_str(od, "display_name", anon ? "Anonymous" :
			   rp->display);
	err |= api_add_str(od, "status", part_status_name(rp->status));
	err |= api_add_str(od, "role", rp->role[0] ? rp->role :
			   "participant");
	err |= api_add_bool(od, "muted", rp->muted);
	err |= api_add_bool(od, "deaf", rp->deaf);
	err |= api_add_int(od, "joined_at", rp->joined_at);
	err |= api_add_bool(od, "hand_raised", rp->hand);
	if (rp->pending)
		err |= api_add_bool(od, "pending", true);
	/* only those who see through it learn that it is anonymous */
	if (sight == API_SIGHT_FULL && rp->anonymous)
		err |= api_add_bool(od, "anonymous", true);
	if (sight == API_SIGHT_FULL && rp->hidden)
		err |= api_add_bool(od, "hidden", true);
	if (rp->codec[0])
		err |= media_json(od, rp);
	/* a child node's link into its node (the main focus): the child's
	 * name is its display (conf_remote.h) */
	if (rp->focus[0]) {
		err |= api_add_str(od, "link", link_name(PART_LINK_DOWN));
		err |= api_add_str(od, "link_node", rp->display);
	}
	if (err)
		mem_deref(od);
	else
		*odp = od;
	return err;
}

struct remotes {
	struct odict *arr;
	struct conf *c;
	const struct api_req *r;
	int err;
};

static bool remote_to_arr(const struct conf_remote *rp, void *arg)
{
	struct remotes *x = arg;
	enum api_sight sight = remote_sight(x->r, x->c, rp);
	struct odict *o = NULL;
	char key[12];

	if (sight == API_SIGHT_NONE)
		return false;
	re_snprintf(key, sizeof(key), "%zu", odict_count(x->arr, false));
	x->err = remote_json(&o, rp, sight);
	if (!x->err)
		x->err = odict_entry_add(x->arr, key, ODICT_OBJECT, o);
	mem_deref(o);
	return x->err != 0;
}

int api_remotes_json(struct odict *arr, struct conf *c,
		     const struct api_req *r)
{
	struct remotes x = {.arr = arr, .c = c, .r = r};

	(void)conf_apply_remotes(c, remote_to_arr, &x);
	return x.err;
}

bool api_remote_at(char *param)
{
	char *pc = strstr(param, "%40");

	/* a client that escaped the '@' (encodeURIComponent) */
	if (pc) {
		*pc = '@';
		memmove(pc + 1, pc + 3, strlen(pc + 3) + 1);
	}
	return strchr(param, '@') != NULL;
}

bool api_remote_id(struct api_req *r)
{
	return api_remote_at(r->param[1]);
}

static const struct conf_remote *find(struct api_req *r, struct conf *c,
				      enum api_sight *sight)
{
	const struct conf_remote *rp = conf_find_remote(c, r->param[1]);

	*sight = rp ? remote_sight(r, c, rp) : API_SIGHT_NONE;
	if (*sight != API_SIGHT_NONE)
		return rp;
	api_error(r, 404, "Not Found", "no such participant", r->param[1]);
	return NULL;
}

const struct conf_remote *api_remote_or_404(struct api_req *r,
					    struct conf *c)
{
	enum api_sight sight;

	return find(r, c, &sight);
}

void api_remote_part_get(struct api_req *r, struct conf *c)
{
	enum api_sight sight;
	const struct conf_remote *rp = find(r, c, &sight);
	struct odict *od = NULL;
	int err;

	if (!rp)
		return;
	err = remote_json(&od, rp, sight);
	api_reply_obj(r, 200, "OK", od, err, NULL);
}
