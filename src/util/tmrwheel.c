/*
 * libre's timers in a timing wheel (issue 22: signalling at scale).
 *
 * Why: libre 1.1.0 keeps one sorted list of timers per thread, and
 * tmr_start() finds a timer's place by walking back from the tail past
 * every timer that expires later. Each call leaves libre's 32 s timers
 * behind (64*T1: the INVITE server transaction after its 2xx, the BYE's
 * Timer J over UDP), so at 1,000 calls a second some 64,000 timers wait
 * in the list, and every short one (the 2xx retransmission at 500 ms,
 * each INVITE) walks past all of them: list_apply was 64 % of the
 * signalling thread and calls failed from 800 a second up. We cannot
 * patch libre (Debian's package), but libre.so reaches its timer
 * functions through its PLT, so the ones defined here, linked into the
 * executable, take their place for libre's own timers and ours alike.
 *
 * How: slots of 1 ms, TMRWHEEL_SLOTS of them, each an unsorted FIFO list
 * of the timers due at a jiffy of that slot (modulo the rotation), and a
 * bitmap of the slots that may hold timers. Starting or cancelling a
 * timer is O(1); a poll visits the slots from the last poll to now;
 * timers due further than one rotation away stay in their slot, passed
 * over once a rotation. Timers fire in the order of their due time, and
 * of their start for the same time, as libre's list fires them. A timer
 * started for a time the poll has already passed (delay 0 from a
 * handler, most often) waits in the ready list for the end of this poll.
 * libre's struct tmr is used as it is (its list element, jfs, th, arg),
 * so tmr_isrunning() and tmr_get_expire() from libre still work.
 *
 * One wheel per libre timer list (tmrl_get(): one per re_thread_init'd
 * thread, else the global one), so timers stay with the loop libre would
 * have put them on. Thread: as libre's timers, the loop's own.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "util/tmrwheel.h"

#define MASK (TMRWHEEL_SLOTS - 1)
#define WORDS (TMRWHEEL_SLOTS / 64)
#define MAX_WHEELS 32

struct wheel {
	const struct list *key;      /* libre's timer list of that loop */
	uint64_t cur;                /* the first jiffy not yet polled */
	uint32_t count;
	struct list ready;           /* due before cur: fire at the poll */
	uint64_t bits[WORDS];        /* slots that may hold timers */
	struct list slot[TMRWHEEL_SLOTS];
};

/* libre's: the timer list of the calling thread's loop */
extern struct list *tmrl_get(void);

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct wheel *reg[MAX_WHEELS];
static __thread struct wheel *last;

/* the wheel of a libre timer list, made on first use; NULL only when
 * out of memory (then libre's timers stop: it is logged to stderr) */
static struct wheel *wheel_of(const struct list *key)
{
	struct wheel *w = NULL;

	if (last && last->key == key)
		return last;
	pthread_mutex_lock(&reg_lock);
	for (size_t i = 0; i < MAX_WHEELS && reg[i]; i++) {
		if (reg[i]->key == key) {
			w = reg[i];
			break;
		}
	}
	for (size_t i = 0; !w && i < MAX_WHEELS; i++) {
		if (reg[i])
			continue;
		w = calloc(1, sizeof(*w));
		if (w) {
			w->key = key;
			w->cur = tmr_jiffies();
			reg[i] = w;
		}
		break;
	}
	pthread_mutex_unlock(&reg_lock);
	if (!w)
		(void)re_fprintf(stderr, "tmrwheel: no wheel for a timer "
				 "list: timers lost\n");
	last = w;
	return w;
}

/* the clock (gettimeofday, as libre's) went back: poll from now again;
 * slots re-polled fire only what is due */
static void rebase(struct wheel *w, uint64_t now)
{
	if (now + 1 < w->cur)
		w->cur = now + 1;
}

static void unlink_timer(struct wheel *w, struct tmr *tmr)
{
	list_unlink(&tmr->le);
	if (w && w->count)
		w->count--;
}

void tmr_start(struct tmr *tmr, uint64_t delay, tmr_h *th, void *arg)
{
	struct wheel *w;
	uint64_t now;
	uint32_t s;

	if (!tmr)
		return;
	w = wheel_of(tmrl_get());
	if (tmr->th)
		unlink_timer(w, tmr);
	tmr->th = th;
	tmr->arg = arg;
	if (!th || !w) {
		tmr->th = NULL;
		return;
	}
	now = tmr_jiffies();
	rebase(w, now);
	tmr->jfs = now + delay;
	w->count++;
	if (tmr->jfs < w->cur) {
		list_append(&w->ready, &tmr->le, tmr);
		return;
	}
	s = (uint32_t)(tmr->jfs & MASK);
	list_append(&w->slot[s], &tmr->le, tmr);
	w->bits[s / 64] |= 1ull << (s % 64);
}

void tmr_cancel(struct tmr *tmr)
{
	tmr_start(tmr, 0, NULL, NULL);
}

