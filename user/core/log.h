/*
 * The agent's log, kept below every folder because the reconciler and cluster mode write to it
 * too: one line per event on stderr, with a UTC time and a level. A sink (the event stream) may
 * get each line too.
 */
#ifndef CBPF_CORE_LOG_H
#define CBPF_CORE_LOG_H

enum agent_log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Parses error|warn|info|debug; -EINVAL otherwise. */
int agent_log_set_level(const char *name);
void agent_log(enum agent_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *agent_log_level_name(enum agent_log_level level);

/*
 * Every line written from now on is also given to fn (time as "2026-11-27T17:50:01.123Z"); fn
 * must not log. NULL stops it, once no call of the old sink is left running.
 */
typedef void (*agent_log_sink)(void *arg, enum agent_log_level level, const char *time,
			       const char *message);
void agent_log_set_sink(agent_log_sink fn, void *arg);

#endif
