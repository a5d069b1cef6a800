/* params.c - see params.h. */
#include "params.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "privacy.h"
#include "ts.h"

/* A time bound: ISO 8601 string or integer Unix seconds. */
int params_time(json_t *j, int64_t *out, const char *what, char *err,
                size_t errlen)
{
    const char *why;
    if (json_is_integer(j) && json_integer_value(j) >= TS_MIN &&
        json_integer_value(j) <= TS_MAX) {
        *out = json_integer_value(j);
        return 0;
    }
    if (json_is_string(j)) {
        if (ts_parse_iso(json_string_value(j), json_string_length(j), out,
                         &why) == 0)
            return 0;
        snprintf(err, errlen, "%s: %s", what, why);
        return -1;
    }
    snprintf(err, errlen, "%s must be an ISO 8601 string or Unix seconds",
             what);
    return -1;
}

int params_window(json_t *w, const char *name, int64_t *from, int64_t *to,
                  char *err, size_t errlen)
{
    *from = VIEW_OPEN_FROM;
    *to = VIEW_OPEN_TO;
    if (!w || json_is_null(w))
        return 0;
    if (!json_is_object(w)) {
        snprintf(err, errlen, "params.%s must be an object {from, to}", name);
        return -1;
    }
    const char *key;
    json_t *val;
    char what[64];
    json_object_foreach(w, key, val)
    {
        bool is_from = !strcmp(key, "from");
        if (!is_from && strcmp(key, "to") != 0) {
            snprintf(err, errlen, "params.%s.%.32s: unknown (from, to)", name,
                     key);
            return -1;
        }
        if (json_is_null(val))
            continue;
        snprintf(what, sizeof what, "params.%s.%s", name, key);
        if (params_time(val, is_from ? from : to, what, err, errlen) < 0)
            return -1;
    }
    if (*from >= *to) {
        snprintf(err, errlen, "params.%s: from must be before to", name);
        return -1;
    }
    return 0;
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort strs (n) and drop repeats (freed); the new count. */
static size_t sort_unique(char **strs, size_t n)
{
    if (n)
        qsort(strs, n, sizeof *strs, cmp_cstr);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (w && !strcmp(strs[w - 1], strs[i]))
            free(strs[i]);
        else
            strs[w++] = strs[i];
    }
    return w;
}

/* kinds: sorted, without repeats; NULL when absent (every kind). */
int params_kinds(json_t *k, view_spec_t *spec, char *err, size_t errlen)
{
    return params_kinds_named(k, "kinds", spec, err, errlen);
}

