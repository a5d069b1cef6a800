/* export.h - a view as text for other tools: GraphML, GEXF, DOT or CSV.
 *
 * The view is the one an analysis would see (view.h): a simple directed
 * graph of people with their group and summed arc weights. Person ids,
 * group names and the boundary are escaped for each format. */
#ifndef SPAND_EXPORT_H
#define SPAND_EXPORT_H

#include "buf.h"
#include "view.h"

/* Append v in format ("graphml", "gexf", "dot", "csv") to out. Returns 0,
 * -EINVAL for an unknown format, -ENOMEM. */
int export_view(const view_t *v, const char *format, buf_t *out);
/* Whether format is one export_view() writes. */
int export_format_known(const char *format);

#endif
