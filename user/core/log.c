#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "core/log.h"

static const char *const level_names[] = {"error", "warn", "info", "debug"};
static enum agent_log_level threshold = LOG_LVL_INFO;
static pthread_rwlock_t sink_lock = PTHREAD_RWLOCK_INITIALIZER;
static agent_log_sink sink;
static void *sink_arg;

int agent_log_set_level(const char *name)
{
	for (unsigned int i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (!strcmp(name, level_names[i])) {
			threshold = i;
			return 0;
		}
	return -EINVAL;
}

const char *agent_log_level_name(enum agent_log_level level)
{
	return level_names[level];
}

void agent_log_set_sink(agent_log_sink fn, void *arg)
{
	pthread_rwlock_wrlock(&sink_lock);
	sink = fn;
	sink_arg = arg;
	pthread_rwlock_unlock(&sink_lock);
}

void agent_log(enum agent_log_level level, const char *fmt, ...)
{
	char stamp[40], line[1024];
	struct timeval tv;
	struct tm tm;
	va_list ap;

	if (level > threshold)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp + strlen(stamp), sizeof(stamp) - strlen(stamp), ".%03ldZ",
		 (long)tv.tv_usec / 1000);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line, so lines of several threads do not interleave. */
	fprintf(stderr, "%s %-5s cbpfnet daemon: %s\n", stamp, level_names[level], line);
	pthread_rwlock_rdlock(&sink_lock);
	if (sink)
		sink(sink_arg, level, stamp, line);
	pthread_rwlock_unlock(&sink_lock);
}
