/* Unit tests: the streaming ingest parser (ingest_scan, daemon/common/jscan.c)
 * against the DOM path (json_loadb with JSON_REJECT_DUPLICATES, then
 * ingest_parse). The contract: ingest_scan accepts a text exactly when the
 * DOM path accepts it with nothing rejected, and then yields the same
 * batch. A deterministic fuzzer feeds both many generated valid batches and
 * random mutations of them. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"

static const ingest_limits_t lim = {
    .max_id_bytes = 16, .max_value_bytes = 32, .max_rejects = 100};

/* ---- comparing the two paths ------------------------------------------ */

static int str_eq(ingest_str_t a, ingest_str_t b)
{
    if (!a.s || !b.s)
        return !a.s && !b.s;
    return a.len == b.len && memcmp(a.s, b.s, a.len) == 0 &&
           a.s[a.len] == '\0' && b.s[b.len] == '\0';
}

static int same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0; /* -0.0 is not 0.0 */
}

static int batch_eq(const ingest_batch_t *a, const ingest_batch_t *b)
{
    if (a->npeople != b->npeople || a->nrecords != b->nrecords ||
        a->nevents != b->nevents || a->skip_invalid != b->skip_invalid ||
        a->rejected_count != b->rejected_count)
        return 0;
    for (size_t i = 0; i < a->npeople; i++) {
        const ingest_person_t *p = &a->people[i], *q = &b->people[i];
        if (!str_eq(p->id, q->id) || p->nattrs != q->nattrs)
            return 0;
        for (size_t k = 0; k < p->nattrs; k++)
            if (!str_eq(p->attrs[k].name, q->attrs[k].name) ||
                !str_eq(p->attrs[k].value, q->attrs[k].value))
                return 0;
    }
    for (size_t i = 0; i < a->nrecords; i++) {
        const ingest_record_t *r = &a->records[i], *s = &b->records[i];
        if (!str_eq(r->id, s->id) || r->ts != s->ts ||
            !str_eq(r->from, s->from) || !str_eq(r->to, s->to) ||
            !str_eq(r->kind, s->kind) || !same_double(r->weight, s->weight) ||
            r->directed != s->directed)
            return 0;
    }
    for (size_t i = 0; i < a->nevents; i++) {
        const ingest_event_t *e = &a->events[i], *f = &b->events[i];
        if (!str_eq(e->id, f->id) || e->ts != f->ts ||
            !str_eq(e->kind, f->kind) || !same_double(e->weight, f->weight) ||
            e->nparticipants != f->nparticipants)
            return 0;
        for (size_t k = 0; k < e->nparticipants; k++)
            if (!str_eq(e->participants[k], f->participants[k]))
                return 0;
    }
    return 1;
}

/* text with bytes outside printable ASCII as \xNN, for messages */
static const char *shown(const char *text, size_t len)
{
    static char buf[4000];
    size_t o = 0;
    for (size_t i = 0; i < len && o + 5 < sizeof buf; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x20 && c < 0x7f)
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, 5, "\\x%02x", c);
    }
    buf[o] = '\0';
    return buf;
}

struct tally {
    unsigned long fast, dom_clean, dom_other, parse_error;
};

/* Run both paths on text; fail the test when they disagree. Returns 1
 * when the fast path took the text. */
