/* ctl_report.h - `spanctl report`: the boundary-spanning suite on one
 * view (and baseline), brought together for a network lead.
 *
 * It runs, through the analyse RPC, ei, mixing, brokerage,
 * structural_holes, diversity, boundary_betweenness, resilience,
 * departure and (with a baseline) gate_opening on the same view, and
 * composes one document: the whole-network picture with each E-I read
 * against its expected value, the mixing between groups, the top boundary
 * spanners with their Gould-Fernandez brokerage (counts and z-scores), the
 * boundaries most at risk with the people who hold them, whose departure
 * would cut most cross-group pairs, and the gate-openers.
 *
 * With "within" in the view params (`--within site`) every analysis runs
 * once, per scope on the daemon, and the document holds a comparison of
 * the scopes (one row each) and one section per scope.
 *
 * A plugin that is missing or fails leaves its section marked unavailable
 * with the reason; the rest is still reported. */
#ifndef SPAND_CTL_REPORT_H
#define SPAND_CTL_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "ctl_conn.h"

/* Build the report. view_params holds the view as the analyse RPC takes
 * it (boundary, window, baseline, kinds, isolates, within, where, ...;
 * "top" and "sort" are ignored); top is the length of each list of people
 * or pairs. Names come from each person's "name" attribute (the id when
 * there is none). Returns the document (caller frees), or NULL with err
 * when the connection failed. *incomplete is set when a section could not
 * be computed. */
json_t *ctl_report_build(ctl_conn_t *conn, const json_t *view_params,
                         long long top, int *incomplete, char *err,
                         size_t errlen);
/* The report's line on what came from records and what from events:
 * "Ties counted (numbers for the whole store): from records: advice
 * (1,204); from events: meeting (88 events, 2,140 pairs)." for the view's
 * kinds, then a sentence per --kind preset used ("--kind work: records
 * only (advice)."), lines apart. From the document's "kind_counts"
 * (summary's kinds) and "kind_presets", which spanctl adds after
 * ctl_report_build. Terminal controls are cleaned out; the caller escapes
 * it for HTML. NULL when the document has no kind_counts (or out of
 * memory); otherwise the caller frees it. */
char *ctl_report_kinds_text(const json_t *doc);
/* Print the document for a person. Returns 0, or -1 on a write error. */
int ctl_report_print(const json_t *report, FILE *out);

#endif
