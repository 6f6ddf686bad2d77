/* Structured logging, see log.h. Any thread. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "util/log.h"

static enum log_level cur_level = LOG_INFO;
static const char *names[] = {"error", "warn", "info", "debug"};

int log_level_parse(const char *name, enum log_level *lvl)
{
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(name, names[i])) {
			*lvl = (enum log_level)i;
			return 0;
		}
	}
	return 22; /* EINVAL */
}

void log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}

bool log_enabled(enum log_level lvl)
{
	return lvl <= cur_level;
}

void log_msg(enum log_level lvl, const char *mod, const char *fmt, ...)
{
	char line[1024], ts[40];
	struct timespec now;
	struct tm tm;
	va_list ap;
	int n;

	if (!log_enabled(lvl))
		return;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "ts=%s.%03ldZ lvl=%s mod=%s ", ts,
		     now.tv_nsec / 1000000, names[lvl], mod);
	va_start(ap, fmt);
	re_vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}
