/*
 * The applications over HTTP (apps/apps.h): announcements to a
 * conference or to one of its participants, and recordings (start,
 * stop, list, download). Signalling thread.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "api/api_int.h"
#include "apps/apps.h"
#include "conf/conf.h"
#include "conf/part.h"

#define DOWNLOAD_MAX (512u * 1024 * 1024)

void api_set_apps(struct api *a, struct apps *apps)
{
	a->apps = apps;
}

static struct apps *apps_or_503(struct api_req *r)
{
	if (!r->api->apps)
		api_error(r, 503, "Service Unavailable", "no applications",
			  "this server runs without them");
	return r->api->apps;
}

static const struct api_field announce_fields[] = {
	{"text", API_STRING, false, 0, 255},
	{"prompt", API_STRING, false, 0, 63},
	{"to", API_STRING, false, 0, 11},
};

void api_announce(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	struct apps *apps = c ? apps_or_503(r) : NULL;
	struct odict *in = NULL, *out = NULL;
	const char *text, *prompt, *to;
	struct participant *p = NULL;
	struct apps_item it;
	uint32_t id = 0;
	int err;

	if (!apps || api_body(r, announce_fields, 3, &in))
		return;
	text = odict_string(in, "text");
	prompt = odict_string(in, "prompt");
	to = odict_string(in, "to");
	if (!text == !prompt || (text && !text[0]) || (prompt && !prompt[0])) {
		api_error(r, 400, "Bad Request", "invalid request",
			  "give one of 'text' (words to speak) or 'prompt' "
			  "(a prompt's name)");
		goto out;
	}
	if (to) {
		p = conf_find_part(c, to);
		if (!p || !part_in_conf(p)) {
			api_error(r, 404, "Not Found", "no such participant",
				  to);
			goto out;
		}
	}
	memset(&it, 0, sizeof(it));
	it.kind = text ? APPS_TEXT : APPS_PROMPT;
	snprintf(it.what, sizeof(it.what), "%s", text ? text : prompt);
	err = apps_announce(apps, c, p, &it, 1, &id);
	if (err == ENOENT) {
		api_error(r, 404, "Not Found", "no such prompt",
			  "no prompt of that name is built in or in the "
			  "prompts folder");
		goto out;
	}
	if (err) {
		api_error(r, err == E2BIG ? 400 : 500, err == E2BIG ?
			  "Bad Request" : "Internal Server Error",
			  "cannot announce", strerror(err));
		goto out;
	}
	err = odict_alloc(&out, 4);
	err = err ? err : api_add_int(out, "id", id);
	if (!err && p)
		err = api_add_str(out, "to", part_id(p));
	api_reply_obj(r, 202, "Accepted", out, err, NULL);
out:
	mem_deref(in);
}

/* A JSON text printed by fn into a reply */
static void reply_printed(struct api_req *r, uint16_t scode,
			  const char *reason, re_printf_h *fn, void *arg)
{
	struct mbuf *mb = mbuf_alloc(1024);
	struct odict *od = NULL;
	int err = mb ? mbuf_printf(mb, "%H", fn, arg) : ENOMEM;

	if (err == ENOENT) {
		api_error(r, 404, "Not Found", "no such recording", NULL);
		goto out;
	}
	err = err ? err : json_decode_odict(&od, 32, (char *)mb->buf,
					    mb->end, 8);
	api_reply_obj(r, scode, reason, od, err, NULL);
out:
	mem_deref(mb);
}

void api_prompts(struct api_req *r)
{
	struct apps *apps = apps_or_503(r);

	if (apps)
		reply_printed(r, 200, "OK", apps_prompt_list, apps);
}

static int list_print(struct re_printf *pf, void *arg)
{
	return re_hprintf(pf, "{\"recordings\":%H}", apps_record_list, arg);
}

