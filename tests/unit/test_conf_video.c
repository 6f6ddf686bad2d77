/* A conference's video (conf/conf_video.c): its settings checked, stored
 * and reloaded; who is shown, following the talker detector steadily
 * (talk_ms of talking before, hold_ms shown at least, no blips, no
 * audio-only talkers); the order the forwarder gets (pinned, floor
 * holders, speaker, earlier speakers, the rest); a speaker who leaves;
 * the camera policy. The SIP side is a recorder of the actions asked for;
 * time is libre's own clock, driven by its loop. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <re.h>
#include "conf/conf.h"
#include "conf/conf_video.h"
#include "store/store.h"

static char dir[64];
static struct store *st;
static struct confs *cs;
static unsigned videos, reoffers, cameras;
static char last_action[32];

static void rec_hangup(struct participant *p, void *arg)
{
	(void)arg;
	part_set_ep(p, NULL);
	part_gone(p, 0, NULL);
}

static void rec_media(struct participant *p, void *arg)
{
	(void)p;
	(void)arg;
}

static void rec_reoffer(struct participant *p, void *arg)
{
	(void)p;
	(void)arg;
	reoffers++;
}

static void rec_video(struct conf *c, void *arg)
{
	(void)c;
	(void)arg;
	videos++;
}

static int rec_camera(struct participant *p, const char *action, unsigned n,
		      void *arg)
{
	(void)p;
	(void)n;
	(void)arg;
	cameras++;
	snprintf(last_action, sizeof(last_action), "%s", action);
	return 0;
}

static const struct conf_ops ops = {
	.hangup = rec_hangup, .media = rec_media, .reoffer = rec_reoffer,
	.video = rec_video, .camera = rec_camera,
};

static int setup(void **state)
{
	char path[128];
	struct confs_cfg cfg = {.domain = "example.org",
				.http_base = "http://h:1"};

	(void)state;
	videos = reoffers = cameras = 0;
	libre_init();
	snprintf(dir, sizeof(dir), "/tmp/caucus-cvid-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/c.db", dir);
	if (store_open(&st, path) || confs_alloc(&cs, &cfg, st))
		return -1;
	confs_set_ops(cs, &ops, NULL);
	return 0;
}

static int teardown(void **state)
{
	char cmd[96];

	(void)state;
	cs = mem_deref(cs);
	st = mem_deref(st);
	libre_close();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* A caller with a call, with video it sends (or not) */
static struct participant *caller(struct conf *c, const char *uri,
				  bool video)
{
	struct part_new n = {.uri = uri};
	struct part_video v = {.codec = "VP8", .direction = "sendrecv",
			       .sends = true};
	struct participant *p = NULL;

	assert_int_equal(part_add(c, &n, &p), 0);
	part_set_ep(p, &videos);
	part_set_status(p, PART_CONNECTED);
	if (video)
		part_set_video(p, &v);
	return p;
}

/* libre's loop until the speaker shown is want, or limit_ms; returns
 * the time it took */
struct wait {
	struct conf *c;
	const struct participant *want;
	struct tmr poll, limit;
};

static void poll_h(void *arg)
{
	struct wait *w = arg;

	if (conf_video_shown(w->c) == w->want)
		re_cancel();
	else
		tmr_start(&w->poll, 5, poll_h, w);
}

static void limit_h(void *arg)
{
	(void)arg;
	re_cancel();
}

static uint64_t wait_shown(struct conf *c, const struct participant *want,
			   unsigned limit_ms)
{
	struct wait w = {.c = c, .want = want};
	uint64_t t0 = tmr_jiffies();

	tmr_init(&w.poll);
	tmr_init(&w.limit);
	tmr_start(&w.poll, 0, poll_h, &w);
	tmr_start(&w.limit, limit_ms, limit_h, NULL);
	(void)re_main(NULL);
	tmr_cancel(&w.poll);
	tmr_cancel(&w.limit);
	return tmr_jiffies() - t0;
}

static struct conf_video fast(const struct conf *c, uint32_t talk,
			      uint32_t hold)
{
	struct conf_video v = *conf_video(c);

	v.talk_ms = talk;
	v.hold_ms = hold;
	return v;
}

/* Defaults; each member's range refused with its name; stored and
 * reloaded; a new status re-offers everyone, the rest only the room */
