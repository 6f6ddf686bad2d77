/*
 * The settings table: each setting's caucus.conf key (the flag is
 * --key with '-'), where it goes in struct config, its default, bounds
 * and the help that --help and caucus.conf.sample print.
 */
#include <stddef.h>
#include "main/config.h"
#include "main/config_int.h"

#define S(f) OPT_STR, offsetof(struct config, f), \
	sizeof(((struct config *)0)->f)
#define U(f) OPT_U32, offsetof(struct config, f), 0

const struct opt config_opts[] = {
	{"sip_addr", S(sip_addr), "127.0.0.1", 0, 0,
	 "address SIP listens on"},
	{"sip_port", U(sip_port), "5060", 1, 65535, "SIP port (UDP and TCP)"},
	{"sip_transports", S(sip_transports), "udp,tcp", 0, 0,
	 "comma list of udp, tcp, tls"},
	{"sip_tls_port", U(sip_tls_port), "5061", 1, 65535,
	 "SIP over TLS port (sips:), when sip_transports has tls"},
	{"tls_cert", S(tls_cert), "", 0, 0,
	 "PEM file with the TLS certificate chain and its private key, for "
	 "SIP over TLS and https (SIP: empty makes a self-signed one at "
	 "each start)"},
	{"http_tls", U(http_tls), "0", 0, 1,
	 "1: the HTTP API and console over TLS (https), with tls_cert"},
	{"domain", S(domain), "", 0, 0,
	 "domain of conference URIs (default: sip_addr)"},
	{"http_addr", S(http_addr), "127.0.0.1", 0, 0,
	 "address the HTTP API listens on"},
	{"http_port", U(http_port), "8080", 1, 65535, "HTTP API port"},
	{"db", S(db), "./var/caucus.db", 0, 0,
	 "the policy store: a SQLite file, or a postgresql:// URI (a "
	 "cluster's shared store, docs/scale.md)"},
	{"prompts_dir", S(prompts_dir), "", 0, 0,
	 "folder of prompt files (<dir>/<language>/<name>.wav or .ogg, "
	 "then <dir>/<name>.*) that replace the built-in spoken prompts "
	 "(docs/applications.md); empty: the built-in ones only"},
	{"recordings_dir", S(recordings_dir), "", 0, 0,
	 "where recordings go (<dir>/<conference>/<id>.ogg); empty: "
	 "'recordings' beside the db"},
	{"operator_uri", S(operator_uri), "", 0, 0,
	 "SIP URI the keypad's operator key dials into the conference "
	 "(empty: none)"},
	{"lobby_user", S(lobby_user), "", 0, 0,
	 "the dial-in lobby: sip:<lobby_user>@<domain> asks callers for a "
	 "conference's number (its id) and moves them there (then its PIN), "
	 "one number for every conference; empty: none"},
	{"pin_timeout_s", U(pin_timeout_s), "20", 5, 300,
	 "seconds a caller has to key a conference PIN"},
	{"pin_tries", U(pin_tries), "3", 1, 10,
	 "wrong PINs before the caller hears goodbye"},
	{"rtp_addr", S(rtp_addr), "", 0, 0,
	 "address for RTP (default: sip_addr)"},
	{"rtp_port_min", U(rtp_port_min), "20000", 1024, 65534,
	 "lowest RTP port"},
	{"rtp_port_max", U(rtp_port_max), "39999", 1025, 65535,
	 "highest RTP port"},
	{"rtp_sockets", S(rtp_sockets), "per-call", 0, 0,
	 "per-call: each call has its own RTP/RTCP port pair from the "
	 "range; per-thread: mixer thread i has one pair, rtp_port_min + 2i, "
	 "for all its calls, demultiplexed by source address and SSRC and "
	 "read and sent in batches (cheaper; a caller must send from the "
	 "address its SDP gives, or its host's, unless it is the only one "
	 "on the thread not yet heard)"},
	{"rtp_io", S(rtp_io), "uring", 0, 0,
	 "with per-call sockets: uring reads and sends every call's RTP in "
	 "batches through an io_uring per mixer thread where the kernel "
	 "allows it (a system call a packet where it does not, said at the "
	 "start); syscalls: a system call a packet always"},
	{"mixer_threads", U(mixer_threads), "0", 0, 64,
	 "mixer threads (0: one per core)"},
	{"video_threads", U(video_threads), "1", 0, 16,
	 "video forwarding threads (0: no video, every video stream is "
	 "answered with port 0); a composed conference has a thread of its "
	 "own besides"},
	{"jitter_ms", U(jitter_ms), "40", 20, 400,
	 "the jitter buffer's least playout delay (it waits longer when a "
	 "stream's jitter or late packets ask for it, up to 200 ms or this)"},
	{"mixer_rate", U(mixer_rate), "16000", 8000, 48000,
	 "the highest rate a conference mixes at unless it names one: "
	 "8000, 16000 or 48000 Hz. Below it each room follows its callers, "
	 "at the highest rate their codecs carry (G.711 8000, G.722 "
	 "16000, Opus 48000), changing as they come and go; streams at "
	 "other rates are resampled"},
	{"mixer_max_speakers", U(mixer_max_speakers), "4", 1, 16,
	 "the K loudest talkers mixed in each conference; everyone else "
	 "hears one shared mix, encoded once"},
	{"log_level", S(log_level), "info", 0, 0, "error, warn, info, debug"},
	{"demo", S(demo), "", 0, 0,
	 "create this conference at startup if it is missing"},
	{"api_max_body", U(api_max_body), "65536", 256, 16777216,
	 "largest HTTP request body in bytes"},
	{"web_root", S(web_root), "", 0, 0,
	 "folder of the web console files (default: found from where "
	 "caucusd is: PREFIX/share/caucus/web when installed, the "
	 "checkout's web/ in a build folder)"},
	{"notify_interval_ms", U(notify_interval_ms), "250", 0, 60000,
	 "least time between two NOTIFYs to one subscriber"},
	{"notify_min_expires", U(notify_min_expires), "60", 1, 3600,
	 "shortest subscription granted, seconds (423 below)"},
	{"admin_token", S(admin_token), "", 0, 0,
	 "bearer token the HTTP API requires (needed beyond loopback)"},
	{"sip_realm", S(sip_realm), "", 0, 0,
	 "SIP digest realm (default: the domain); users' passwords are "
	 "stored for it"},
	{"sip_digest_algorithms", S(sip_digest_algorithms), "SHA-256,MD5", 0,
	 0, "digest challenges, preferred first: SHA-256,MD5 (RFC 8760), "
	 "MD5,SHA-256 (for phones that read only the first), SHA-256 or "
	 "MD5"},
	{"nonce_ttl_s", U(nonce_ttl_s), "300", 10, 86400,
	 "how long a SIP digest nonce is good (then stale=true)"},
	{"factory_user", S(factory_user), "conference-factory", 0, 0,
	 "user part of the conference factory URI (RFC 4579); empty: none"},
	{"session_expires_s", U(session_expires_s), "1800", 0, 86400,
	 "RFC 4028 session interval granted when asked (0: no timers)"},
	{"session_min_se_s", U(session_min_se_s), "90", 1, 86400,
	 "shortest session interval accepted (422 below; RFC 4028: 90)"},
	{"moderation_timeout_s", U(moderation_timeout_s), "120", 0, 86400,
	 "a join waiting for a moderator is rejected after (0: never)"},
	{"moderation_answer", S(moderation_answer), "answer", 0, 0,
	 "how a join waiting for a moderator hears music on hold: answer "
	 "(an answered call) or early (183 early media; 200 on approval, 403 "
	 "on refusal)"},
	{"rtp_timeout_s", U(rtp_timeout_s), "60", 0, 3600,
	 "hang up a call that sent no RTP for this long (0: never)"},
	{"shutdown_ms", U(shutdown_ms), "2000", 0, 60000,
	 "how long shutdown waits for BYE transactions"},
	{"sip_rate_per_s", U(sip_rate_per_s), "50", 0, 1000000,
	 "SIP requests a second from one address, sustained; past it 503 "
	 "with Retry-After, then silence (0: no limit)"},
	{"sip_burst", U(sip_burst), "200", 1, 1000000,
	 "SIP requests at once from one address"},
	{"api_rate_per_s", U(api_rate_per_s), "50", 0, 1000000,
	 "HTTP API requests a second from one address, sustained; past it "
	 "429 (0: no limit)"},
	{"api_burst", U(api_burst), "200", 1, 1000000,
	 "HTTP API requests at once from one address"},
	{"block_after_refusals", U(block_after_refusals), "20", 0, 1000000,
	 "an address that earns this many refusals that tell a scanner "
	 "something (404, 403; API 401 too) within block_window_s is blocked "
	 "(0: never)"},
	{"block_window_s", U(block_window_s), "60", 1, 86400,
	 "the window of block_after_refusals"},
	{"block_s", U(block_s), "600", 1, 604800,
	 "how long a blocked address gets nothing (logged once: src=ADDR)"},
	{"max_calls_per_source", U(max_calls_per_source), "200", 0, 1000000,
	 "calls from one address at once (503 past it; 0: no limit)"},
	{"max_subscriptions_per_source", U(max_subscriptions_per_source),
	 "200", 0, 1000000,
	 "conference subscriptions from one address at once (0: no limit)"},
	{"max_connections_per_source", U(max_connections_per_source), "64", 0,
	 1000000, "TCP and TLS connections (SIP and HTTP) from one address "
	 "at once (0: no limit)"},
	{"max_call_rate", U(max_call_rate), "0", 0, 1000000,
	 "new calls a second at most, over all sources; past it, and "
	 "whenever the signalling thread falls behind, 503 (overloaded) with "
	 "Retry-After (0: by load only)"},
	{"max_subscribe_rate", U(max_subscribe_rate), "0", 0, 1000000,
	 "new conference subscriptions (and fetches) a second at most, over "
	 "all sources; past it, and whenever the signalling thread falls "
	 "behind, 503 (overloaded) with Retry-After (0: by load only)"},
	{"bfcp_port", S(bfcp_port), "auto", 0, 0,
	 "the BFCP floor control server's port, UDP and TCP (docs/floor.md): "
	 "auto is sip_port + 2; 0 turns BFCP off"},
	{"limits_exempt", S(limits_exempt), "", 0, 0,
	 "addresses no per-source limit applies to, as address/bits, comma "
	 "separated (an SBC or a proxy in front)"},
	{"node", S(node), "", 0, 0,
	 "this node's name in a cluster ([A-Za-z0-9_-], up to 32; needs a "
	 "postgresql:// db shared by the nodes); empty: one server alone"},
	{"cluster_capacity", U(cluster_capacity), "500", 1, 1000000,
	 "participants this node takes before Kamailio sends new joins of "
	 "its conferences to other nodes (cascading)"},
	{"cluster_proxies", S(cluster_proxies), "", 0, 0,
	 "proxies in front (Kamailio), as address/bits, comma separated: a "
	 "request from one is counted against the caller's address its Via "
	 "records (received, rport), and they are exempt from the limits"},
	{"role", S(role), "one", 0, 0,
	 "one: everything in this process; focus: signalling, policy, "
	 "notification and the API, the media on the mixer processes of "
	 "mixers (RFC 6230/6505, docs/mscp.md); mixer: media only, for the "
	 "focuses of focus_allow"},
	{"mixers", S(mixers), "", 0, 0,
	 "role focus: the mixer processes' SIP addresses, host:port, comma "
	 "separated (at most 16)"},
	{"mixer_pool", U(mixer_pool), "16", 1, 1000,
	 "role focus: media connections kept ready on each mixer (a join "
	 "takes one at once)"},
	{"focus_allow", S(focus_allow), "127.0.0.1", 0, 0,
	 "role mixer: IP addresses of the focuses whose INVITEs it takes, "
	 "comma separated (at most 16); others get 403"},
	{"control_addr", S(control_addr), "", 0, 0,
	 "role mixer: address the control channels (RFC 6230) listen on "
	 "(default: sip_addr)"},
};

const size_t config_nopts = sizeof(config_opts) / sizeof(config_opts[0]);
