/*
 * Sidebars over HTTP (conf.h "Sidebars"): list, make, change and end a
 * conference's sidebars, and move participants in and out of them. The
 * changes are the conference's moderators' (api.c's table); the list is
 * readable by every role, with the members the caller may see in the
 * roster (api_sidebar_json.c). conf decides the rest: ids, limits, what
 * the members hear. Signalling thread.
 */
#include <errno.h>
#include <string.h>
#include "api/api_int.h"
#include "conf/conf.h"
#include "conf/mediapol.h"

#define DISPLAY_MAX 256

void api_sidebar_list(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	struct odict *out = NULL;
	int err;

	if (!c)
		return;
	err = odict_alloc(&out, 4);
	err = err ? err : api_sidebars_json(out, "sidebars", c, r, false);
	api_reply_obj(r, 200, "OK", out, err, NULL);
}

/* {sid} of {id}, or NULL after replying 404 */
static struct sidebar *sidebar_or_404(struct api_req *r, struct conf **cp)
{
	struct conf *c = api_conf_or_404(r);
	struct sidebar *sb;

	if (!c)
		return NULL;
	sb = conf_sidebar_find(c, r->param[1]);
	if (!sb)
		api_error(r, 404, "Not Found", "no such sidebar", r->param[1]);
	*cp = c;
	return sb;
}

static void reply_sidebar(struct api_req *r, struct sidebar *sb,
			  uint16_t scode, const char *reason,
			  const char *hdrs)
{
	struct odict *out = NULL;
	int err = api_sidebar_json(&out, sb, r);

	api_reply_obj(r, scode, reason, out, err, hdrs);
}

/* What conf_sidebar_add and _update refuse with, in the API's words */
static void sidebar_refused(struct api_req *r, int err, const char *id)
{
	char detail[96];

	switch (err) {
	case EEXIST:
		api_error(r, 409, "Conflict", "sidebar id taken", id);
		break;
	case ENOSPC:
		re_snprintf(detail, sizeof(detail), "a conference has at "
			    "most %u sidebars; end one first",
			    CONF_MAX_SIDEBARS);
		api_error(r, 409, "Conflict", "too many sidebars", detail);
		break;
	case EINVAL:
		api_error(r, 400, "Bad Request", "invalid request",
			  "a bad sidebar id or background gain");
		break;
	case ENOENT:
		api_error(r, 404, "Not Found", "no such conference",
			  r->param[0]);
		break;
	case EIO:
		api_error(r, 503, "Service Unavailable", "cannot store the "
			  "sidebar", "the store failed; nothing was changed");
		break;
	default:
		api_error(r, 500, "Internal Server Error", "cannot make the "
			  "sidebar", strerror(err));
		break;
	}
}

/* "background_db": a number, or null for none; absent: keep *cfg's */
static void background_from(const struct odict *in, struct sidebar_cfg *cfg)
{
	const struct odict_entry *e = odict_lookup(in, "background_db");

	if (!e)
		return;
	cfg->bg = e->type != ODICT_NULL;
	if (cfg->bg)
		(void)api_json_number(in, "background_db", &cfg->bg_db);
}

static const struct api_field create_fields[] = {
	{"id", API_STRING, false, 0, SIDEBAR_ID_MAX},
	{"display_text", API_STRING, false, 0, DISPLAY_MAX},
	{"background_db", API_NUMBER | API_OR_NULL, false,
	 MEDIAPOL_GAIN_MIN_DB, MEDIAPOL_GAIN_MAX_DB},
	{"by_val", API_BOOL, false, 0, 0},
};

void api_sidebar_create(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	const struct mediapol *mp;
	struct sidebar_cfg cfg = {.by_val = true};
	struct odict *in = NULL;
	struct sidebar *sb = NULL;
	char hdr[200];
	int err;

	if (!c || api_body(r, create_fields, ARRAY_SIZE(create_fields),
			   &in))
		return;
	cfg.id = odict_string(in, "id");
	if (cfg.id && !conf_id_valid(cfg.id)) {
		api_error(r, 400, "Bad Request", "invalid request", "field "
			  "'id' must be 1 to 32 of A-Z a-z 0-9 - _ .");
		goto out;
	}
	cfg.display_text = odict_string(in, "display_text");
	/* the media policy says how new sidebars hear the main room */
	mp = conf_mediapol(c);
	cfg.bg = mp->sidebar_bg;
	cfg.bg_db = mp->sidebar_bg_db;
	background_from(in, &cfg);
	(void)odict_get_boolean(in, &cfg.by_val, "by_val");
	err = conf_sidebar_add(c, &cfg, &sb);
	if (err) {
		sidebar_refused(r, err, cfg.id);
		goto out;
	}
	re_snprintf(hdr, sizeof(hdr), "Location: /v1/conferences/%s/"
		    "sidebars/%s\r\n", conf_id(c), sidebar_id(sb));
	reply_sidebar(r, sb, 201, "Created", hdr);
out:
	mem_deref(in);
}

