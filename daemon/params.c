/* params.c - see params.h. */
#include "params.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
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

/* kinds: sorted, without repeats; NULL when absent (every kind). */
int params_kinds(json_t *k, view_spec_t *spec, char *err, size_t errlen)
{
    if (!k || json_is_null(k))
        return 0;
    if (!json_is_array(k) || json_array_size(k) == 0 ||
        json_array_size(k) > 256) {
        snprintf(err, errlen,
                 "params.kinds must be a non-empty array of kind names");
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
            snprintf(err, errlen, "params.kinds[%zu] must be a kind name", i);
            return -1;
        }
        if (!(spec->kinds[spec->nkinds++] = strdup(json_string_value(s)))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    qsort(spec->kinds, spec->nkinds, sizeof *spec->kinds, cmp_cstr);
    size_t w = 0;
    for (size_t i = 0; i < spec->nkinds; i++) {
        if (w && !strcmp(spec->kinds[w - 1], spec->kinds[i]))
            free(spec->kinds[i]);
        else
            spec->kinds[w++] = spec->kinds[i];
    }
    spec->nkinds = w;
    return 0;
}

/* Check and type the plugin's parameters. Values may come as their JSON
 * type or as text (from a command line). */
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
            if (text && (!*text || params_attr_name(text)))
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
        const char *name = given ? json_string_value(given) : d->default_value;
        if (!name || !*name)
            continue;
        if (!params_attr_name(name)) {
            snprintf(err, errlen,
                     "parameter %s of %s: \"%.64s\" is not an attribute name",
                     d->name, p->name, name);
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
