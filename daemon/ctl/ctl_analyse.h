/* ctl_analyse.h - how spanctl shows the answers of `plugins` and
 * `analyse` (doc/protocol.md, "Analyses"): aligned text for a person, CSV
 * for a program (the raw JSON is printed by the caller). */
#ifndef SPAND_CTL_ANALYSE_H
#define SPAND_CTL_ANALYSE_H

#include <jansson.h>
#include <getopt.h>
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
 * vertex rows shown in the text form (the server already keeps only the
 * first top vertex rows); group, pair and network tables are always shown
 * whole, as in the JSON; top < 0 shows all. Returns 0, or -1
 * after reporting an error on stderr. */
int ctl_print_analysis(const json_t *res, ctl_format_t format, long long top,
                       FILE *out);

/* The "plugins" member of a `reload` result ({loaded, removed, refused}):
 * one line per non-empty list. */
int ctl_print_reload_plugins(const json_t *plugins, FILE *out);

/* ---- scoped views: the options analyse, report and export share ------
 *
 * --where ATTR=V[,V...] (repeatable; the same ATTR again adds values),
 * --without ID, --without ATTR=V[,V...] (an argument with '=' is a
 * condition; an id holding '=' goes in a file), --without-file FILE (one
 * id per line, read here: ids never go on a command line), --within
 * ATTR, --baseline-kind K (repeatable), --event-weighting pairs|newman.
 * Long options only: put CTL_SCOPE_OPTIONS in a getopt_long table and
 * hand the codes it gives (ctl_scope_is_opt) to ctl_scope_opt. */
#define CTL_OPT_WHERE 0x300
#define CTL_OPT_WITHOUT 0x301
#define CTL_OPT_WITHOUT_FILE 0x302
#define CTL_OPT_WITHIN 0x303
#define CTL_OPT_BASELINE_KIND 0x304
#define CTL_OPT_EVENT_WEIGHTING 0x305
#define CTL_SCOPE_OPTIONS                                                      \
    {"where", required_argument, NULL, CTL_OPT_WHERE},                         \
        {"without", required_argument, NULL, CTL_OPT_WITHOUT},                 \
        {"without-file", required_argument, NULL, CTL_OPT_WITHOUT_FILE},       \
        {"within", required_argument, NULL, CTL_OPT_WITHIN},                   \
        {"baseline-kind", required_argument, NULL, CTL_OPT_BASELINE_KIND},     \
    {                                                                          \
        "event-weighting", required_argument, NULL, CTL_OPT_EVENT_WEIGHTING    \
    }

typedef struct ctl_scope_opts {
    json_t *where;           /* {ATTR: [values]} or NULL */
    json_t *without_ids;     /* [ids] or NULL */
    json_t *without_where;   /* {ATTR: [values]} or NULL */
    json_t *within;          /* string or NULL */
    json_t *baseline_kinds;  /* [kinds] or NULL */
    json_t *event_weighting; /* string or NULL */
} ctl_scope_opts_t;

static inline int ctl_scope_is_opt(int opt)
{
    return opt >= CTL_OPT_WHERE && opt <= CTL_OPT_EVENT_WEIGHTING;
}
/* Take option opt's argument into o. 0, or -1 with the reason in err
 * (a usage error: name the command before it). */
int ctl_scope_opt(ctl_scope_opts_t *o, int opt, const char *arg, char *err,
                  size_t errlen);
/* Add o's options to params (the request's: where, without, within,
 * baseline_kinds, event_weighting), as the protocol names them; what was
 * not given is left out. 0 or -1 (out of memory). For report: call it on
 * each analyse's params, or once on the view params it copies. */
int ctl_scope_params(const ctl_scope_opts_t *o, json_t *params);
void ctl_scope_free(ctl_scope_opts_t *o);

#endif
