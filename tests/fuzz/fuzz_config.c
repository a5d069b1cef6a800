/* fuzz_config.c - libFuzzer harness: the config parser (daemon/config.c).
 *
 * The input is a config file (given to config_load() through a memfd, so
 * nothing touches the disk). It either fails with a message or loads; a
 * loaded config printed as spand -t prints it (config_print) is itself a
 * config that loads and prints the same text. Anything else aborts. (One
 * exception: a relative path made absolute can make its printed line
 * longer than a config line may be; the reload must then refuse it as
 * such.) */
#define _GNU_SOURCE /* memfd_create */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"

/* Load text[0..n) as a config file; its printed form in *printed. */
static int load_print(const void *text, size_t n, char **printed, char *err,
                      size_t errlen)
{
    int fd = memfd_create("fuzz-config", MFD_CLOEXEC);
    if (fd < 0)
        abort();
    if (n && write(fd, text, n) != (ssize_t)n)
        abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    config_t cfg;
    int rc = config_load(path, &cfg, err, errlen);
    close(fd);
    if (rc != 0)
        return rc;
    size_t len;
    FILE *out = open_memstream(printed, &len);
    if (!out)
        abort();
    config_print(&cfg, out);
    fclose(out);
    config_free(&cfg);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    char *first = NULL, *second = NULL;
    if (load_print(data, size, &first, err, sizeof err) != 0) {
        if (!err[0])
            abort(); /* a refusal always says why */
        return 0;
    }
    err[0] = '\0';
    if (load_print(first, strlen(first), &second, err, sizeof err) != 0 &&
        !strstr(err, "longer than")) {
        fprintf(stderr, "the printed config does not load: %s\n%s", err, first);
        abort();
    }
    if (second && strcmp(first, second) != 0) {
        fprintf(stderr, "printed twice differently:\n%s---\n%s", first, second);
        abort();
    }
    free(first);
    free(second);
    return 0;
}
