/*
 * caucus-loadgen: a leg's media as the two threads hand it over, and
 * which leg a packet is for.
 *
 * Before the media thread starts main.c sets every leg (dst, SRTP, on)
 * and its place in the port map itself. After, a call placed again
 * (--rejoin) is answered from another port, maybe another node: main.c
 * posts the change and the media thread applies it at its next tick, so
 * that it never reads a leg half written and main.c never waits for a
 * tick. The SRTP contexts a leg drops are libre objects, whose reference
 * counts are not thread-safe: they go back to main.c, freed after the
 * media thread ended.
 *
 * The port map says which leg a packet is for by caucusd's address and
 * port: the legs sharing a socket may be served by several nodes, each
 * with port ranges of its own. The LIVE line says, per node, how many
 * legs still get media.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "loadgen.h"

#define NODES_MAX 64
/* a leg that got nothing for this long is dead (caucusd sends every
 * 20 ms, silence included, to a G.711 leg) */
#define DEAD_US 2000000

struct node_ports {
	uint32_t ip;
	int32_t *leg;             /* by port: a leg, or -1 */
};
static struct node_ports nodes[NODES_MAX];
static unsigned nnodes;

struct leg_update {
	unsigned idx;
	bool on;
	struct sockaddr_in dst;
	struct srtp *tx, *rx;
};
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct leg_update *queue;
static size_t nqueue, queue_cap;
static struct srtp **retired;
static float *gaps;               /* outages of the legs placed again, ms */
static size_t ngaps, gaps_cap;
uint64_t lg_t0_us;
static size_t nretired, retired_cap;

static int32_t *ports_of(uint32_t ip, bool make)
{
	for (unsigned i = 0; i < nnodes; i++)
		if (nodes[i].ip == ip)
			return nodes[i].leg;
	if (!make || nnodes == NODES_MAX)
		return NULL;
	nodes[nnodes].leg = malloc(65536 * sizeof(int32_t));
	if (!nodes[nnodes].leg)
		return NULL;
	memset(nodes[nnodes].leg, 0xff, 65536 * sizeof(int32_t));
	nodes[nnodes].ip = ip;
	return nodes[nnodes++].leg;
}

int lg_port_leg(const struct sockaddr_in *a)
{
	int32_t *p = ports_of(a->sin_addr.s_addr, false);

	return p ? p[ntohs(a->sin_port)] : -1;
}

int lg_port_set(const struct sockaddr_in *a, int leg)
{
	int32_t *p = ports_of(a->sin_addr.s_addr, leg >= 0);

	if (p)
		p[ntohs(a->sin_port)] = leg;
	return p || leg < 0 ? 0 : ENOMEM;
}

static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*arr, (*cap ? *cap * 2 : 64) * size);
	if (!p)
		return ENOMEM;
	*arr = p;
	*cap = *cap ? *cap * 2 : 64;
	return 0;
}

int lg_leg_post(struct leg *l, bool on)
{
	int err;

	pthread_mutex_lock(&lock);
	err = grow((void **)&queue, &queue_cap, nqueue, sizeof(*queue));
	if (!err) {
		queue[nqueue++] = (struct leg_update){
			.idx = l->idx, .on = on, .dst = l->next_dst,
			.tx = on ? l->next_tx : NULL,
			.rx = on ? l->next_rx : NULL};
		if (on)
			l->next_tx = l->next_rx = NULL;
	}
	pthread_mutex_unlock(&lock);
	return err;
}

static void retire(struct srtp *s)
{
	if (!s)
		return;
	/* on failure the context leaks until exit: better than freeing
	 * it on this thread */
	if (!grow((void **)&retired, &retired_cap, nretired,
		  sizeof(*retired)))
		retired[nretired++] = s;
}

static void apply(const struct leg_update *u, uint64_t now_us)
{
	struct leg *l = &legs[u->idx];

	if (l->on && lg_port_leg(&l->dst) == (int)u->idx)
		(void)lg_port_set(&l->dst, -1);
	if (u->on) {
		retire(l->srtp_tx);
		retire(l->srtp_rx);
		l->srtp_tx = u->tx;
		l->srtp_rx = u->rx;
		l->dst = u->dst;
		(void)lg_port_set(&l->dst, (int)u->idx);
		/* a new call: caucusd's stream starts over; the outage
		 * runs from the old one's last packet to the new one's
		 * first */
		if (l->joined && !l->gap_from_us)
			l->gap_from_us = atomic_load_explicit(
				&l->last_rx_us, memory_order_relaxed);
		memset(&l->rx, 0, sizeof(l->rx));
		tones_leg_reset(l);
		atomic_store_explicit(&l->last_rx_us, now_us,
				      memory_order_relaxed);
	}
	l->on = u->on;
}

