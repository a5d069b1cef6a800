/* log.h - leveled logging to stderr with syslog priority prefixes.
 *
 * Each line is "<N>message" where N is the syslog priority, the form
 * journald and s6/runit log collectors understand. Thread-safe: a line is
 * written with a single write(2). When log_use_syslog() has been called
 * (daemonised without a log file) lines go to syslog(3) instead. */
#ifndef SPAND_LOG_H
#define SPAND_LOG_H

#include <syslog.h>

/* Set the most verbose priority that is still written (LOG_ERR..LOG_DEBUG). */
void log_set_level(int level);
int log_get_level(void);
/* Parse "error", "warning", "notice", "info" or "debug"; -1 if unknown. */
int log_level_parse(const char *name);
const char *log_level_name(int level);
void log_use_syslog(const char *ident);
void log_msg(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