void api_rec_list(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	struct apps *apps = c ? apps_or_503(r) : NULL;
	struct apps_rec_list l = {.a = apps, .c = c};

	if (apps)
		reply_printed(r, 200, "OK", list_print, &l);
}

static const struct api_field rec_fields[] = {
	{"format", API_STRING, false, 0, 8},
	{"tracks", API_BOOL, false, 0, 0},
};

void api_rec_start(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	struct apps *apps = c ? apps_or_503(r) : NULL;
	struct odict *in = NULL;
	struct apps_rec_list l = {.a = apps, .c = c};
	char rid[40];
	int err;

	bool tracks = false;

	if (!apps || api_body(r, rec_fields, 2, &in))
		return;
	(void)odict_get_boolean(in, &tracks, "tracks");
	err = apps_record_start(apps, c, odict_string(in, "format"), tracks,
				rid, sizeof(rid));
	switch (err) {
	case 0:
		l.rid = rid;
		reply_printed(r, 201, "Created", apps_record_list, &l);
		break;
	case EINVAL:
		api_error(r, 400, "Bad Request", "invalid request",
			  "field 'format' must be ogg or wav");
		break;
	case EALREADY:
		api_error(r, 409, "Conflict", "already recording",
			  "stop the recording that is on first");
		break;
	default:
		api_error(r, 500, "Internal Server Error",
			  "cannot start recording", strerror(err));
		break;
	}
	mem_deref(in);
}

void api_rec_get(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	struct apps *apps = c ? apps_or_503(r) : NULL;
	struct apps_rec_list l = {.a = apps, .c = c, .rid = r->param[1]};

	if (apps)
		reply_printed(r, 200, "OK", apps_record_list, &l);
}

void api_rec_stop(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	struct apps *apps = c ? apps_or_503(r) : NULL;
	struct apps_rec_list l = {.a = apps, .c = c, .rid = r->param[1]};

	if (!apps)
		return;
	switch (apps_record_stop(apps, c, r->param[1])) {
	case 0:
		break;
	case EALREADY:
		api_error(r, 409, "Conflict", "not recording",
			  "that recording is over");
		return;
	default:
		api_error(r, 404, "Not Found", "no such recording",
			  r->param[1]);
		return;
	}
	reply_printed(r, 202, "Accepted", apps_record_list, &l);
}

void api_rec_audio(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	struct apps *apps = c ? apps_or_503(r) : NULL;
	const char *ctype = NULL;
	char path[700];
	struct stat st;
	struct mbuf *mb;
	FILE *f;
	int err;

	if (!apps)
		return;
	err = apps_record_path(apps, c, r->param[1], path, sizeof(path),
			       &ctype);
	if (err == EBUSY) {
		api_error(r, 409, "Conflict", "still recording",
			  "stop it first: the file is being written");
		return;
	}
	if (err || stat(path, &st) || (uint64_t)st.st_size > DOWNLOAD_MAX) {
		api_error(r, 404, "Not Found", "no such recording", NULL);
		return;
	}
	mb = mbuf_alloc((size_t)st.st_size + 1);
	f = mb ? fopen(path, "rb") : NULL;
	if (!f || fread(mb->buf, 1, (size_t)st.st_size, f) !=
	    (size_t)st.st_size) {
		if (f)
			fclose(f);
		mem_deref(mb);
		api_error(r, 500, "Internal Server Error",
			  "cannot read the recording", NULL);
		return;
	}
	fclose(f);
	mb->end = (size_t)st.st_size;
	api_count(r, 200);
	(void)http_reply(r->conn, 200, "OK",
			 "Content-Type: %s\r\n"
			 "Cache-Control: no-store\r\n"
			 "Content-Disposition: attachment; "
			 "filename=\"%s-%s.%s\"\r\n"
			 "Content-Length: %zu\r\n\r\n%b", ctype, conf_id(c),
			 r->param[1], strstr(ctype, "ogg") ? "ogg" : "wav",
			 mb->end, mb->buf, mb->end);
	mem_deref(mb);
}
