#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "agent/log.h"

static const char *const level_names[] = {"error", "warn", "info", "debug"};
static enum agent_log_level threshold = LOG_LVL_INFO;

int agent_log_set_level(const char *name)
{
	for (unsigned int i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (!strcmp(name, level_names[i])) {
			threshold = i;
			return 0;
		}
	return -EINVAL;
}

void agent_log(enum agent_log_level level, const char *fmt, ...)
{
	char stamp[32], line[1024];
	struct timeval tv;
	struct tm tm;
	va_list ap;

	if (level > threshold)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line, so lines of several threads do not interleave. */
	fprintf(stderr, "%s.%03ldZ %-5s cbpfnet daemon: %s\n", stamp, (long)tv.tv_usec / 1000,
		level_names[level], line);
}
