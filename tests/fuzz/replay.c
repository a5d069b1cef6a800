/* replay.c - runs a libFuzzer harness over its committed corpus, without
 * libFuzzer, as a `make check` test (tests/fuzz/replay_NAME).
 *
 * FUZZ_NAME (set at compile time) names the harness linked in; every file
 * of $SPAND_SRCDIR/tests/fuzz/corpus/FUZZ_NAME (the seeds and the inputs
 * of crashes found and fixed) goes through LLVMFuzzerTestOneInput once,
 * so that the normal and the sanitizer build check every regression input
 * with the compiler of the build, and clang is not needed for it. A
 * harness reports a problem by aborting (or through the sanitizer), which
 * fails the test; each input passed is one TAP line. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_NAME
#error "compile with -DFUZZ_NAME='\"name\"'"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    unsigned char *p = malloc(cap);
    size_t got;
    while (p && (got = fread(p + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *q = realloc(p, cap *= 2);
            if (!q) {
                free(p);
                p = NULL;
            }
            p = q;
        }
    }
    fclose(f);
    *len = n;
    return p;
}

int main(void)
{
    const char *top = getenv("SPAND_SRCDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", top ? top : ".",
             FUZZ_NAME);
    DIR *d = opendir(dir);
    if (!d) {
        printf("1..1\nnot ok 1 - cannot open %s\n", dir);
        return 1;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char **more = realloc(names, (n + 1) * sizeof *names);
        if (!more || !(more[n] = strdup(e->d_name)))
            abort();
        names = more;
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    printf("1..%zu\n", n);
    fflush(stdout);
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len;
        unsigned char *data = slurp(path, &len);
        if (!data) {
            printf("not ok %zu - %s: cannot read\n", i + 1, names[i]);
            failed = 1;
        } else {
            /* A copy of exactly len bytes, as libFuzzer gives. */
            unsigned char *copy = malloc(len ? len : 1);
            if (!copy)
                abort();
            memcpy(copy, data, len);
            free(data);
            LLVMFuzzerTestOneInput(copy, len);
            free(copy);
            printf("ok %zu - %s %s\n", i + 1, FUZZ_NAME, names[i]);
        }
        fflush(stdout);
        free(names[i]);
    }
    free(names);
    return failed;
}
