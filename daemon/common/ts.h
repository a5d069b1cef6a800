/* ts.h - timestamps: ISO 8601 / Unix seconds in, ISO 8601 UTC out.
 *
 * spand stores every time as signed Unix seconds (UTC). Accepted input:
 *   YYYY-MM-DD                          midnight UTC of that day
 *   YYYY-MM-DDTHH:MM[:SS[.frac]]ZONE    'T' or a space; ZONE is Z or
 *                                       +HH:MM, -HH:MM, +HHMM or +HH
 * Fractional seconds are accepted and dropped (floor), because the store
 * keeps whole seconds. A date-time without a zone is rejected: it names no
 * instant, and guessing the zone would silently shift people's data.
 * Years run from 0001 to 9999. */
#ifndef SPAND_TS_H
#define SPAND_TS_H

#include <stddef.h>
#include <stdint.h>

#define TS_MIN INT64_C(-62135596800) /* 0001-01-01T00:00:00Z */
#define TS_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */
#define TS_FORMAT_LEN 32 /* "YYYY-MM-DDTHH:MM:SSZ" + NUL, with room */

/* Parse s[0..len) as ISO 8601. Returns 0 and sets *out, or -1 and sets
 * *why to a static reason fit to show a user. */
int ts_parse_iso(const char *s, size_t len, int64_t *out, const char **why);

/* Format t (TS_MIN..TS_MAX) into out as ISO 8601 UTC; returns out. Values
 * outside the range are clamped. */
char *ts_format(int64_t t, char out[TS_FORMAT_LEN]);

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t ts_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
