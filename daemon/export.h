/* export.h - a view as text for other tools: GraphML, GEXF, DOT or CSV.
 *
 * The view is the one an analysis would see (view.h): a simple directed
 * graph of people with their group, their other attributes, and summed
 * arc weights. The text is
 * written piece by piece to a sink, never built as one string, so that a
 * large export costs a bounded buffer and not its own size in memory.
 *
 * Every file is well-formed whatever the ids and values hold
 * (doc/protocol.md, "Export"): bytes that are not UTF-8 become U+FFFD in
 * every format; in GraphML and GEXF the characters XML 1.0 cannot carry
 * (C0 controls other than tab, LF and CR; U+FFFE, U+FFFF) become U+FFFD
 * too, and tab, LF and CR are written as character references so that
 * attribute normalisation keeps them. If a replacement would make two
 * person ids the same, the export is refused (-EEXIST) rather than
 * merging two people. */
#ifndef SPAND_EXPORT_H
#define SPAND_EXPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "view.h"

/* Where the text goes: write(ctx, p, n) receives successive pieces (n >=
 * 1) and returns 0, or a negative errno that stops the export and is
 * returned by export_view(). */
typedef struct export_sink {
    int (*write)(void *ctx, const char *p, size_t n);
    void *ctx;
} export_sink_t;

typedef struct export_opts {
    const char *format; /* "graphml", "gexf", "dot" or "csv" */
    /* CSV only: a text cell beginning with = + - @, tab or CR is written
     * with a leading ' (and quoted), so that a spreadsheet does not run it
     * as a formula. Off by default: it changes the data. */
    bool spreadsheet_safe;
    /* GEXF only: "1.2" (the 1.2draft namespace, which networkx 2.8 and
     * Gephi read; the default, also for NULL) or "1.3". */
    const char *gexf_version;
    /* The ids to write instead of the view's, ids[i] for vertex i (the
     * pseudonyms, privacy.h), or NULL. Owned by the caller. */
    char *const *ids;
    /* Attributes never to write (privacy_identifying()'s list, [privacy]
     * identifying), or NULL: no attribute value of theirs is written, and
     * a view whose boundary is one of them is refused (-EINVAL). */
    const char *identifying;
} export_opts_t;

/* Every person of the view carries its group (under the boundary's name)
 * and every other attribute v carries (view_attr; a view built with
 * all_attrs carries them all). A person without a value for an attribute
 * has no value written for it in GraphML and GEXF, and an empty cell in
 * CSV; DOT carries the group only.
 *
 * Write v as o->format to sink, in pieces of at most about 64 KiB.
 * Returns 0; -EINVAL for an unknown format; -EEXIST when two ids would be
 * written alike (err says why); -ENOMEM; or the sink's error. Any thread;
 * v is only read (igraph accessors, no igraph lock needed). */
int export_view(const view_t *v, const export_opts_t *o,
                const export_sink_t *sink, char *err, size_t errlen);
/* Whether format is one export_view() writes. */
int export_format_known(const char *format);
/* Whether version is a GEXF version export_view() writes ("1.2", "1.3"). */
int export_gexf_version_known(const char *version);
/* A sink appending to a buf_t (ctx): for tests and small texts. */
int export_sink_buf(void *ctx, const char *p, size_t n);

#endif