static void test_settings(void **state)
{
	struct conf *c = NULL;
	struct confs *cs2 = NULL;
	struct confs_cfg cfg = {.domain = "d", .http_base = "http://h"};
	struct conf_video v;
	char detail[96];

	(void)state;
	assert_int_equal(conf_create(cs, "v1", NULL, &c), 0);
	v = *conf_video(c);
	assert_string_equal(v.status, "sendrecv");
	assert_string_equal(v.mode, "switched");
	assert_string_equal(v.layout, "2x2");
	assert_int_equal(v.width, 640);
	assert_int_equal(v.height, 360);
	assert_int_equal(v.fps, 15);
	assert_int_equal(v.hold_ms, 2000);
	assert_int_equal(v.talk_ms, 1000);
	assert_string_equal(v.camera, "moderators");
#define BAD(member, set) do { \
		struct conf_video b = *conf_video(c); \
		set; \
		assert_int_equal(conf_video_check(&b, detail, \
						  sizeof(detail)), EINVAL); \
		assert_non_null(strstr(detail, member)); \
		assert_int_equal(conf_set_video(c, &b), EINVAL); \
	} while (0)
	BAD("status", strcpy(b.status, "loud"));
	BAD("mode", strcpy(b.mode, "mosaic"));
	BAD("layout", strcpy(b.layout, "4x4"));
	BAD("width", b.width = 641);
	BAD("height", b.height = 4000);
	BAD("fps", b.fps = 0);
	BAD("kbps", b.kbps = 10);
	BAD("hold_ms", b.hold_ms = 70000);
	BAD("talk_ms", b.talk_ms = 50);
	BAD("camera_control", strcpy(b.camera, "all"));
#undef BAD
	caller(c, "sip:a@x", true);
	v = *conf_video(c);
	strcpy(v.mode, "composed");
	strcpy(v.layout, "1+5");
	v.fps = 10;
	strcpy(v.camera, "participants");
	videos = reoffers = 0;
	assert_int_equal(conf_set_video(c, &v), 0);
	assert_int_equal(reoffers, 0);
	assert_true(videos > 0);
	strcpy(v.status, "none");
	assert_int_equal(conf_set_video(c, &v), 0);
	assert_int_equal(reoffers, 1);
	assert_int_equal(confs_alloc(&cs2, &cfg, st), 0);
	assert_int_equal(confs_load(cs2), 0);
	v = *conf_video(confs_lookup(cs2, "v1"));
	assert_string_equal(v.status, "none");
	assert_string_equal(v.mode, "composed");
	assert_string_equal(v.layout, "1+5");
	assert_int_equal(v.fps, 10);
	assert_string_equal(v.camera, "participants");
	mem_deref(cs2);
}

/* The first who sends video is shown at once; a talker after talk_ms,
 * not before; a blip never; an audio-only talker never; the hold */
static void test_speaker(void **state)
{
	struct conf *c = NULL;
	struct participant *a, *b, *d, *mute;
	const struct participant *order[8];
	struct conf_video v;
	uint64_t t;
	uint32_t ver;

	(void)state;
	assert_int_equal(conf_create(cs, "v2", NULL, &c), 0);
	v = fast(c, 300, 0);
	assert_int_equal(conf_set_video(c, &v), 0);
	assert_null(conf_video_shown(c));
	a = caller(c, "sip:a@x", true);
	assert_ptr_equal(conf_video_shown(c), a);
	b = caller(c, "sip:b@x", true);
	d = caller(c, "sip:d@x", true);
	mute = caller(c, "sip:m@x", false);
	assert_ptr_equal(conf_video_shown(c), a);

	/* b talks: shown after 300 ms of talking, not before */
	ver = conf_version(c);
	part_set_talking(b, true);
	assert_ptr_equal(conf_video_shown(c), a);
	t = wait_shown(c, b, 2000);
	assert_ptr_equal(conf_video_shown(c), b);
	assert_true(t >= 290 && t < 600);
	assert_true(conf_version(c) > ver);
	assert_int_equal(conf_video_order(c, order, 8), 3);
	assert_ptr_equal(order[0], b);      /* then who was before */
	assert_ptr_equal(order[1], a);
	assert_ptr_equal(order[2], d);

	/* a blip of d (a cough: talking for less than talk_ms) */
	part_set_talking(d, true);
	(void)wait_shown(c, d, 100);
	part_set_talking(d, false);
	assert_ptr_equal(conf_video_shown(c), b);
	(void)wait_shown(c, d, 500);
	assert_ptr_equal(conf_video_shown(c), b);
	/* someone without video talks: nothing changes */
	part_set_talking(mute, true);
	(void)wait_shown(c, mute, 500);
	assert_ptr_equal(conf_video_shown(c), b);
	part_set_talking(mute, false);

	/* the hold: d talks at once after a switch, shown only once b
	 * has been shown for hold_ms */
	v = fast(c, 200, 1200);
	assert_int_equal(conf_set_video(c, &v), 0);
	part_set_talking(b, false);
	part_set_talking(a, true);
	assert_ptr_equal(conf_video_shown(c), b);   /* b shown long ago */
	(void)wait_shown(c, a, 1500);
	assert_ptr_equal(conf_video_shown(c), a);
	part_set_talking(a, false);
	part_set_talking(d, true);
	t = wait_shown(c, d, 3000);
	assert_ptr_equal(conf_video_shown(c), d);
	assert_true(t >= 1000);
	(void)conf_video_order(c, order, 8);
	assert_ptr_equal(order[0], d);
	assert_ptr_equal(order[1], a);
	assert_ptr_equal(order[2], b);

	/* two talking at once: the one shown, who began first, keeps the
	 * picture until it stops; then the other at once */
	v = fast(c, 200, 300);
	assert_int_equal(conf_set_video(c, &v), 0);
	part_set_talking(d, false);
	part_set_talking(d, true);
	part_set_talking(a, true);
	(void)wait_shown(c, a, 900);
	assert_ptr_equal(conf_video_shown(c), d);
	part_set_talking(d, false);
	assert_ptr_equal(conf_video_shown(c), a);
	part_set_talking(a, false);
}