static int compare(const char *text, size_t len, struct tally *t)
{
    ingest_batch_t fast, dom;
    jscan_t j = {text, text + len};
    int frc = ingest_scan(&j, &lim, &fast);
    ck_assert_msg(frc == 0 || frc == INGEST_SCAN_FALLBACK, "rc %d", frc);
    if (frc == 0) {
        jscan_ws(&j);
        if (j.p != j.end) { /* trailing bytes: not one params object */
            ingest_batch_free(&fast);
            frc = INGEST_SCAN_FALLBACK;
        }
    }
    json_error_t je;
    json_t *doc =
        json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    int clean = 0;
    char err[256];
    if (!doc) {
        t->parse_error++;
    } else {
        int drc = ingest_parse(doc, &lim, &dom, err, sizeof err);
        ck_assert_int_ne(drc, -ENOMEM);
        if (drc == 0) {
            clean = dom.rejected_count == 0;
            if (!clean)
                ingest_batch_free(&dom);
        }
        json_decref(doc);
        if (clean)
            t->dom_clean++;
        else
            t->dom_other++;
    }
    if ((frc == 0) != clean) {
        /* the whole text, for a reproduction outside the test */
        FILE *f = fopen("check_ingest_scan.fail", "wb");
        if (f) {
            fwrite(text, 1, len, f);
            fclose(f);
        }
    }
    ck_assert_msg((frc == 0) == clean, "fast path %s, DOM path %s, on: %s",
                  frc == 0 ? "accepted" : "fell back",
                  clean ? "accepted" : "did not", shown(text, len));
    if (frc == 0) {
        t->fast++;
        ck_assert_msg(batch_eq(&fast, &dom), "batches differ on: %s",
                      shown(text, len));
        ingest_batch_free(&fast);
        ingest_batch_free(&dom);
        return 1;
    }
    return 0;
}

static void compare_str(const char *text, int want_fast)
{
    struct tally t = {0};
    ck_assert_int_eq(compare(text, strlen(text), &t), want_fast);
}

/* ---- hand-written cases -------------------------------------------------- */

START_TEST(known_texts)
{
    compare_str("{}", 1);
    compare_str(" { \"records\" : [ ] , \"on_error\" : null } ", 1);
    compare_str("{\"records\":[{\"ts\":1,\"from\":\"a\",\"to\":\"b\","
                "\"kind\":\"k\"}]}",
                1);
    compare_str("{\"people\":[{\"id\":\"a\",\"s\\u00e9\":\"x\"}]}", 0);
    compare_str("{\"people\":[{\"id\":\"a\",\"s\":\"\\u00e9\\ud83d\\ude00"
                "\\t\",\"t\":null}]}",
                1);
    compare_str("{\"records\":[{\"ts\":1,\"from\":\"a\",\"to\":\"b\","
                "\"kind\":\"k\",\"weight\":-0.0}]}",
                1);
    compare_str("{\"records\":[{\"ts\":1,\"from\":\"a\",\"to\":\"b\","
                "\"kind\":\"k\",\"weight\":1e400}]}",
                0); /* jansson: real number overflow */
    compare_str("{\"records\":[{\"ts\":1,\"from\":\"a\",\"to\":\"b\","
                "\"kind\":\"k\",\"weight\":1e-400}]}",
                1); /* underflow is accepted */
    compare_str("{\"records\":[{\"ts\":9223372036854775808,\"from\":\"a\","
                "\"to\":\"b\",\"kind\":\"k\"}]}",
                0);
    compare_str("{\"records\":[{\"ts\":1,\"from\":\"a\",\"to\":\"b\","
                "\"kind\":\"k\",\"ts\":1}]}",
                0); /* a duplicate key */
    compare_str("{\"records\":[{\"ts\":1,\"from\":\"a\\u0000\",\"to\":\"b\","
                "\"kind\":\"k\"}]}",
                0);
    compare_str("{\"records\":[{\"ts\":1,\"from\":\"\\ud800\",\"to\":\"b\","
                "\"kind\":\"k\"}]}",
                0);
    compare_str("{\"records\":[{\"ts\":1,\"from\":\"\xed\xa0\x80\",\"to\":"
                "\"b\",\"kind\":\"k\"}]}",
                0); /* an encoded surrogate */
    compare_str("{\"records\":[{\"ts\":1,\"from\":\"\xc3\xa9\",\"to\":"
                "\"b\",\"kind\":\"k\"}]}",
                1);
    compare_str("{\"events\":[{\"ts\":\"2024-01-01T10:00:00+01:00\","
                "\"kind\":\"m\",\"participants\":[\"a\",\"b\",\"a\"]}],"
                "\"on_error\":\"skip\"}",
                1);
    compare_str("{\"events\":[{\"ts\":1,\"kind\":\"m\",\"participants\":"
                "[\"a\",\"a\"]}]}",
                0);
    compare_str("{\"records\":[{\"ts\":01,\"from\":\"a\",\"to\":\"b\","
                "\"kind\":\"k\"}]}",
                0);
    compare_str("{\"records\":null,\"people\":null,\"events\":null}", 1);
    compare_str("{\"on_error\":\"skip\",\"on_error\":\"skip\"}", 0);
}
END_TEST

