/* fsynccount.c - an LD_PRELOAD shim for the durability test: it records
 * every fsync(2) and fdatasync(2) of the process it is loaded into.
 *
 * With FSYNCCOUNT_LOG=path set, each call appends one line to path:
 *   "<fn> <fd> <start_ns> <end_ns> <file>\n"
 * start and end are CLOCK_MONOTONIC (the clock Python's time.monotonic_ns
 * reads, shared by every process of the machine) taken just before the
 * real call and just after it returned, so a test can tell whether a
 * sync had finished before a reply arrived. <file> is the descriptor's
 * target from /proc/self/fd. One write(2) per line on an O_APPEND
 * descriptor keeps lines whole across threads and processes. Without the
 * variable the shim only passes calls through. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_NEXT */
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int log_fd = -1;

__attribute__((constructor)) static void fsynccount_init(void)
{
    real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    const char *path = getenv("FSYNCCOUNT_LOG");
    if (path && *path)
        log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void record(const char *fn, int fd, long long start, long long end)
{
    if (log_fd < 0)
        return;
    char proc[64], target[512], line[700];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(proc, target, sizeof target - 1);
    target[n < 0 ? 0 : n] = '\0';
    int len = snprintf(line, sizeof line, "%s %d %lld %lld %s\n", fn, fd, start,
                       end, n < 0 ? "?" : target);
    if (len > 0 && (size_t)len < sizeof line) {
        ssize_t w = write(log_fd, line, (size_t)len);
        (void)w;
    }
}

static int traced(const char *fn, int (*real)(int), int fd)
{
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    int saved = errno;
    long long start = now_ns();
    int rc = real(fd);
    int err = errno;
    record(fn, fd, start, now_ns());
    errno = rc < 0 ? err : saved;
    return rc;
}

int fsync(int fd)
{
    return traced("fsync", real_fsync, fd);
}

int fdatasync(int fd)
{
    return traced("fdatasync", real_fdatasync, fd);
}