/* Pinned first, then floor holders, then the speaker; a speaker who
 * leaves gives way to the one before at once; pins of those who leave
 * go */
static void test_order_pin_leave(void **state)
{
	struct conf *c = NULL;
	struct participant *a, *b, *d;
	const struct participant *order[8];
	struct conf_video v;

	(void)state;
	assert_int_equal(conf_create(cs, "v3", NULL, &c), 0);
	v = fast(c, 200, 0);
	assert_int_equal(conf_set_video(c, &v), 0);
	a = caller(c, "sip:a@x", true);
	b = caller(c, "sip:b@x", true);
	d = caller(c, "sip:d@x", true);
	part_set_talking(b, true);
	(void)wait_shown(c, b, 1000);
	part_set_talking(b, false);
	assert_ptr_equal(conf_video_shown(c), b);

	videos = 0;
	conf_video_pin(c, d);
	assert_true(videos > 0);
	assert_ptr_equal(conf_video_pinned(c), d);
	(void)conf_video_order(c, order, 8);
	assert_ptr_equal(order[0], d);
	assert_ptr_equal(order[1], b);
	part_set_floor(a, true);               /* lecture: a has the floor */
	(void)conf_video_order(c, order, 8);
	assert_ptr_equal(order[0], d);
	assert_ptr_equal(order[1], a);
	assert_ptr_equal(order[2], b);
	part_set_floor(a, false);
	conf_video_pin(c, NULL);
	assert_null(conf_video_pinned(c));
	(void)conf_video_order(c, order, 8);
	assert_ptr_equal(order[0], b);

	/* the speaker leaves: the one before it (a, the first shown) */
	conf_video_pin(c, d);
	part_set_ep(b, NULL);
	part_gone(b, 0, NULL);
	assert_ptr_equal(conf_video_shown(c), a);
	part_set_ep(d, NULL);
	part_gone(d, 0, NULL);
	assert_null(conf_video_pinned(c));
	assert_int_equal(conf_video_order(c, order, 8), 1);
	assert_ptr_equal(order[0], a);

	/* someone who is not shown leaves: the forwarder is told the new
	 * order all the same */
	b = caller(c, "sip:b2@x", true);
	videos = 0;
	part_set_ep(b, NULL);
	part_gone(b, 0, NULL);
	(void)wait_shown(c, NULL, 100);
	assert_true(videos > 0);
	assert_int_equal(conf_video_order(c, order, 8), 1);

	/* the speaker's call fails (an RTP timeout): off the screens at
	 * once, though its record stays a while */
	b = caller(c, "sip:b3@x", true);
	part_set_talking(b, true);
	(void)wait_shown(c, b, 1000);
	assert_ptr_equal(conf_video_shown(c), b);
	part_failed(b, 408, "no RTP");
	assert_ptr_equal(conf_video_shown(c), a);
	assert_int_equal(conf_video_order(c, order, 8), 1);
	(void)wait_shown(c, NULL, 300);         /* and it stays so */
	assert_ptr_equal(conf_video_shown(c), a);
}

/* Who may steer whose camera: the policy, the role, a camera control
 * stream there */
static void test_camera(void **state)
{
	struct conf *c = NULL;
	struct participant *a, *b;
	struct part_video pv = {.codec = "VP8", .direction = "sendrecv",
				.sends = true, .fecc = true};
	struct conf_video v;

	(void)state;
	assert_int_equal(conf_create(cs, "v4", NULL, &c), 0);
	a = caller(c, "sip:a@x", true);
	b = caller(c, "sip:b@x", true);
	/* b has no camera control stream yet */
	assert_int_equal(conf_camera(c, NULL, b, "pan_left", 0), ENOENT);
	part_set_video(b, &pv);
	assert_false(conf_camera_allowed(c, a, b));    /* moderators */
	assert_int_equal(conf_camera(c, a, b, "pan_left", 0), EPERM);
	assert_int_equal(conf_camera(c, NULL, b, "zoom_in", 0), 0);
	assert_int_equal(cameras, 1);
	assert_string_equal(last_action, "zoom_in");
	part_set_role(a, "moderator");
	assert_true(conf_camera_allowed(c, a, b));
	v = *conf_video(c);
	strcpy(v.camera, "none");
	assert_int_equal(conf_set_video(c, &v), 0);
	assert_false(conf_camera_allowed(c, a, b));
	assert_int_equal(conf_camera(c, NULL, b, "zoom_in", 0), EPERM);
	strcpy(v.camera, "participants");
	assert_int_equal(conf_set_video(c, &v), 0);
	part_set_role(a, "participant");
	assert_true(conf_camera_allowed(c, a, b));
	assert_false(conf_camera_allowed(c, b, a));    /* a has none */
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_settings), T(test_speaker), T(test_order_pin_leave),
		T(test_camera),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