/* fire the timers of list l in order; a handler may start or cancel any
 * timer, those still in l included (list_unlink follows the element) */
static void fire(struct wheel *w, struct list *l)
{
	struct le *le;

	while ((le = l->head)) {
		struct tmr *tmr = le->data;
		tmr_h *th = tmr->th;
		void *arg = tmr->arg;

		unlink_timer(w, tmr);
		tmr->th = NULL;
		if (th)
			th(arg);
	}
}

/* the next slot at or after jiffy from that may hold timers, as a
 * jiffy, up to limit (inclusive); false when none */
static bool next_slot(const struct wheel *w, uint64_t from, uint64_t limit,
		      uint64_t *jfs)
{
	uint32_t s = (uint32_t)(from & MASK);
	uint64_t span = limit - from;  /* limit >= from, span < SLOTS */
	uint64_t off = 0;

	while (off <= span) {
		uint32_t i = (s + (uint32_t)off) & MASK;
		uint64_t word = w->bits[i / 64] >> (i % 64);

		if (word) {
			off += (uint64_t)__builtin_ctzll(word);
			if (off > span)
				return false;
			*jfs = from + off;
			return true;
		}
		off += 64 - (i % 64);
	}
	return false;
}

/* the timers of list from appended to list to, in their order */
static void move_all(struct list *to, struct list *from)
{
	struct le *le;

	while ((le = from->head)) {
		list_unlink(le);
		list_append(to, le, le->data);
	}
}

/* the timers of slot s due by now, moved to l in their order */
static void take_due(struct wheel *w, uint32_t s, uint64_t now,
		     struct list *l)
{
	struct le *le = w->slot[s].head;

	while (le) {
		struct tmr *tmr = le->data;

		le = le->next;
		if (tmr->jfs > now)
			continue;
		list_unlink(&tmr->le);
		list_append(l, &tmr->le, tmr);
	}
	if (!w->slot[s].head)
		w->bits[s / 64] &= ~(1ull << (s % 64));
}

void tmr_poll(struct list *tmrl)
{
	struct wheel *w = wheel_of(tmrl);
	struct list due = LIST_INIT;
	uint64_t now = tmr_jiffies(), jfs;

	if (!w)
		return;
	rebase(w, now);
	move_all(&due, &w->ready);
	fire(w, &due);
	/* after a stall of a rotation or more, each slot once: what is
	 * due is found by its time, not by its slot */
	if (now >= w->cur + TMRWHEEL_SLOTS)
		w->cur = now - MASK;
	while (w->cur <= now && next_slot(w, w->cur, now, &jfs)) {
		w->cur = jfs + 1;
		take_due(w, (uint32_t)(jfs & MASK), now, &due);
		fire(w, &due);
	}
	if (w->cur <= now)
		w->cur = now + 1;
	/* started by the handlers above for a time already polled */
	move_all(&due, &w->ready);
	fire(w, &due);
}

uint64_t tmr_next_timeout(struct list *tmrl)
{
	struct wheel *w = wheel_of(tmrl);
	uint64_t now = tmr_jiffies(), jfs;

	if (!w || !w->count)
		return 0;
	if (w->ready.head)
		return 1;
	/* the first slot that may hold a timer: an early wake-up at worst
	 * (its timers may be a rotation away) */
	if (!next_slot(w, w->cur, w->cur + MASK, &jfs))
		return TMRWHEEL_SLOTS;
	return jfs > now ? jfs - now : 1;
}

static int print_list(struct re_printf *pf, const struct list *l)
{
	int err = 0;

	for (struct le *le = l->head; le; le = le->next) {
		const struct tmr *tmr = le->data;

		err |= re_hprintf(pf, "  %p: th=%p expire=%llums\n", tmr,
				  tmr->th, (unsigned long long)
				  tmr_get_expire(tmr));
	}
	return err;
}

int tmr_status(struct re_printf *pf, void *unused)
{
	struct wheel *w = wheel_of(tmrl_get());
	int err;

	(void)unused;
	if (!w || !w->count)
		return 0;
	err = re_hprintf(pf, "Timers (%u):\n", w->count);
	err |= print_list(pf, &w->ready);
	for (uint32_t s = 0; s < TMRWHEEL_SLOTS; s++) {
		if (w->bits[s / 64] & (1ull << (s % 64)))
			err |= print_list(pf, &w->slot[s]);
	}
	return err;
}

void tmr_debug(void)
{
	struct wheel *w = wheel_of(tmrl_get());

	if (w && w->count)
		(void)re_fprintf(stderr, "%H", tmr_status, NULL);
}

uint32_t tmrwheel_count(void)
{
	struct wheel *w = wheel_of(tmrl_get());

	return w ? w->count : 0;
}

bool tmrwheel_active(void)
{
	/* what libre.so's PLT binds tmr_start to */
	return dlsym(RTLD_DEFAULT, "tmr_start") == (void *)tmr_start;
}
