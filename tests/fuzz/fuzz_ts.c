/* fuzz_ts.c - libFuzzer harness: the time parser (daemon/common/ts.c).
 *
 * For any input: ts_parse_iso() either fails with a reason or gives a time
 * within TS_MIN..TS_MAX; a time it gives formats (ts_format) to a text it
 * parses back to the same time, and that text agrees with glibc's timegm()
 * on what instant it names. Any difference aborts. */
#define _DEFAULT_SOURCE /* timegm */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ts.h"

static void check_time(int64_t t)
{
    char out[TS_FORMAT_LEN];
    ts_format(t, out);
    int64_t back;
    const char *why;
    if (ts_parse_iso(out, strlen(out), &back, &why) != 0 || back != t) {
        fprintf(stderr, "%lld formats as %s, which does not parse back\n",
                (long long)t, out);
        abort();
    }
    struct tm tm = {0};
    int y, mo, d, h, mi, s;
    if (sscanf(out, "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &s) != 6)
        abort();
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    if ((int64_t)timegm(&tm) != t) {
        fprintf(stderr, "%s: spand says %lld, timegm %lld\n", out, (long long)t,
                (long long)timegm(&tm));
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1); /* exactly size: ASan sees overreads */
    if (!s)
        return 0;
    memcpy(s, data, size);
    int64_t t = 0;
    const char *why = NULL;
    int rc = ts_parse_iso(s, size, &t, &why);
    if (rc == 0) {
        if (why || t < TS_MIN || t > TS_MAX)
            abort();
        check_time(t);
    } else if (rc != -1 || !why || !*why) {
        abort();
    }
    /* The input's first eight bytes as a time, too: the formatter over
     * its whole range (clamped outside it). */
    if (size >= 8) {
        int64_t raw;
        memcpy(&raw, data, 8);
        int64_t span = TS_MAX - TS_MIN + 1;
        int64_t r = raw % span;
        check_time(TS_MIN + (r < 0 ? r + span : r));
    }
    free(s);
    return 0;
}
