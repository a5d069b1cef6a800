/* ctl_analyse.h - how spanctl shows the answers of `plugins` and
 * `analyse` (doc/protocol.md, "Analyses"): aligned text for a person, CSV
 * for a program (the raw JSON is printed by the caller). */
#ifndef SPAND_CTL_ANALYSE_H
#define SPAND_CTL_ANALYSE_H

#include <jansson.h>
#include <stdio.h>

typedef enum ctl_format {
    CTL_FORMAT_TABLE,
    CTL_FORMAT_JSON,
    CTL_FORMAT_CSV,
    CTL_FORMAT_HTML, /* report only: one self-contained page */
} ctl_format_t;

/* The result of `plugins`: each loaded plugin with its version, summary,
 * origin, parameters and columns, then the refused files with reasons. */
int ctl_print_plugins(const json_t *res, FILE *out);

/* The result of `analyse` as a header (plugin, boundary, window, view
 * counts, cached or elapsed time, notes) followed by its tables, network
 * first, then vertex, group and pair (CTL_FORMAT_TABLE); or as CSV, each
 * table after a line "# table NAME" (CTL_FORMAT_CSV). top >= 0 limits the
 * rows shown of every table in the text form (the server already keeps
 * only the first top vertex rows); top < 0 shows all. Returns 0, or -1
 * after reporting an error on stderr. */
int ctl_print_analysis(const json_t *res, ctl_format_t format, long long top,
                       FILE *out);

/* The "plugins" member of a `reload` result ({loaded, removed, refused}):
 * one line per non-empty list. */
int ctl_print_reload_plugins(const json_t *plugins, FILE *out);

#endif