void api_sidebar_get(struct api_req *r)
{
	struct conf *c;
	struct sidebar *sb = sidebar_or_404(r, &c);

	if (sb)
		reply_sidebar(r, sb, 200, "OK", NULL);
}

static const struct api_field patch_fields[] = {
	{"display_text", API_STRING, false, 0, DISPLAY_MAX},
	{"background_db", API_NUMBER | API_OR_NULL, false,
	 MEDIAPOL_GAIN_MIN_DB, MEDIAPOL_GAIN_MAX_DB},
	{"by_val", API_BOOL, false, 0, 0},
};

void api_sidebar_patch(struct api_req *r)
{
	struct conf *c;
	struct sidebar *sb = sidebar_or_404(r, &c);
	struct sidebar_cfg cfg;
	struct odict *in = NULL;
	int err;

	if (!sb || api_body(r, patch_fields, ARRAY_SIZE(patch_fields),
			    &in))
		return;
	if (!odict_count(in, false)) {
		api_error(r, 400, "Bad Request", "invalid request", "name "
			  "'display_text', 'background_db' or 'by_val'");
		goto out;
	}
	cfg = (struct sidebar_cfg){
		.display_text = sidebar_display_text(sb),
		.by_val = sidebar_by_val(sb),
	};
	cfg.bg = sidebar_bg(sb, &cfg.bg_db);
	if (odict_string(in, "display_text"))
		cfg.display_text = odict_string(in, "display_text");
	background_from(in, &cfg);
	(void)odict_get_boolean(in, &cfg.by_val, "by_val");
	err = conf_sidebar_update(sb, &cfg);
	if (err) {
		sidebar_refused(r, err, sidebar_id(sb));
		goto out;
	}
	reply_sidebar(r, sb, 200, "OK", NULL);
out:
	mem_deref(in);
}

void api_sidebar_delete(struct api_req *r)
{
	struct conf *c;
	struct sidebar *sb = sidebar_or_404(r, &c);

	if (!sb)
		return;
	(void)conf_sidebar_remove(sb);
	api_reply_json(r, 204, "No Content", NULL, NULL);
}

/* Membership */

static const struct api_field join_fields[] = {
	{"participant", API_STRING, true, 0, 64},
};

void api_sidebar_join(struct api_req *r)
{
	struct conf *c;
	struct sidebar *sb = sidebar_or_404(r, &c);
	struct participant *p;
	struct odict *in = NULL;
	const char *pid;
	char detail[128];

	if (!sb || api_body(r, join_fields, 1, &in))
		return;
	pid = odict_string(in, "participant");
	p = conf_find_part(c, pid);
	if (!p) {
		re_snprintf(detail, sizeof(detail), "field 'participant': no "
			    "participant '%s' in this conference", pid);
		api_error(r, 400, "Bad Request", "invalid request", detail);
		goto out;
	}
	if (part_status(p) == PART_FAILED ||
	    part_status(p) == PART_DISCONNECTING) {
		api_error(r, 409, "Conflict", "not in the call",
			  "the participant is leaving or has left");
		goto out;
	}
	(void)part_set_sidebar(p, sb);
	reply_sidebar(r, sb, 200, "OK", NULL);
out:
	mem_deref(in);
}

void api_sidebar_leave(struct api_req *r)
{
	struct conf *c;
	struct sidebar *sb = sidebar_or_404(r, &c);
	struct participant *p;

	if (!sb)
		return;
	p = conf_find_part(c, r->param[2]);
	if (!p) {
		api_error(r, 404, "Not Found", "no such participant",
			  r->param[2]);
		return;
	}
	if (part_sidebar(p) != sb) {
		api_error(r, 404, "Not Found", "not a member",
			  "the participant is not in this sidebar");
		return;
	}
	(void)part_set_sidebar(p, NULL);
	api_reply_json(r, 204, "No Content", NULL, NULL);
}
