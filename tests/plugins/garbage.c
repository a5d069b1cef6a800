/* garbage.c - a hostile test plugin whose run() writes random bytes to
 * every file descriptor 0..255 and then returns 0 as if it succeeded.
 * Whatever the daemon left open in the child gets the bytes: the pipe the
 * result goes back through (the daemon must notice the garbage and report
 * it), and anything it forgot to close (client sockets, the database),
 * which the tests then check is intact. */
#include <spand/plugin.h>
#include <stdint.h>
#include <unistd.h>

static const spand_column_t columns[] = {
    {SPAND_TABLE_NETWORK, "zero", SPAND_INT, "never set: run() misbehaves"},
};

static int run(void *state, const spand_api_t *api, spand_run_t *r,
               const spand_view_t *v)
{
    (void)state;
    (void)v;
    (void)api;
    (void)r;
    uint64_t x = 0x9e3779b97f4a7c15u;
    unsigned char buf[1024];
    for (int fd = 0; fd < 256; fd++) {
        for (size_t i = 0; i < sizeof buf; i++) {
            x ^= x << 13; /* xorshift64 */
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = (unsigned char)x;
        }
        ssize_t n = write(fd, buf, sizeof buf);
        (void)n; /* most descriptors are not open: EBADF */
    }
    return 0;
}

static const spand_plugin_t plugin = {
    SPAND_PLUGIN_HEADER,
    .name = "garbage",
    .version = "1.0",
    .summary = "test plugin: writes random bytes to every file descriptor",
    .licence = "MIT",
    .columns = columns,
    .ncolumns = 1,
    .run = run,
};

SPAND_PLUGIN_EXPORT(plugin)