void lg_leg_rx(struct leg *l, uint64_t now_us)
{
	atomic_store_explicit(&l->last_rx_us, now_us, memory_order_relaxed);
	if (!l->gap_from_us)
		return;
	if (!grow((void **)&gaps, &gaps_cap, ngaps, sizeof(*gaps)))
		gaps[ngaps++] = (float)(now_us - l->gap_from_us) / 1000.0f;
	l->gap_from_us = 0;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

void lg_legs_apply(uint64_t now_us)
{
	/* a try: with nothing queued (almost every tick) the lock is free,
	 * and a tick never waits for main.c */
	if (pthread_mutex_trylock(&lock))
		return;
	for (size_t i = 0; i < nqueue; i++)
		apply(&queue[i], now_us);
	nqueue = 0;
	pthread_mutex_unlock(&lock);
}

void lg_legs_close(void)
{
	for (size_t i = 0; i < nqueue; i++) {
		mem_deref(queue[i].tx);
		mem_deref(queue[i].rx);
	}
	for (size_t i = 0; i < nretired; i++)
		mem_deref(retired[i]);
	free(queue);
	free(retired);
	free(gaps);
	gaps = NULL;
	ngaps = gaps_cap = 0;
	queue = NULL;
	retired = NULL;
	nqueue = nretired = queue_cap = retired_cap = 0;
	for (unsigned i = 0; i < nnodes; i++)
		free(nodes[i].leg);
	nnodes = 0;
}

/* LIVE t=S (since all were in) legs=N live=L dead=D rejoined=R
 * nodes=IP:legs/dead,...: the legs that joined at the start, by the node
 * that serves them now ("-": none, the call ended and is not placed again
 * yet), and how long the legs placed again went without media (from the
 * old call's last packet to the new one's first: the outage their users
 * would hear) */
void lg_live_report(uint64_t now_us)
{
	uint32_t ip[NODES_MAX + 1];
	unsigned n[NODES_MAX + 1] = {0}, dead[NODES_MAX + 1] = {0};
	unsigned nip = 0, legs_n = 0, dead_n = 0;
	char line[4096], a[INET_ADDRSTRLEN];
	size_t used;

	for (unsigned i = 0; i < o.n; i++) {
		const struct leg *l = &legs[i];
		uint64_t last = atomic_load_explicit(&l->last_rx_us,
						     memory_order_relaxed);
		uint32_t key = l->on ? l->dst.sin_addr.s_addr : 0;
		bool d = !l->on || now_us > last + DEAD_US;
		unsigned j;

		if (!l->joined)
			continue;
		for (j = 0; j < nip && ip[j] != key; j++)
			;
		if (j == nip && nip <= NODES_MAX)
			ip[nip++] = key;
		if (j > NODES_MAX)
			j = NODES_MAX;
		n[j]++;
		dead[j] += d;
		legs_n++;
		dead_n += d;
	}
	/* (sorted in place: later ones are added at the end; none yet:
	 * gaps may be NULL, which qsort may not be given) */
	if (ngaps)
		qsort(gaps, ngaps, sizeof(*gaps), cmp_float);
	used = (size_t)snprintf(line, sizeof(line), "LIVE t=%.1f legs=%u "
				"live=%u dead=%u rejoined=%u retries=%u "
				"gap_p50_ms=%.0f gap_max_ms=%.0f nodes=",
				(double)(now_us - lg_t0_us) / 1e6, legs_n,
				legs_n - dead_n, dead_n,
				atomic_load(&rejoined),
				atomic_load(&rejoin_retries),
				ngaps ? gaps[ngaps / 2] : 0,
				ngaps ? gaps[ngaps - 1] : 0);
	for (unsigned j = 0; j < nip && used + 40 < sizeof(line); j++) {
		struct in_addr ia = {.s_addr = ip[j]};

		used += (size_t)snprintf(line + used, sizeof(line) - used,
			"%s%s:%u/%u", j ? "," : "", ip[j] ?
			inet_ntop(AF_INET, &ia, a, sizeof(a)) : "-", n[j],
			dead[j]);
	}
	printf("%s\n", line);
	fflush(stdout);
}
