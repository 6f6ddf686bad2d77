/*
 * Mass invitation and ejection (spec s. 5.3):
 * POST /v1/conferences/{id}/participants:batch
 *   {"invite": [URI, ...], "rate": calls per second}: a job that dials the
 *   targets paced at the rate (all the dial-outs run concurrently); 202
 *   with the job; GET /v1/jobs/{id} shows its progress and the result for
 *   every target.
 *   {"eject": {"all": true} | {"role": R} | {"pattern": P}}: BYE to
 *   everyone selected; 200 with how many.
 * Jobs live in memory (a restart forgets them; the participants they made
 * are calls, which a restart ends anyway). Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "api/api_int.h"
#include "conf/conf.h"
#include "conf/conf_remote.h"
#include "conf/policy.h"
#include "util/log.h"

#define BATCH_MAX 10000
#define TICK_MS 20

enum tstate { T_QUEUED, T_DIALING, T_CONNECTED, T_FAILED, T_ENDED };
static const char *const tstate_names[] = {
	"queued", "dialing", "connected", "failed", "ended",
};

struct target {
	char *uri;
	struct participant *p;        /* referenced until its end is known */
	char pid[12];
	enum tstate st;
	uint16_t code;
};

struct job {
	struct le le;
	struct api *api;
	uint32_t id;
	char conf_id[72];
	struct target *t;
	size_t n, next;
	uint32_t rate;
	uint64_t started_ms;
	struct tmr tmr;
	unsigned last_pct;
};

static uint32_t job_ids;

static void job_destructor(void *arg)
{
	struct job *j = arg;

	tmr_cancel(&j->tmr);
	list_unlink(&j->le);
	for (size_t i = 0; i < j->n; i++) {
		mem_deref(j->t[i].uri);
		mem_deref(j->t[i].p);
	}
	mem_deref(j->t);
}

/* What became of each dialled target: each holds its participant, so
 * this is O(targets) however large the roster (it runs every tick) */
static void observe(struct job *j)
{
	for (size_t i = 0; i < j->next; i++) {
		struct target *t = &j->t[i];

		if (!t->p)
			continue;              /* its end is known */
		if (!part_in_conf(t->p)) {
			if (t->st == T_DIALING)
				t->st = T_FAILED;      /* gone before answering */
			else if (t->st == T_CONNECTED)
				t->st = T_ENDED;
		}
		else {
			switch (part_status(t->p)) {
			case PART_CONNECTED:
			case PART_ON_HOLD:
				t->st = T_CONNECTED;
				break;
			case PART_FAILED:
				t->st = T_FAILED;
				t->code = part_fail_code(t->p);
				break;
			default:
				break;
			}
		}
		if (t->st == T_FAILED || t->st == T_ENDED)
			t->p = mem_deref(t->p);
	}
}

static void tick(void *arg)
{
	struct job *j = arg;
	struct conf *c = confs_lookup(j->api->confs, j->conf_id);
	uint64_t due = (tmr_jiffies() - j->started_ms) * j->rate / 1000 + 1;
	unsigned pct;

	while (c && j->next < j->n && j->next < due) {
		struct target *t = &j->t[j->next++];
		struct participant *p = NULL;
		struct part_new pn = {.uri = t->uri, .dial_out = true};

		if (part_add(c, &pn, &p)) {
			t->st = T_FAILED;
			continue;
		}
		re_snprintf(t->pid, sizeof(t->pid), "%s", part_id(p));
		t->p = mem_ref(p);
		t->st = T_DIALING;
		conf_reconcile(c);      /* dials; may fail it at once */
	}
	if (!c) {                       /* the conference is gone */
		for (; j->next < j->n; j->next++)
			j->t[j->next].st = T_FAILED;
	}
	observe(j);
	pct = (unsigned)(j->next * 100 / j->n);
	if (pct / 10 != j->last_pct / 10 || j->next == j->n) {
		log_info("api", "msg=\"mass invitation\" job=%u conf=%s "
			 "dialled=%zu of=%zu", j->id, j->conf_id, j->next,
			 j->n);
		j->last_pct = pct;
	}
	if (j->next < j->n)
		tmr_start(&j->tmr, TICK_MS, tick, j);
}

