/* log.c - see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static atomic_int log_level = LOG_INFO;
static atomic_int log_syslog = 0;

static const char *const level_names[] = {
    [LOG_EMERG] = "emerg",   [LOG_ALERT] = "alert",   [LOG_CRIT] = "crit",
    [LOG_ERR] = "error",     [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
    [LOG_INFO] = "info",     [LOG_DEBUG] = "debug",
};

void log_set_level(int level)
{
    if (level < LOG_ERR)
        level = LOG_ERR;
    if (level > LOG_DEBUG)
        level = LOG_DEBUG;
    atomic_store(&log_level, level);
}

int log_get_level(void)
{
    return atomic_load(&log_level);
}

int log_level_parse(const char *name)
{
    for (int i = LOG_ERR; i <= LOG_DEBUG; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    if (strcmp(name, "warn") == 0)
        return LOG_WARNING;
    if (strcmp(name, "err") == 0)
        return LOG_ERR;
    return -1;
}

const char *log_level_name(int level)
{
    if (level < 0 || level > LOG_DEBUG)
        return "?";
    return level_names[level];
}

void log_use_syslog(const char *ident)
{
    openlog(ident, LOG_PID, LOG_DAEMON);
    atomic_store(&log_syslog, 1);
}

void log_msg(int prio, const char *fmt, ...)
{
    if (prio > atomic_load(&log_level))
        return;
    char line[2048];
    int off = snprintf(line, sizeof line, "<%d>", prio);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line + off, sizeof line - (size_t)off - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)off + (size_t)n;
    if (len > sizeof line - 2)
        len = sizeof line - 2; /* truncated: long messages keep their head */
    if (atomic_load(&log_syslog)) {
        line[len] = '\0';
        syslog(prio, "%s", line + off);
        return;
    }
    line[len++] = '\n';
    /* One write per line keeps lines from threads whole. */
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
