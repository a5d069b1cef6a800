/* fuzz_ingest.c - libFuzzer harness: the streaming ingest parser
 * (ingest_scan, daemon/ingest.c) against the DOM path (json_loadb with
 * JSON_REJECT_DUPLICATES, then ingest_parse), as tests/unit/
 * check_ingest_scan.c does with generated input.
 *
 * The contract: ingest_scan accepts a params text exactly when the DOM
 * path accepts it with nothing rejected, and then yields the same batch
 * (same items in the same order, same strings, same numbers bit for bit).
 * Any difference aborts. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"

/* Small limits, so that the fuzzer reaches them with short inputs. */
static const ingest_limits_t lim = {
    .max_id_bytes = 16, .max_value_bytes = 32, .max_rejects = 100};

static int str_eq(ingest_str_t a, ingest_str_t b)
{
    if (!a.s || !b.s)
        return !a.s && !b.s;
    return a.len == b.len && memcmp(a.s, b.s, a.len) == 0;
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes, so that ASan sees any read past the
     * end. */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    ingest_batch_t fast, dom;
    jscan_t j = {text, text + size};
    int frc = ingest_scan(&j, &lim, &fast);
    if (frc == -ENOMEM)
        goto out;
    if (frc != 0 && frc != INGEST_SCAN_FALLBACK)
        abort();
    if (frc == 0) {
        jscan_ws(&j);
        if (j.p != j.end) { /* trailing bytes: not one params object */
            ingest_batch_free(&fast);
            frc = INGEST_SCAN_FALLBACK;
        }
    }
    json_error_t je;
    json_t *doc =
        json_loadb(text, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    int clean = 0;
    char err[256];
    if (doc) {
        int drc = ingest_parse(doc, &lim, &dom, err, sizeof err);
        if (drc == 0) {
            clean = dom.rejected_count == 0;
            if (!clean)
                ingest_batch_free(&dom);
        }
        json_decref(doc);
    }
    /* The fast path may hand anything to the DOM path (a fallback costs
     * speed, never correctness: a number of 100 digits does, found by CI's
     * fuzzing); what it accepts, the DOM path must accept too. */
    if (frc == 0 && !clean) {
        fprintf(stderr, "fast path accepted, DOM path did not\n");
        abort();
    }
    if (frc == 0) {
        if (!batch_eq(&fast, &dom)) {
            fprintf(stderr, "the batches differ\n");
            abort();
        }
        ingest_batch_free(&fast);
    }
    if (clean)
        ingest_batch_free(&dom);
out:
    free(text);
    return 0;
}