/* ---- the fuzzer ------------------------------------------------------------
 */

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)((rng >> 11) % n);
}

struct out {
    char *p;
    size_t len, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        o->cap = (o->len + n + 1) * 2;
        o->p = realloc(o->p, o->cap);
        ck_assert_ptr_nonnull(o->p);
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void ws(struct out *o)
{
    static const char *const w[] = {"", "", "", "", " ", "\n", "\t ", "\r\n"};
    puts_(o, w[rnd(8)]);
}

/* A JSON string drawn from pieces that exercise the decoder. */
static void jstr(struct out *o, const char *const *pieces, size_t n, int max)
{
    puts_(o, "\"");
    int k = 1 + (int)rnd((uint32_t)max);
    for (int i = 0; i < k; i++)
        puts_(o, pieces[rnd((uint32_t)n)]);
    puts_(o, "\"");
}

static const char *const id_pieces[] = {"a",
                                        "b",
                                        "p-1",
                                        "x",
                                        "\\u0041",
                                        "\\u00e9",
                                        "\xc3\xa9",
                                        "\\/",
                                        "\\ud83d\\ude00",
                                        "\xf0\x9f\x98\x80",
                                        "\\\"",
                                        "\\\\",
                                        "7",
                                        "\x7f",
                                        "zz"};
static const char *const val_pieces[] = {
    "v", "\\t", "\\n", " ", "\\u20ac", "\xe2\x82\xac", "long-value", "\\b"};
static const char *const attr_names[] = {
    "\"sector\"", "\"org\"",        "\"role\"", "\"_x\"",
    "\"a.b-c\"",  "\"s\\u0065ct\"", "\"9bad\"", "\"\""};
static const char *const ts_values[] = {"0",
                                        "1700000000",
                                        "-62135596800",
                                        "253402300799",
                                        "-1",
                                        "\"2024-01-01\"",
                                        "\"2024-01-01T08:30:21Z\"",
                                        "\"2024-02-29 10:00+01:00\"",
                                        "\"2024-01-01T08:30:21.5Z\"",
                                        "1.0",
                                        "253402300800",
                                        "\"2023-02-29\""};
static const char *const weight_values[] = {"1",
                                            "0",
                                            "2.5",
                                            "1e2",
                                            "1E-2",
                                            "0.000001",
                                            "-0",
                                            "-0.0",
                                            "null",
                                            "12345678901234567",
                                            "3.14159265358979323846",
                                            "-1",
                                            "1.5e+3",
                                            "\"1\""};

static void key(struct out *o, const char *k)
{
    ws(o);
    puts_(o, "\"");
    puts_(o, k);
    puts_(o, "\"");
    ws(o);
    puts_(o, ":");
    ws(o);
}

static void gen_person(struct out *o)
{
    puts_(o, "{");
    int n = (int)rnd(5);
    int id_at = (int)rnd((uint32_t)n + 1);
    int first = 1;
    for (int i = 0; i <= n; i++) {
        if (!first)
            puts_(o, ",");
        first = 0;
        if (i == id_at) {
            key(o, "id");
            jstr(o, id_pieces, sizeof id_pieces / sizeof *id_pieces, 3);
        } else {
            ws(o);
            puts_(o, attr_names[rnd(6)]); /* mostly valid names */
            ws(o);
            puts_(o, ":");
            ws(o);
            if (rnd(4) == 0)
                puts_(o, "null");
            else
                jstr(o, val_pieces, sizeof val_pieces / sizeof *val_pieces, 4);
        }
        ws(o);
    }
    puts_(o, "}");
}

static void gen_record(struct out *o)
{
    /* fields in a random order; optional ones sometimes absent */
    int order[7] = {0, 1, 2, 3, 4, 5, 6};
    for (int i = 6; i > 0; i--) {
        int k = (int)rnd((uint32_t)i + 1), t = order[i];
        order[i] = order[k];
        order[k] = t;
    }
    puts_(o, "{");
    int first = 1;
    for (int i = 0; i < 7; i++) {
        int f = order[i];
        if ((f == 0 || f == 5 || f == 6) && rnd(3) == 0)
            continue;
        if (!first)
            puts_(o, ",");
        first = 0;
        switch (f) {
        case 0:
            key(o, "id");
            if (rnd(5) == 0)
                puts_(o, "null");
            else
                jstr(o, id_pieces, sizeof id_pieces / sizeof *id_pieces, 4);
            break;
        case 1:
            key(o, "ts");
            puts_(o, ts_values[rnd(rnd(4) ? 9 : 12)]);
            break;
        case 2:
            key(o, "from");
            jstr(o, id_pieces, 4, 2);
            break;
        case 3:
            key(o, "to");
            jstr(o, id_pieces, sizeof id_pieces / sizeof *id_pieces, 2);
            break;
        case 4:
            key(o, "kind");
            jstr(o, val_pieces, sizeof val_pieces / sizeof *val_pieces, 2);
            break;
        case 5:
            key(o, "weight");
            puts_(o, weight_values[rnd(rnd(4) ? 11 : 14)]);
            break;
        default:
            key(o, "directed");
            puts_(o, rnd(3) == 0 ? "null" : rnd(2) ? "true" : "false");
            break;
        }
        ws(o);
    }
    puts_(o, "}");
}

static void gen_event(struct out *o)
{
    puts_(o, "{");
    key(o, "ts");
    puts_(o, ts_values[rnd(9)]);
    puts_(o, ",");
    key(o, "kind");
    jstr(o, val_pieces, 3, 2);
    if (rnd(2)) {
        puts_(o, ",");
        key(o, "weight");
        puts_(o, weight_values[rnd(11)]);
    }
    if (rnd(2)) {
        puts_(o, ",");
        key(o, "id");
        jstr(o, id_pieces, 4, 3);
    }
    puts_(o, ",");
    key(o, "participants");
    puts_(o, "[");
    int n = 1 + (int)rnd(5);
    for (int i = 0; i < n; i++) {
        if (i)
            puts_(o, ",");
        ws(o);
        jstr(o, id_pieces, 5, 1);
    }
    puts_(o, "]}");
}

static void gen_list(struct out *o, void (*item)(struct out *), int max)
{
    puts_(o, "[");
    int n = (int)rnd((uint32_t)max + 1);
    for (int i = 0; i < n; i++) {
        if (i)
            puts_(o, ",");
        ws(o);
        item(o);
        ws(o);
    }
    puts_(o, "]");
}

static void gen_params(struct out *o)
{
    o->len = 0;
    ws(o);
    puts_(o, "{");
    int first = 1;
    int order[4] = {0, 1, 2, 3};
    for (int i = 3; i > 0; i--) {
        int k = (int)rnd((uint32_t)i + 1), t = order[i];
        order[i] = order[k];
        order[k] = t;
    }
    for (int i = 0; i < 4; i++) {
        if (rnd(3) == 0)
            continue;
        if (!first)
            puts_(o, ",");
        first = 0;
        switch (order[i]) {
        case 0:
            key(o, "people");
            gen_list(o, gen_person, 3);
            break;
        case 1:
            key(o, "records");
            gen_list(o, gen_record, 4);
            break;
        case 2:
            key(o, "events");
            gen_list(o, gen_event, 2);
            break;
        default:
            key(o, "on_error");
            puts_(o, rnd(3) == 0 ? "null" : rnd(2) ? "\"skip\"" : "\"reject\"");
            break;
        }
        ws(o);
    }
    puts_(o, "}");
    ws(o);
}

static void mutate(struct out *o)
{
    static const char bytes[] = "{}[]\",:\\u0123456789-+.eEtfn \x00\x01\x1f"
                                "\x7f\x80\xbf\xc0\xc3\xe0\xed\xf0\xf4\xf5\xff";
    /* UTF-8 and escapes at the edges of validity, mostly landing inside
     * strings (most bytes of a text are) */
    static const char *const seqs[] = {"\xe0\xa0\x80",
                                       "\xe0\x9f\xbf",
                                       "\xed\x9f\xbf",
                                       "\xed\xa0\x80",
                                       "\xef\xbf\xbf",
                                       "\xf0\x90\x80\x80",
                                       "\xf0\x8f\xbf\xbf",
                                       "\xf4\x8f\xbf\xbf",
                                       "\xf4\x90\x80\x80",
                                       "\xc2\x80",
                                       "\xc1\xbf",
                                       "\xdf\xbf",
                                       "\xe2\x82",
                                       "\xf5\x80\x80\x80",
                                       "\\ud800",
                                       "\\udc00",
                                       "\\ud800\\udc00",
                                       "\\udbff\\udfff",
                                       "\\uDBFF\\uDFFF",
                                       "\\ud800\\u0041",
                                       "\\ud800\\ud800",
                                       "\\udbff\\ue000",
                                       "\\ud800x",
                                       "\\u0000",
                                       "\\u00",
                                       "\\x",
                                       "\\U0041",
                                       "\\u0041",
                                       "\\uffff",
                                       "\\ufeff",
                                       "\\u001f",
                                       "\\/"};
    int n = 1 + (int)rnd(3);
    for (int m = 0; m < n && o->len > 0; m++) {
        size_t at = rnd((uint32_t)o->len);
        char c = bytes[rnd(sizeof bytes - 1)];
        switch (rnd(6)) {
        case 5: { /* insert a sequence */
            const char *q = seqs[rnd(sizeof seqs / sizeof *seqs)];
            size_t span = strlen(q);
            put(o, q, span); /* room */
            memmove(o->p + at + span, o->p + at, o->len - span - at);
            memcpy(o->p + at, q, span);
            break;
        }
        case 0: /* delete a byte */
            memmove(o->p + at, o->p + at + 1, o->len - at - 1);
            o->len--;
            break;
        case 1: /* replace a byte */
            o->p[at] = c;
            break;
        case 2:            /* insert a byte */
            put(o, "", 1); /* room */
            memmove(o->p + at + 1, o->p + at, o->len - at - 1);
            o->p[at] = c;
            break;
        case 3: { /* repeat a short span (duplicate keys, items) */
            size_t span = 1 + rnd(24);
            if (at + span > o->len)
                span = o->len - at;
            char tmp[32];
            memcpy(tmp, o->p + at, span);
            size_t to = rnd((uint32_t)o->len + 1);
            put(o, tmp, span);
            memmove(o->p + to + span, o->p + to, o->len - span - to);
            memcpy(o->p + to, tmp, span);
            break;
        }
        default: /* truncate */
            o->len = at;
            break;
        }
    }
}

START_TEST(fuzz_against_jansson)
{
    struct out o = {0};
    struct tally t = {0};
    remove("check_ingest_scan.fail");
    unsigned long valid_fast = 0, valid = 0;
    for (int i = 0; i < 20000; i++) {
        gen_params(&o);
        int f = compare(o.p, o.len, &t);
        valid++;
        valid_fast += (unsigned long)f;
        for (int m = 0; m < 8; m++) {
            gen_params(&o);
            mutate(&o);
            compare(o.p, o.len, &t);
        }
    }
    free(o.p);
    fprintf(stderr,
            "# fuzz: %lu texts, fast path took %lu; jansson: %lu parse "
            "errors, %lu clean, %lu with problems; %lu of %lu unmutated "
            "taken\n",
            t.fast + t.parse_error + t.dom_other, t.fast, t.parse_error,
            t.dom_clean, t.dom_other, valid_fast, valid);
    /* The generator must exercise both sides of every decision. */
    ck_assert_uint_gt(t.fast, 3000);
    ck_assert_uint_gt(t.parse_error, 10000);
    ck_assert_uint_gt(t.dom_other, 10000);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ingest_scan");
    TCase *tc = tcase_create("ingest_scan");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, known_texts);
    tcase_add_test(tc, fuzz_against_jansson);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
