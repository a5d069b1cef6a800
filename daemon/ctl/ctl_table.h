/* ctl_table.h - spanctl's output helpers: aligned text tables for a
 * person, numbers written for reading or for a program, and CSV fields.
 *
 * Text cells are copied with control characters replaced ('?'), so that
 * data cannot move a terminal's cursor or change its colours. Allocation
 * failures are remembered by the table and reported when it is printed. */
#ifndef SPAND_CTL_TABLE_H
#define SPAND_CTL_TABLE_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* printf into a new string (NULL when out of memory). */
char *ctl_vfmt(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));
char *ctl_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Display width of UTF-8 text, counting code points. */
size_t ctl_text_width(const char *s);

/* A copy of s safe to print on a terminal (control characters as '?'). */
char *ctl_clean_dup(const char *s);

/* A number for a person: integral values (counts) whole; others with 4
 * significant digits, trailing zeros kept so that a column reads alike
 * (0.5000, 12.35, 0.001235, -0.2500), and whole from 1000 on (12346);
 * magnitudes below 0.0001 or from 1e15 in exponent form (1.235e-05). */
char *ctl_number_text(double v);

/* "1 tie", "2 ties", "0 ties": n and the word that agrees with it.
 * Caller frees; NULL when out of memory. */
char *ctl_count(long long n, const char *one, const char *many);

/* Any JSON value as a short text for a person: strings bare, numbers by
 * ctl_number_text(), null as "-", the rest as compact JSON. */
char *ctl_value_text(const json_t *v);

/* A JSON value as a CSV field's text for a program: strings bare, integers
 * exactly, reals with the fewest digits that read back to the same double,
 * true/false as 1/0, null as the empty string; arrays and objects as
 * compact JSON. Quoting is ctl_csv_write()'s job. */
char *ctl_csv_text(const json_t *v);
/* The table `name` of an analyse result res ({"tables": {name: {columns,
 * rows}}}) as an array of {column: value} objects, one per row; values
 * are shared with res. An absent table gives []. Caller frees; NULL when
 * out of memory. */
json_t *ctl_table_rows(const json_t *res, const char *name);

/* Write s as one CSV field, quoted per RFC 4180 when it holds a comma,
 * a double quote, CR or LF (or starts or ends with a space). */
void ctl_csv_write(FILE *out, const char *s);

/* A table of text cells printed with aligned columns. Fill it row by row,
 * ncols cells per row. head (ncols names, borrowed) is printed first when
 * not NULL; align has one character per column, 'l' or 'r'; indent (may
 * be NULL) starts every line. */
typedef struct ctl_table {
    size_t ncols;
    const char *const *head;
    const char *align;
    const char *indent;
    char **cell;
    size_t n, cap;
    bool oom;
} ctl_table_t;

/* Add one cell, taking ownership of s (NULL: an allocation failed). */
void ctl_table_take(ctl_table_t *t, char *s);
/* Add a cleaned copy of s (NULL is shown as "-"). */
void ctl_table_add(ctl_table_t *t, const char *s);
void ctl_table_addf(ctl_table_t *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Add ctl_value_text(v), cleaned. */
void ctl_table_add_value(ctl_table_t *t, const json_t *v);

/* Print the table; -1 after reporting an earlier allocation failure. */
int ctl_table_print(const ctl_table_t *t, FILE *out);

/* Print the cells as "key: value" lines, values aligned (sets ncols 2). */
int ctl_kv_print(ctl_table_t *t, FILE *out);

/* Free the cells; the table may be filled again. */
void ctl_table_free(ctl_table_t *t);

#endif
