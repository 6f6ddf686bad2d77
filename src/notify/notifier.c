/*
 * The notifier: the conference event package's subscriptions as a whole
 * (sub.c, sub_in.c), its life, its gate and its statistics. Signalling
 * thread.
 */
#include <errno.h>
#include "notify/sub_int.h"

void notifier_terminate_all(struct notifier *n)
{
	struct le *le = n->subs.head;

	/* the server is going away: say so, as for a destroyed conference */
	while (le) {
		struct nsub *s = le->data;

		le = le->next;
		sub_end(s, END_NORESOURCE);
	}
}

static void notifier_destructor(void *arg)
{
	struct notifier *n = arg;

	tmr_cancel(&n->tmr);
	tmr_cancel(&n->exp_tmr);
	confs_remove_change_handler(n->confs, sub_conf_changed, n);
	list_flush(&n->subs);          /* before the limits they give back */
	list_flush(&n->renders);
	mem_deref(n->lsnr);
	mem_deref(n->limit);
}

int notifier_alloc(struct notifier **np, struct sip *sip, struct confs *cs,
		   const struct sa *laddr, uint32_t interval_ms,
		   uint32_t min_expires)
{
	struct notifier *n = mem_zalloc(sizeof(*n), notifier_destructor);
	int err;

	if (!n)
		return ENOMEM;
	n->sip = sip;
	n->confs = cs;
	n->laddr = laddr;
	n->interval_ms = interval_ms;
	n->min_expires = min_expires ? min_expires : 1;
	tmr_init(&n->tmr);
	tmr_init(&n->exp_tmr);
	err = sip_listen(&n->lsnr, sip, true, sub_subscribe_handler, n);
	if (err) {
		mem_deref(n);
		return err;
	}
	err = confs_add_change_handler(cs, sub_conf_changed, n);
	if (err) {
		mem_deref(n);
		return err;
	}
	*np = n;
	return 0;
}

void notifier_set_contact(struct notifier *n, notify_contact_h *h,
			  void *arg)
{
	n->contacth = h;
	n->contact_arg = arg;
}

void notifier_set_limit(struct notifier *n, struct srclimit *sl)
{
	mem_deref(n->limit);
	n->limit = mem_ref(sl);
}

void notifier_set_gate(struct notifier *n, notify_gate_h *h, void *arg)
{
	n->gateh = h;
	n->gate_arg = arg;
}

void notifier_set_admit(struct notifier *n, notify_admit_h *h, void *arg)
{
	n->admith = h;
	n->admit_arg = arg;
}

unsigned notifier_count(const struct notifier *n)
{
	return list_count(&n->subs);
}

void notifier_stats(const struct notifier *n, struct notify_stats *st)
{
	uint64_t total = 0, seen = 0;

	*st = n->st;
	st->subscriptions = list_count(&n->subs);
	for (size_t i = 0; i < NOTIFY_DELAY_BUCKETS; i++)
		total += n->delay_hist[i];
	st->delayed = total;
	for (size_t i = 0; total && i < NOTIFY_DELAY_BUCKETS; i++) {
		seen += n->delay_hist[i];
		if (!st->delay_p50_ms && seen * 2 >= total)
			st->delay_p50_ms = (uint32_t)i;
		if (seen * 100 >= total * 99) {
			st->delay_p99_ms = (uint32_t)i;
			break;
		}
	}
	for (size_t i = NOTIFY_DELAY_BUCKETS; i-- > 0;) {
		if (n->delay_hist[i]) {
			st->delay_max_ms = (uint32_t)i;
			break;
		}
	}
}