int params_kinds_named(json_t *k, const char *name, view_spec_t *spec,
                       char *err, size_t errlen)
{
    if (!k || json_is_null(k))
        return 0;
    if (!json_is_array(k) || json_array_size(k) == 0 ||
        json_array_size(k) > 256) {
        snprintf(err, errlen,
                 "params.%s must be a non-empty array of kind names", name);
        return -1;
    }
    size_t n = json_array_size(k);
    spec->kinds = calloc(n, sizeof *spec->kinds);
    if (!spec->kinds) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(k, i);
        if (!json_is_string(s) || json_string_length(s) == 0) {
            snprintf(err, errlen, "params.%s[%zu] must be a kind name", name,
                     i);
            return -1;
        }
        if (!(spec->kinds[spec->nkinds++] = strdup(json_string_value(s)))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    spec->nkinds = sort_unique(spec->kinds, spec->nkinds);
    return 0;
}

/* Most values a condition, and ids in without, a request may give. */
#define PARAMS_MAX_VALUES 100000

static int cmp_cond(const void *a, const void *b)
{
    return strcmp(((const view_cond_t *)a)->attr,
                  ((const view_cond_t *)b)->attr);
}

/* A string or array of non-empty strings into sorted unique *out. */
static int str_list(json_t *j, const char *what, char ***out, size_t *n,
                    char *err, size_t errlen)
{
    size_t len = json_is_array(j) ? json_array_size(j) : 1;
    if (!(json_is_array(j) || json_is_string(j)) || len == 0 ||
        len > PARAMS_MAX_VALUES) {
        snprintf(err, errlen,
                 "%s must be a non-empty array of strings (at most %d)", what,
                 PARAMS_MAX_VALUES);
        return -1;
    }
    if (!(*out = calloc(len, sizeof **out))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        json_t *s = json_is_array(j) ? json_array_get(j, i) : j;
        if (!json_is_string(s) || json_string_length(s) == 0) {
            snprintf(err, errlen, "%s[%zu] must be a non-empty string", what,
                     i);
            return -1;
        }
        if (!((*out)[*n] = strdup(json_string_value(s)))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        (*n)++;
    }
    *n = sort_unique(*out, *n);
    return 0;
}

/* {ATTR: [values...]} into conditions sorted by attribute. */
static int conds(json_t *j, const char *what, view_cond_t **out, size_t *n,
                 char *err, size_t errlen)
{
    if (!json_is_object(j) || json_object_size(j) == 0 ||
        json_object_size(j) > 64) {
        snprintf(err, errlen,
                 "%s must be an object {ATTRIBUTE: [values...]} of 1 to 64 "
                 "attributes",
                 what);
        return -1;
    }
    if (!(*out = calloc(json_object_size(j), sizeof **out))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const char *key;
    json_t *val;
    char sub[128];
    json_object_foreach(j, key, val)
    {
        if (!params_attr_name(key)) {
            snprintf(err, errlen, "%s: \"%.64s\" is not an attribute name",
                     what, key);
            return -1;
        }
        view_cond_t *c = &(*out)[(*n)++];
        if (!(c->attr = strdup(key))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        snprintf(sub, sizeof sub, "%s.%.64s", what, key);
        if (str_list(val, sub, &c->values, &c->nvalues, err, errlen) < 0)
            return -1;
    }
    qsort(*out, *n, sizeof **out, cmp_cond);
    return 0;
}

int params_scope(json_t *params, view_spec_t *spec, char *err, size_t errlen)
{
    json_t *where = json_object_get(params, "where");
    json_t *without = json_object_get(params, "without");
    json_t *ew = json_object_get(params, "event_weighting");
    json_t *within = json_object_get(params, "within");
    if (where && !json_is_null(where) &&
        conds(where, "params.where", &spec->where, &spec->nwhere, err, errlen) <
            0)
        return -1;
    if (without && !json_is_null(without)) {
        json_t *ids = json_object_get(without, "ids");
        json_t *cw = json_object_get(without, "where");
        if (!json_is_object(without) ||
            json_object_size(without) != (size_t)(ids != NULL) + (cw != NULL)) {
            snprintf(err, errlen,
                     "params.without must be an object {ids?: [id...], "
                     "where?: {ATTRIBUTE: [values...]}}");
            return -1;
        }
        if (ids && !json_is_null(ids) &&
            str_list(ids, "params.without.ids", &spec->without_ids,
                     &spec->nwithout_ids, err, errlen) < 0)
            return -1;
        if (cw && !json_is_null(cw) &&
            conds(cw, "params.without.where", &spec->without_where,
                  &spec->nwithout_where, err, errlen) < 0)
            return -1;
    }
    if (ew && !json_is_null(ew)) {
        const char *t = json_string_value(ew);
        if (t && !strcmp(t, "pairs"))
            spec->event_weighting = VIEW_EVENTS_PAIRS;
        else if (t && !strcmp(t, "newman"))
            spec->event_weighting = VIEW_EVENTS_NEWMAN;
        else {
            snprintf(err, errlen,
                     "params.event_weighting must be \"pairs\" or "
                     "\"newman\"");
            return -1;
        }
    }
    if (within && !json_is_null(within)) {
        const char *t = json_string_value(within);
        if (!t || !params_attr_name(t)) {
            snprintf(err, errlen, "params.within must be an attribute name");
            return -1;
        }
        if (!strcmp(t, spec->boundary ? spec->boundary : "")) {
            snprintf(err, errlen,
                     "params.within: \"%.64s\" is the boundary: each scope "
                     "would be one group",
                     t);
            return -1;
        }
        if (!(spec->within = strdup(t)) || view_spec_add_attr(spec, t) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

int params_baseline_spec(json_t *params, const view_spec_t *spec,
                         view_spec_t *base, char *err, size_t errlen)
{
    json_t *bk = json_object_get(params, "baseline_kinds");
    if (bk && !json_is_null(bk)) {
        if (params_kinds_named(bk, "baseline_kinds", base, err, errlen) < 0)
            return -1;
    } else if (spec->kinds) {
        if (!(base->kinds = calloc(spec->nkinds, sizeof *base->kinds))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        for (; base->nkinds < spec->nkinds; base->nkinds++)
            if (!(base->kinds[base->nkinds] =
                      strdup(spec->kinds[base->nkinds]))) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
    }
    base->isolates = spec->isolates;
    base->all_attrs = spec->all_attrs;
    base->keep_unvalued = spec->keep_unvalued;
    if (!(base->boundary = strdup(spec->boundary)) ||
        view_spec_copy_scope(base, spec) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* Check and type the plugin's parameters. Values may come as their JSON
 * type or as text (from a command line). */
/* A SPAND_ATTRIBUTE parameter's text: an attribute name, optionally
 * followed by "=VALUE" (any text: a plugin such as change compares people
 * whose attribute NAME has that value). */
static int attr_param_ok(const char *text)
{
    char name[INGEST_ATTR_NAME_MAX + 1];
    size_t len = strcspn(text, "=");
    if (len == 0 || len >= sizeof name)
        return 0;
    memcpy(name, text, len);
    name[len] = '\0';
    return params_attr_name(name);
}

json_t *params_plugin(const plugin_t *p, json_t *given, char *err,
                      size_t errlen)
{
    json_t *out = json_object();
    if (!out) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!given || json_is_null(given))
        return out;
    if (!json_is_object(given)) {
        snprintf(err, errlen, "params.params must be an object");
        json_decref(out);
        return NULL;
    }
    const char *key;
    json_t *val;
    json_object_foreach(given, key, val)
    {
        const spand_param_t *d = NULL;
        for (size_t i = 0; i < p->desc->nparams; i++)
            if (!strcmp(p->desc->params[i].name, key))
                d = &p->desc->params[i];
        if (!d) {
            snprintf(err, errlen, "plugin %s has no parameter \"%.64s\"",
                     p->name, key);
            json_decref(out);
            return NULL;
        }
        const char *text = json_is_string(val) ? json_string_value(val) : NULL;
        json_t *typed = NULL;
        char *end;
        switch (d->type) {
        case SPAND_BOOL:
            if (json_is_boolean(val))
                typed = json_incref(val);
            else if (text && (!strcmp(text, "true") || !strcmp(text, "yes") ||
                              !strcmp(text, "1")))
                typed = json_true();
            else if (text && (!strcmp(text, "false") || !strcmp(text, "no") ||
                              !strcmp(text, "0")))
                typed = json_false();
            break;
        case SPAND_INT:
            if (json_is_integer(val)) {
                typed = json_incref(val);
            } else if (text && *text) {
                errno = 0;
                long long v = strtoll(text, &end, 10);
                if (!errno && !*end)
                    typed = json_integer(v);
            }
            break;
        case SPAND_REAL:
            if (json_is_number(val)) {
                typed = json_real(json_number_value(val));
            } else if (text && *text) {
                errno = 0;
                double v = strtod(text, &end);
                if (!errno && !*end && isfinite(v))
                    typed = json_real(v);
            }
            break;
        case SPAND_STRING:
            if (text)
                typed = json_incref(val);
            break;
        case SPAND_ATTRIBUTE:
            if (text && (!*text || attr_param_ok(text)))
                typed = json_incref(val);
            break;
        }
        if (!typed) {
            snprintf(
                err, errlen, "parameter %s of %s must be %s %s%s", key, p->name,
                d->type == SPAND_INT || d->type == SPAND_ATTRIBUTE ? "an" : "a",
                loader_type_name(d->type),
                d->type == SPAND_ATTRIBUTE ? " name (or \"\")" : "");
            json_decref(out);
            return NULL;
        }
        json_object_set_new(out, key, typed);
    }
    return out;
}

int params_plugin_attrs(const plugin_t *p, json_t *typed, view_spec_t *spec,
                        char *err, size_t errlen)
{
    for (size_t i = 0; i < p->desc->nparams; i++) {
        const spand_param_t *d = &p->desc->params[i];
        if (d->type != SPAND_ATTRIBUTE)
            continue;
        json_t *given = typed ? json_object_get(typed, d->name) : NULL;
        const char *value = given ? json_string_value(given) : d->default_value;
        if (!value || !*value)
            continue;
        /* "NAME" or "NAME=VALUE": the view carries NAME. */
        char name[INGEST_ATTR_NAME_MAX + 1];
        size_t len = strcspn(value, "=");
        snprintf(name, sizeof name, "%.*s",
                 (int)(len < sizeof name ? len : sizeof name - 1), value);
        if (len >= sizeof name || !params_attr_name(name)) {
            snprintf(err, errlen,
                     "parameter %s of %s: \"%.64s\" is not an attribute name",
                     d->name, p->name, value);
            return -1;
        }
        if (view_spec_add_attr(spec, name) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

json_t *params_window_json(int64_t from, int64_t to)
{
    char a[TS_FORMAT_LEN], b[TS_FORMAT_LEN];
    return json_pack("{s:s?, s:s?}", "from",
                     from == VIEW_OPEN_FROM ? NULL : ts_format(from, a), "to",
                     to == VIEW_OPEN_TO ? NULL : ts_format(to, b));
}
int params_attr_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > INGEST_ATTR_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i && ((c >= '0' && c <= '9') || c == '-' || c == '.'))))
            return 0;
    }
    return 1;
}

int params_privacy(json_t *params, unsigned *flags, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        unsigned flag;
    } opts[] = {{"suppress", PRIVACY_SUPPRESS},
                {"pseudonymise", PRIVACY_PSEUDONYMISE}};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        json_t *v = params ? json_object_get(params, opts[i].name) : NULL;
        if (v && !json_is_boolean(v)) {
            snprintf(err, errlen, "params.%s must be true or false",
                     opts[i].name);
            return -1;
        }
        if (v && json_is_true(v))
            *flags |= opts[i].flag;
    }
    return 0;
}
