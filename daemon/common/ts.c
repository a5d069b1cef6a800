/* ts.c - see ts.h. Civil-date arithmetic after H. Hinnant's public-domain
 * derivation (days_from_civil / civil_from_days). */
#include "ts.h"

#include <stdbool.h>
#include <stdio.h>

int64_t ts_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int y, unsigned m)
{
    static const unsigned dim[] = {31, 28, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Read exactly n decimal digits at s[*i]. */
static bool digits(const char *s, size_t len, size_t *i, int n, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9')
            return false;
        v = v * 10 + (s[*i] - '0');
        (*i)++;
    }
    *out = v;
    return true;
}

int ts_parse_iso(const char *s, size_t len, int64_t *out, const char **why)
{
    size_t i = 0;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    *why = "not an ISO 8601 date (YYYY-MM-DD) or date-time";
    if (!digits(s, len, &i, 4, &y) || i >= len || s[i++] != '-' ||
        !digits(s, len, &i, 2, &mo) || i >= len || s[i++] != '-' ||
        !digits(s, len, &i, 2, &d))
        return -1;
    if (y < 1 || mo < 1 || mo > 12) {
        *why = "month or year out of range";
        return -1;
    }
    if (d < 1 || (unsigned)d > days_in_month(y, (unsigned)mo)) {
        *why = "day out of range for its month";
        return -1;
    }
    int64_t offset = 0;
    if (i < len) {
        if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
            return -1;
        i++;
        if (!digits(s, len, &i, 2, &h) || i >= len || s[i++] != ':' ||
            !digits(s, len, &i, 2, &mi))
            return -1;
        if (i < len && s[i] == ':') {
            i++;
            if (!digits(s, len, &i, 2, &sec))
                return -1;
            if (i < len && (s[i] == '.' || s[i] == ',')) {
                i++;
                size_t start = i;
                while (i < len && s[i] >= '0' && s[i] <= '9')
                    i++;
                if (i == start)
                    return -1;
            }
        }
        if (h > 23 || mi > 59 || sec > 60) {
            *why = "time of day out of range";
            return -1;
        }
        if (i >= len) {
            *why = "date-time has no zone: add Z or a UTC offset such as "
                   "+01:00";
            return -1;
        }
        if (s[i] == 'Z' || s[i] == 'z') {
            i++;
        } else if (s[i] == '+' || s[i] == '-') {
            int sign = s[i++] == '-' ? -1 : 1, oh, om = 0;
            if (!digits(s, len, &i, 2, &oh))
                return -1;
            if (i < len && s[i] == ':')
                i++;
            if (i < len && !digits(s, len, &i, 2, &om))
                return -1;
            if (oh > 23 || om > 59) {
                *why = "UTC offset out of range";
                return -1;
            }
            offset = sign * ((int64_t)oh * 3600 + om * 60);
        } else {
            return -1;
        }
        if (i != len)
            return -1;
    }
    int64_t t = ts_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
                h * 3600 + mi * 60 + sec - offset;
    if (t < TS_MIN || t > TS_MAX) {
        *why = "time outside years 0001-9999";
        return -1;
    }
    *out = t;
    *why = NULL;
    return 0;
}

char *ts_format(int64_t t, char out[TS_FORMAT_LEN])
{
    if (t < TS_MIN)
        t = TS_MIN;
    if (t > TS_MAX)
        t = TS_MAX;
    int64_t days = t / 86400, rem = t % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(out, TS_FORMAT_LEN, "%04d-%02u-%02uT%02d:%02d:%02dZ", y, m, d,
             (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
    return out;
}
