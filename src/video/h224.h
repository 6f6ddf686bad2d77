/*
 * Far-end camera control: H.281 messages in H.224 frames carried over
 * RTP (RFC 4573; h224.c). An RTP payload is one H.224 frame without the
 * HDLC flags, bit stuffing and CRC: the Q.922 address and control
 * octets, the H.224 client header (destination and source terminal
 * addresses, client id, segmentation) and the client's data; FECC is
 * client id 0x01 (H.281: start/continue/stop an action with pan, tilt,
 * zoom, focus; select a video source; store and activate presets). Pure
 * functions: any thread; the parser takes hostile input
 * (tests/fuzz/fuzz_h224.c).
 */
#ifndef CAUCUS_H224_H
#define CAUCUS_H224_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct re_printf;

enum h224_action {
	H224_START = 1, H224_CONTINUE = 2, H224_STOP = 3,
	H224_SELECT_SOURCE = 4, H224_SOURCE_SWITCHED = 5,
	H224_STORE_PRESET = 7, H224_ACTIVATE_PRESET = 8,
};

struct h224_fecc {
	enum h224_action action;
	/* start, continue, stop: -1, 0 or +1 each: pan left/right, tilt
	 * down/up, zoom out/in, focus out/in */
	int8_t pan, tilt, zoom, focus;
	uint8_t timeout;        /* start: in 50 ms units (0: 800 ms) */
	uint8_t preset;         /* store/activate preset: 0 to 15 */
	uint8_t source;         /* select/switched: video source 0 to 15 */
	uint16_t dst, src;      /* H.224 terminal addresses */
};

/* 0; EBADMSG: not a well formed H.224 frame; ENOTSUP: another client
 * (not FECC) or an H.281 message this does not know */
int    h224_parse(const uint8_t *buf, size_t len, struct h224_fecc *f);
/* The frame's length, 0 when cap is too small or f is invalid */
size_t h224_build(uint8_t *buf, size_t cap, const struct h224_fecc *f);
/* An action by name, as the API and tools say it: "pan_left",
 * "pan_right", "tilt_up", "tilt_down", "zoom_in", "zoom_out",
 * "focus_in", "focus_out", "stop", "preset" (activate n), "store_preset"
 * (n), "source" (n); EINVAL otherwise */
int    h224_action_parse(struct h224_fecc *f, const char *name, unsigned n);
/* The action as such a name (with its number) */
int    h224_print(struct re_printf *pf, const struct h224_fecc *f);

#endif
