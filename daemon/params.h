/* params.h - reading the request parameters that analyse and export share:
 * times, windows, kinds, attribute names and a plugin's own parameters.
 *
 * Each reader returns 0 (or an owned object) or -1 (NULL) with a message
 * naming the parameter in err, ready to send as an invalid-params error. */
#ifndef SPAND_PARAMS_H
#define SPAND_PARAMS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "loader.h"
#include "view.h"

/* A time bound: an ISO 8601 string or integer Unix seconds; what names it
 * in the message. */
int params_time(json_t *j, int64_t *out, const char *what, char *err,
                size_t errlen);
/* params.NAME = {from?, to?} (absent or null: open). from < to. */
int params_window(json_t *w, const char *name, int64_t *from, int64_t *to,
                  char *err, size_t errlen);
/* params.kinds into spec->kinds: sorted, without repeats; left NULL when
 * absent (every kind). spec owns what was allocated, even on error. */
int params_kinds(json_t *k, view_spec_t *spec, char *err, size_t errlen);
/* The same for another parameter name (params.NAME), e.g.
 * baseline_kinds. */
int params_kinds_named(json_t *k, const char *name, view_spec_t *spec,
                       char *err, size_t errlen);
/* The scoped-view options of params (analyse, report, export): where
 * {ATTR: [values]}, without {ids?: [...], where?: {ATTR: [values]}},
 * event_weighting "pairs" | "newman", within ATTR (also carried) into
 * spec, whose boundary is already set. spec owns what was allocated,
 * even on error. */
int params_scope(json_t *params, view_spec_t *spec, char *err, size_t errlen);
/* The baseline spec for spec (window set by the caller): kinds from
 * params.baseline_kinds, else spec's; boundary, isolates, carried
 * attributes and scope options as spec's. */
int params_baseline_spec(json_t *params, const view_spec_t *spec,
                         view_spec_t *base, char *err, size_t errlen);
/* Check and type plugin p's parameters given (an object or NULL); values
 * may come as their JSON type or as text (from a command line). Returns a
 * new object {name: typed value} or NULL. */
json_t *params_plugin(const plugin_t *p, json_t *given, char *err,
                      size_t errlen);
/* Add to spec->attrs the attribute named by each SPAND_ATTRIBUTE
 * parameter of p (typed as params_plugin gave them, else the default),
 * leaving out "" (none), so the view carries what the plugin asks for. */
int params_plugin_attrs(const plugin_t *p, json_t *typed, view_spec_t *spec,
                        char *err, size_t errlen);
/* {from, to} as ISO 8601 strings, null for an open bound (new object). */
json_t *params_window_json(int64_t from, int64_t to);
/* Whether s is an attribute name (letters, digits, _ - ., not starting with
 * a digit, at most INGEST_ATTR_NAME_MAX bytes). */
int params_attr_name(const char *s);

/* params.suppress and params.pseudonymise (absent: false) as PRIVACY_*
 * flags (privacy.h) added to *flags. */
int params_privacy(json_t *params, unsigned *flags, char *err, size_t errlen);

#endif
