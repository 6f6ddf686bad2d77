/* Instant messages of a conference over HTTP: GET lists the recent ones
 * (what participants sent with SIP MESSAGE and what the API sent), POST
 * sends one from the conference to every participant. Signalling thread. */
#include <errno.h>
#include <string.h>
#include "api/api_int.h"
#include "conf/conf.h"

#define MSG_MAX_TEXT 4096

static int msg_json(struct odict *arr, const struct conf_msg *m)
{
	struct odict *od = NULL;
	char key[16];
	int err = odict_alloc(&od, 8);

	err = err ? err : odict_entry_add(od, "id", ODICT_INT,
					  (int64_t)m->id);
	err = err ? err : odict_entry_add(od, "at", ODICT_INT, m->at);
	err = err ? err : odict_entry_add(od, "from", ODICT_STRING, m->from);
	if (!err && m->display)
		err = odict_entry_add(od, "display", ODICT_STRING, m->display);
	err = err ? err : odict_entry_add(od, "content_type", ODICT_STRING,
					  m->ctype);
	err = err ? err : odict_entry_add(od, "text", ODICT_STRING, m->text);
	err = err ? err : odict_entry_add(od, "cpim", ODICT_BOOL, m->cpim);
	re_snprintf(key, sizeof(key), "%u", m->id);
	err = err ? err : odict_entry_add(arr, key, ODICT_OBJECT, od);
	mem_deref(od);
	return err;
}

void api_msg_list(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	struct odict *out = NULL, *arr = NULL;
	int err;

	if (!c)
		return;
	err = odict_alloc(&out, 4);
	err = err ? err : odict_alloc(&arr, 32);
	for (struct le *le = conf_messages(c)->head; le && !err; le = le->next)
		err = msg_json(arr, le->data);
	err = err ? err : odict_entry_add(out, "messages", ODICT_ARRAY, arr);
	mem_deref(arr);
	api_reply_obj(r, 200, "OK", out, err, NULL);
}

static const struct api_field send_fields[] = {
	{"text", API_STRING, true, 0, MSG_MAX_TEXT},
};

void api_msg_send(struct api_req *r)
{
	struct conf *c = api_conf_or_404(r);
	struct odict *in = NULL, *out = NULL;
	const char *text;
	unsigned sent = 0;
	int err;

	if (!c)
		return;
	if (api_body(r, send_fields, 1, &in))
		return;
	text = odict_string(in, "text");
	if (!text[0]) {
		api_error(r, 400, "Bad Request", "invalid request",
			  "field 'text' must not be empty");
		goto out;
	}
	err = conf_message(c, NULL, "text/plain", text, strlen(text), false,
			   &sent);
	err = err ? err : odict_alloc(&out, 4);
	err = err ? err : odict_entry_add(out, "id", ODICT_INT,
			(int64_t)((struct conf_msg *)
				  conf_messages(c)->tail->data)->id);
	err = err ? err : odict_entry_add(out, "recipients", ODICT_INT,
					  (int64_t)sent);
	if (err)
		api_error(r, 500, "Internal Server Error", "cannot send",
			  strerror(err));
	else
		api_reply_json(r, 202, "Accepted", out, NULL);
	mem_deref(out);
out:
	mem_deref(in);
}
