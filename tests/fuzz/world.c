/*
 * The server the SIP and API fuzz targets talk to (world.h): caucusd's
 * modules wired as caucusd wires them, in this process, on loopback:
 * the store in memory, users (alice, with digests), conferences demo
 * (open), mod (moderated) and auth (authentication required), a mixer
 * thread, the focus with its gate and UDP guard, the notifier, the API.
 * No limits: the fuzzer's one address would soon be blocked.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <re.h>
#include "api/api.h"
#include "conf/conf.h"
#include "conf/policy.h"
#include "mixer/mixer.h"
#include "notify/notify.h"
#include "sip/sip.h"
#include "store/store.h"
#include "users/users.h"
#include "util/log.h"
#include "world.h"

static struct {
	struct store *st;
	struct users *users;
	struct confs *cs;
	struct mixer *mx;
	struct focus *f;
	struct notifier *n;
	struct api *api;
	struct tmr tmr;
	bool (*done)(void *arg);
	void *done_arg;
	uint64_t until;
} w;

static uint16_t free_port(int type)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, type, 0);
	uint16_t port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &len))
		__builtin_trap();
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int gate(struct conf *c, const struct sip_msg *msg, bool *mod,
		void *arg)
{
	return focus_gate_subscribe(arg, c, msg, mod);
}

static void mixer_event(const struct mixer_event *ev, void *arg)
{
	(void)arg;
	if (w.f)
		focus_mixer_event(w.f, ev);
}

static void check(void *arg)
{
	(void)arg;
	if (!w.done || w.done(w.done_arg) || tmr_jiffies() >= w.until) {
		re_cancel();
		return;
	}
	tmr_start(&w.tmr, 1, check, NULL);
}

void world_run(bool (*done)(void *arg), void *arg, unsigned max_ms)
{
	w.done = done;
	w.done_arg = arg;
	w.until = tmr_jiffies() + max_ms;
	tmr_start(&w.tmr, 0, check, NULL);
	(void)re_main(NULL);
}

void world_tidy(void)
{
	struct focus_stats st;

	focus_get_stats(w.f, &st);
	if (st.calls_active > WORLD_MAX_CALLS)
		confs_hangup_all(w.cs);
}

static void conferences(void)
{
	struct policy p;
	struct conf *c;
	struct user_new un = {.name = "alice", .password = "wonderland",
			      .aor = "sip:alice@example.com"};
	char detail[128], token[HASHHEX_MAX];
	const struct user *u;

	if (conf_create(w.cs, "demo", "Demo", &c) ||
	    conf_create(w.cs, "mod", "Moderated", &c))
		__builtin_trap();
	policy_default(&p);
	p.default_action = POLICY_MODERATE;
	(void)conf_set_policy(c, &p);
	if (conf_create(w.cs, "auth", "Authenticated", &c))
		__builtin_trap();
	policy_default(&p);
	p.allow_unauthenticated = false;
	(void)conf_set_policy(c, &p);
	(void)users_add(w.users, &un, detail, sizeof(detail), token, &u);
}

int world_start(struct world_ports *wp)
{
	struct confs_cfg ccfg = {.domain = "127.0.0.1",
				 .http_base = "http://127.0.0.1:8080"};
	struct mixer_cfg mcfg = {.threads = 1, .jitter_ms = 40,
				 .max_speakers = 4, .mix_hz = 16000};
	uint16_t port = free_port(SOCK_DGRAM);
	struct api_cfg acfg = {.addr = "127.0.0.1",
			       .port = free_port(SOCK_STREAM),
			       .max_body = 65536, .web_root = "/nonexistent"};
	struct focus_cfg fcfg = {
		.sip_addr = "127.0.0.1", .sip_port = port, .udp = true,
		.rtp_addr = "127.0.0.1", .rtp_port_min = 40000,
		.rtp_port_max = 49999, .rtp_timeout_s = 60,
		.factory_user = "conference-factory",
		.session_expires_s = 1800, .session_min_se_s = 90,
		.moderation_timeout_s = 120, .realm = "127.0.0.1",
		.nonce_ttl_s = 300, .digest_algs = "SHA-256,MD5",
	};
	struct sa laddr;

	log_set_level(LOG_ERROR);
	if (libre_init() || store_open(&w.st, ":memory:") ||
	    users_alloc(&w.users, w.st, "127.0.0.1", "127.0.0.1") ||
	    confs_alloc(&w.cs, &ccfg, w.st))
		__builtin_trap();
	conferences();
	fcfg.users = w.users;
	if (mixer_alloc(&w.mx, &mcfg, mixer_event, NULL) ||
	    focus_alloc(&w.f, &fcfg, w.cs, w.mx))
		__builtin_trap();
	(void)sa_set_str(&laddr, "127.0.0.1", port);
	if (notifier_alloc(&w.n, focus_sip(w.f), w.cs, focus_laddr(w.f), 0,
			   1))
		__builtin_trap();
	notifier_set_gate(w.n, gate, w.f);
	if (focus_start(w.f))
		__builtin_trap();
	acfg.users = w.users;
	if (api_alloc(&w.api, &acfg, w.cs, w.f, w.mx, w.n))
		__builtin_trap();
	tmr_init(&w.tmr);
	world_run(NULL, NULL, 0);       /* the UDP guard's probe */
	wp->sip = port;
	wp->http = acfg.port;
	return 0;
}

