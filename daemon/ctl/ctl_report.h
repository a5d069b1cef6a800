/* ctl_report.h - `spanctl report`: the boundary-spanning suite on one
 * view (and baseline), brought together for a network lead.
 *
 * It runs, through the analyse RPC, ei, mixing, brokerage,
 * structural_holes, diversity, boundary_betweenness, resilience and (with
 * a baseline) gate_opening on the same boundary, window and kinds, and
 * composes one document: the whole-network picture, the mixing between
 * groups, the top boundary spanners and what makes them so, the
 * boundaries most at risk with the people who hold them, and the
 * gate-openers. A plugin that is missing or fails leaves its section
 * marked unavailable with the reason; the rest is still reported. */
#ifndef SPAND_CTL_REPORT_H
#define SPAND_CTL_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "ctl_conn.h"

/* Build the report. view_params holds boundary, window, baseline and
 * kinds as the analyse RPC takes them; top is the length of each list of
 * people or pairs. Returns the document (caller frees), or NULL with err
 * when the connection failed. *incomplete is set when a section could not
 * be computed. */
json_t *ctl_report_build(ctl_conn_t *conn, const json_t *view_params,
                         long long top, int *incomplete, char *err,
                         size_t errlen);
/* Print the document for a person. */
int ctl_report_print(const json_t *report, FILE *out);

#endif
