/* The agent's log: one line per event on stderr, with a UTC time and a level. */
#ifndef CBPF_AGENT_LOG_H
#define CBPF_AGENT_LOG_H

enum agent_log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Parses error|warn|info|debug; -EINVAL otherwise. */
int agent_log_set_level(const char *name);
void agent_log(enum agent_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
