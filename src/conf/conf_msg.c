/* Instant messages of a conference: a short history, and the fan-out to
 * every participant but the sender through conf_ops.message. Signalling
 * thread only. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "conf/conf_int.h"

static void msg_destructor(void *arg)
{
	struct conf_msg *m = arg;

	list_unlink(&m->le);
	mem_deref(m->from);
	mem_deref(m->display);
	mem_deref(m->ctype);
	mem_deref(m->text);
}

int conf_message(struct conf *c, struct participant *sender,
		 const char *ctype, const char *text, size_t len, bool cpim,
		 unsigned *sentp)
{
	const struct conf_ops *ops = c->cs->ops;
	struct conf_msg *m;
	int err;

	if (c->destroyed)
		return ENOENT;
	m = mem_zalloc(sizeof(*m), msg_destructor);
	if (!m)
		return ENOMEM;
	m->id = ++c->next_msg;
	m->at = (int64_t)time(NULL);
	m->cpim = cpim;
	m->sender = sender;
	if (sender && part_privacy(sender)->anonymous) {
		err = str_dup(&m->from, CONF_ANON_URI);
	}
	else if (sender) {
		err = str_dup(&m->from, sender->uri);
		if (!err && sender->display)
			err = str_dup(&m->display, sender->display);
	}
	else {
		err = str_dup(&m->from, c->uri);
		if (!err && c->display_text && c->display_text[0])
			err = str_dup(&m->display, c->display_text);
	}
	err = err ? err : str_dup(&m->ctype, ctype);
	if (!err) {
		m->text = mem_alloc(len + 1, NULL);
		err = m->text ? 0 : ENOMEM;
	}
	if (err) {
		mem_deref(m);
		return err;
	}
	memcpy(m->text, text, len);
	m->text[len] = '\0';
	m->len = len;
	list_append(&c->msgs, &m->le, m);
	if (list_count(&c->msgs) > CONF_MSGS_MAX)
		mem_deref(c->msgs.head->data);
	*sentp = 0;
	for (struct le *le = c->parts.head; le; le = le->next) {
		struct participant *p = le->data;

		if (p == sender || !p->ep || p->removing ||
		    (p->status != PART_CONNECTED && p->status != PART_ON_HOLD))
			continue;
		if (ops && ops->message && !ops->message(p, m, c->cs->ops_arg))
			(*sentp)++;
	}
	m->sender = NULL;            /* only meaningful during the fan-out */
	return 0;
}

const struct list *conf_messages(const struct conf *c)
{
	return &c->msgs;
}
