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
    [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert",     [LOG_CRIT] = "crit",
    [LOG_ERR] = "error",   [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
    [LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
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

/* Copy msg into out (room bytes) with every control character written
 * as \n, \r, \t or \xNN, so that one call is one line whatever the text
 * (a plugin's or a client's) contains: nothing logged can forge a line.
 * Returns the length written (truncated at a whole escape). */
static size_t escape_line(char *out, size_t room, const char *msg)
{
    static const char hex[] = "0123456789abcdef";
    size_t len = 0;
    for (const unsigned char *c = (const unsigned char *)msg; *c; c++) {
        char esc[4];
        size_t k = 0;
        if (*c >= 0x20 && *c != 0x7f)
            esc[k++] = (char)*c;
        else {
            esc[k++] = '\\';
            if (*c == '\n' || *c == '\r' || *c == '\t')
                esc[k++] = *c == '\n' ? 'n' : *c == '\r' ? 'r' : 't';
            else {
                esc[k++] = 'x';
                esc[k++] = hex[*c >> 4];
                esc[k++] = hex[*c & 15];
            }
        }
        if (len + k > room)
            break;
        memcpy(out + len, esc, k);
        len += k;
    }
    return len;
}

void log_msg(int prio, const char *fmt, ...)
{
    if (prio > atomic_load(&log_level))
        return;
    char msg[2048], line[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    int off = snprintf(line, sizeof line, "<%d>", prio);
    /* truncated: long messages keep their head */
    size_t len = (size_t)off +
                 escape_line(line + off, sizeof line - (size_t)off - 2, msg);
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