static int job_json(struct odict **odp, struct job *j, bool targets)
{
	struct odict *od = NULL, *arr = NULL;
	size_t cnt[5] = {0};
	int err;

	observe(j);
	for (size_t i = 0; i < j->n; i++)
		cnt[j->t[i].st]++;
	err = odict_alloc(&od, 16);
	err = err ? err : odict_entry_add(od, "id", ODICT_INT,
					  (int64_t)j->id);
	err = err ? err : odict_entry_add(od, "conference", ODICT_STRING,
					  j->conf_id);
	err = err ? err : odict_entry_add(od, "state", ODICT_STRING,
					  j->next < j->n ? "running" : "done");
	err = err ? err : odict_entry_add(od, "rate", ODICT_INT,
					  (int64_t)j->rate);
	err = err ? err : odict_entry_add(od, "total", ODICT_INT,
					  (int64_t)j->n);
	err = err ? err : odict_entry_add(od, "dialled", ODICT_INT,
					  (int64_t)j->next);
	for (size_t s = 0; s < 5 && !err; s++)
		err = odict_entry_add(od, tstate_names[s], ODICT_INT,
				      (int64_t)cnt[s]);
	if (targets) {
		err = err ? err : odict_alloc(&arr, 64);
		for (size_t i = 0; i < j->n && !err; i++) {
			struct odict *t = NULL;
			char key[12];

			err = odict_alloc(&t, 8);
			err = err ? err : odict_entry_add(t, "uri", ODICT_STRING,
							  j->t[i].uri);
			if (!err && j->t[i].pid[0])
				err = odict_entry_add(t, "participant",
						      ODICT_STRING, j->t[i].pid);
			err = err ? err : odict_entry_add(t, "state",
					ODICT_STRING,
					tstate_names[j->t[i].st]);
			if (!err && j->t[i].code)
				err = odict_entry_add(t, "sip_code", ODICT_INT,
						      (int64_t)j->t[i].code);
			re_snprintf(key, sizeof(key), "%zu", i);
			err = err ? err : odict_entry_add(arr, key,
							  ODICT_OBJECT, t);
			mem_deref(t);
		}
		err = err ? err : odict_entry_add(od, "targets", ODICT_ARRAY,
						  arr);
		mem_deref(arr);
	}
	if (err)
		mem_deref(od);
	else
		*odp = od;
	return err;
}

static bool uri_ok(const char *s)
{
	struct pl pl;
	struct uri u;

	if (strncasecmp(s, "sip:", 4) && strncasecmp(s, "sips:", 5))
		return false;
	pl_set_str(&pl, s);
	return !uri_decode(&u, &pl) && pl_isset(&u.host);
}

static const struct api_field batch_fields[] = {
	{"invite", API_ARRAY, false, 0, BATCH_MAX},
	{"rate", API_NUMBER, false, 1, 1000},
	{"eject", API_OBJECT, false, 0, 0},       /* checked by hand */
};

struct eject_ctx {
	const char *role, *pattern;
	bool all;
	struct participant **sel;      /* referenced */
	unsigned n, max;
};

/* Selection first, removal after: a removal may end other calls at once
 * and change the roster under the visit */
static bool eject_h(struct participant *p, void *arg)
{
	struct eject_ctx *e = arg;

	/* a cascade link is the cluster's: ejecting it would drop a
	 * whole node's callers, who are each node's to eject */
	if (part_link(p, NULL, NULL) != PART_LINK_NONE)
		return false;
	if (e->n < e->max &&
	    (e->all || (e->role && !strcmp(part_role(p), e->role)) ||
	     (e->pattern && policy_glob(e->pattern, part_uri(p)))))
		e->sel[e->n++] = mem_ref(p);
	return false;
}

static void eject(struct api_req *r, struct conf *c,
		  const struct odict_entry *sel)
{
	struct eject_ctx e = {0};
	struct odict *out = NULL;
	const char *bad = NULL;

	if (sel->type != ODICT_OBJECT || odict_count(sel->u.odict, false) != 1)
		bad = "field 'eject' must be an object with one of all, role, "
			"pattern";
	else if (odict_lookup(sel->u.odict, "all"))
		e.all = odict_lookup(sel->u.odict, "all")->type == ODICT_BOOL &&
			odict_lookup(sel->u.odict, "all")->u.boolean;
	else if ((e.role = odict_string(sel->u.odict, "role")) == NULL &&
		 (e.pattern = odict_string(sel->u.odict, "pattern")) == NULL)
		bad = "field 'eject' must name all, role or pattern";
	if (!bad && !e.all && !e.role && !e.pattern)
		bad = "field 'eject.all' must be true";
	/* a typo must not look like "nobody had that role" */
	if (!bad && e.role && !policy_role_bit(e.role))
		bad = "field 'eject.role' must be administrator, moderator, "
			"participant or listener";
	if (bad) {
		api_error(r, 400, "Bad Request", "invalid request", bad);
		return;
	}
	e.max = conf_participant_count(c);
	e.sel = mem_zalloc((e.max ? e.max : 1) * sizeof(*e.sel), NULL);
	if (!e.sel) {
		api_error(r, 500, "Internal Server Error", "out of memory",
			  NULL);
		return;
	}
	(void)conf_apply_parts(c, eject_h, &e);
	for (unsigned i = 0; i < e.n; i++) {
		part_remove(e.sel[i]);
		mem_deref(e.sel[i]);
	}
	mem_deref(e.sel);
	log_info("api", "msg=\"mass ejection\" conf=%s ejected=%u",
		 conf_id(c), e.n);
	if (!odict_alloc(&out, 4) &&
	    !odict_entry_add(out, "ejected", ODICT_INT, (int64_t)e.n))
		api_reply_json(r, 200, "OK", out, NULL);
	else
		api_error(r, 500, "Internal Server Error", "out of memory",
			  NULL);
	mem_deref(out);
}

