/* ctl_survey.h - `spanctl load --survey`: a survey wave in the wide form
 * survey tools export (one row per respondent, columns alter1..alterN and
 * optional strength1..N) turned into records dated at the wave.
 *
 * Every named alter becomes a record {ts: wave, from: respondent, to:
 * alter, kind, weight: strength or 1, directed: true} with an id derived
 * from (wave, kind, respondent, alter), so that loading a wave twice stores
 * nothing new. A name that is not the id of a person spand knows is never
 * made into a new person: it is listed with its line and its tie is not
 * loaded, unless match_names finds exactly one person whose `name`
 * attribute (in the people files given) equals it after folding case,
 * Latin accents and spaces. Every respondent whose row was read gets the
 * attribute responded_<wave> = "yes". See doc/spanctl.1, "Survey waves". */
#ifndef SPAND_CTL_SURVEY_H
#define SPAND_CTL_SURVEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ctl_conn.h"

typedef struct ctl_survey_opts {
    const char *path;            /* the survey export (CSV) */
    const char *wave;            /* YYYY-MM-DD: ts of its records */
    const char *kind;            /* kind of its records */
    const char *respondent_col;  /* NULL: detected from the header */
    const char *alter_prefix;    /* NULL: detected ("alter") */
    const char *strength_prefix; /* NULL: detected ("strength", or
                                    alterN_strength) */
    bool match_names;            /* match unknown names to `name` */
    char *const *people_paths;   /* CSV files with id and name columns, the
                                    names matched against (borrowed) */
    size_t npeople_paths;
    bool json; /* summary as one JSON object */
    FILE *out; /* where the summary goes; the listing goes to stderr */
} ctl_survey_opts_t;

typedef struct ctl_survey_result {
    uint64_t respondents; /* rows whose respondent is known */
    uint64_t ties;        /* records sent */
    uint64_t added;       /* of which newly stored */
    uint64_t unmatched;   /* names (cells) left out: unknown or ambiguous */
    uint64_t rejected;    /* items the server refused */
} ctl_survey_result_t;

/* Read o->path and store its wave over conn (nothing pending). Returns 0
 * when the file was read to the end (*res says what was left out) or a
 * negative value with the reason in err. */
int ctl_survey_load(ctl_conn_t *conn, const ctl_survey_opts_t *o,
                    ctl_survey_result_t *res, char *err, size_t errlen);

#endif
