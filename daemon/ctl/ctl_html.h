/* ctl_html.h - `spanctl report --format html`: the report as one
 * self-contained web page, with pictures.
 *
 * The page holds the report document (ctl_report.h) and draws:
 *   - the network as SVG, laid out by the daemon's `layout` plugin
 *     (seeded, so the same data gives the same picture), people coloured
 *     by group with a legend, the top boundary spanners labelled, dots
 *     sized by ties; a view larger than the layout's max_people, or one
 *     whose ties the client may not read (a reader), is drawn as the
 *     group-level network instead, and the page says so;
 *   - a heat-map of ties between groups (density), and with a baseline
 *     the same map for the baseline beside it;
 *   - each group's E-I against its expected value, as a dot plot;
 *   - every table of the text report (sortable), and the text report;
 *   - with `within`, first the comparison table (one row per scope), then
 *     a section per scope with its own small network (a group keeps one
 *     colour across scopes), its E-I plot and its boundaries at risk; the
 *     40 scopes with most people are drawn, and a banner says how many
 *     others were left out of the pictures (their tables remain).
 * Each figure has a text alternative and a table behind it. Colours are
 * the Okabe-Ito palette, chosen to stay distinct for colour-blind
 * readers. The page loads nothing: no script, font, style or image from
 * anywhere (a Content-Security-Policy of default-src 'none' says so to
 * the browser too), so it opens from a USB stick and prints to A4. */
#ifndef SPAND_CTL_HTML_H
#define SPAND_CTL_HTML_H

#include <jansson.h>
#include <stdio.h>

#include "ctl_conn.h"

/* Write the page for report (from ctl_report_build with the same
 * view_params) to out. The drawing is fetched over conn: the `layout`
 * analysis, the view's ties (`export` as CSV) and people's names
 * (`person`) unless view_params asks for pseudonyms. Returns 0, or -1
 * with err when the connection failed or out could not be written; a
 * refused or failed fetch only changes what is drawn (and is said on the
 * page). */
int ctl_html_print(ctl_conn_t *conn, const json_t *view_params,
                   const json_t *report, FILE *out, char *err, size_t errlen);

#endif