void api_batch(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	struct odict *in = NULL, *out = NULL;
	const struct odict_entry *inv, *ej;
	struct job *j = NULL;
	char hdr[80], detail[96];
	double rate = 20;
	size_t i = 0;
	int err;

	if (!c)
		return;
	if (api_body(r, batch_fields, 3, &in))
		return;
	inv = odict_lookup(in, "invite");
	ej = odict_lookup(in, "eject");
	if (!!inv == !!ej) {
		api_error(r, 400, "Bad Request", "invalid request",
			  "give exactly one of 'invite' and 'eject'");
		goto out;
	}
	if (ej) {
		eject(r, c, ej);
		goto out;
	}
	(void)api_json_number(in, "rate", &rate);
	if (!odict_count(inv->u.odict, false)) {
		api_error(r, 400, "Bad Request", "invalid request",
			  "field 'invite' is empty");
		goto out;
	}
	j = mem_zalloc(sizeof(*j), job_destructor);
	if (j)
		j->t = mem_zalloc(odict_count(inv->u.odict, false) *
				  sizeof(*j->t), NULL);
	if (!j || !j->t) {
		api_error(r, 500, "Internal Server Error", "out of memory",
			  NULL);
		goto out;
	}
	for (struct le *le = inv->u.odict->lst.head; le; le = le->next, i++) {
		const struct odict_entry *e = le->data;

		if (e->type != ODICT_STRING || !uri_ok(e->u.str)) {
			snprintf(detail, sizeof(detail), "field 'invite[%zu]' "
				 "must be a sip: or sips: URI", i);
			api_error(r, 400, "Bad Request", "invalid request",
				  detail);
			goto out;
		}
		err = str_dup(&j->t[i].uri, e->u.str);
		if (err) {
			api_error(r, 500, "Internal Server Error",
				  "out of memory", NULL);
			goto out;
		}
		j->n = i + 1;
	}
	j->api = r->api;
	j->id = ++job_ids;
	j->rate = (uint32_t)rate;
	j->started_ms = tmr_jiffies();
	re_snprintf(j->conf_id, sizeof(j->conf_id), "%s", conf_id(c));
	tmr_init(&j->tmr);
	/* keep the last 100 jobs: drop the oldest finished ones */
	for (struct le *le = r->api->jobs.head;
	     le && list_count(&r->api->jobs) >= 100;) {
		struct job *old = le->data;

		le = le->next;
		if (old->next == old->n)
			mem_deref(old);
	}
	list_append(&r->api->jobs, &j->le, j);
	log_info("api", "msg=\"mass invitation\" job=%u conf=%s targets=%zu "
		 "rate=%u", j->id, j->conf_id, j->n, j->rate);
	tick(j);
	re_snprintf(hdr, sizeof(hdr), "Location: /v1/jobs/%u\r\n", j->id);
	err = job_json(&out, j, false);
	j = NULL;                          /* the list has it */
	if (err)
		api_error(r, 500, "Internal Server Error", "out of memory",
			  NULL);
	else
		api_reply_json(r, 202, "Accepted", out, hdr);
out:
	mem_deref(j);
	mem_deref(out);
	mem_deref(in);
}

static bool job_visible(const struct api_req *r, const struct job *j)
{
	struct conf *c = confs_lookup(r->api->confs, j->conf_id);

	return c && api_sees_all(r, c);
}

void api_job_get(struct api_req *r)
{
	struct odict *out = NULL;
	bool targets = !r->msg->prm.l ||
		pl_strcmp(&r->msg->prm, "?targets=0");

	for (struct le *le = r->api->jobs.head; le; le = le->next) {
		struct job *j = le->data;
		char id[12];

		re_snprintf(id, sizeof(id), "%u", j->id);
		if (strcmp(id, r->param[0]))
			continue;
		if (!r->admin && !job_visible(r, j)) {
			api_error(r, 403, "Forbidden", "forbidden", "only the "
				  "conference's moderators may read its jobs");
			return;
		}
		if (job_json(&out, j, targets))
			api_error(r, 500, "Internal Server Error",
				  "out of memory", NULL);
		else
			api_reply_json(r, 200, "OK", out, NULL);
		mem_deref(out);
		return;
	}
	api_error(r, 404, "Not Found", "no such job", r->param[0]);
}
