/*
 * Structured logging: one line per event in logfmt
 * (`ts=... lvl=info mod=sip msg="join" conf=demo ...`). Quiet by default:
 * info carries lifecycle events only (start, stop, conference created or
 * destroyed, join, leave). Never log per packet: the mixer keeps counters.
 * Safe from any thread (one fprintf per line, stdio locks the stream).
 */
#ifndef CAUCUS_LOG_H
#define CAUCUS_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

int  log_level_parse(const char *name, enum log_level *lvl);
void log_set_level(enum log_level lvl);
bool log_enabled(enum log_level lvl);
/* fmt is a libre format (re_printf): %r for a struct pl, %J for a
 * struct sa, %m for an errno value, as well as the printf conversions. */
void log_msg(enum log_level lvl, const char *mod, const char *fmt, ...);

#define log_err(mod, ...)  log_msg(LOG_ERROR, mod, __VA_ARGS__)
#define log_warn(mod, ...) log_msg(LOG_WARN, mod, __VA_ARGS__)
#define log_info(mod, ...) log_msg(LOG_INFO, mod, __VA_ARGS__)
#define log_dbg(mod, ...)  log_msg(LOG_DEBUG, mod, __VA_ARGS__)

#endif
