/* hostile.c - a test plugin that misbehaves at run time in the way its
 * parameter `do` names, for tests/integration/test_hostile_run.py:
 *   ok        set the network cell to 1 and return (well behaved)
 *   sleep     sleep `ms` milliseconds, then as ok (without polling
 *             cancelled(): only a kill stops it early)
 *   fork      fork a process that keeps the result pipe open for a minute,
 *             then as ok
 *   daemonize the same through setsid() and a double fork, so that the
 *             process left has neither our parent nor our group
 *   stdout    write a megabyte to standard output, then as ok
 *   spam      write bytes to the result pipe (fd 5) without end
 *   progress  write progress lines to the result pipe without end
 *   closefds  close every descriptor, then loop forever
 *   alloc     allocate 30 GB and write every page
 *   signals   ignore or block every signal it can, then loop forever
 *   segv      write through a null pointer
 *   exit      call exit(0) in the middle of run()
 * Processes it leaves behind are named "hostile-stray" (comm), so that a
 * test can look for survivors. Built twice: as "hostile" and, with
 * HOSTILE_NAME, as "holder" (run in a thread by the tests' configuration,
 * to hold the igraph lock for `ms`). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdint.h>
#include <spand/plugin.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#ifndef HOSTILE_NAME
#define HOSTILE_NAME "hostile"
#endif

static const spand_param_t params[] = {
    {"do", SPAND_STRING, "ok", "what to do (see hostile.c)"},
    {"ms", SPAND_INT, "1000", "milliseconds, for sleep"},
    {"secret", SPAND_STRING, "", "a value that must not show in ps"},
};

static const spand_column_t columns[] = {
    {SPAND_TABLE_NETWORK, "value", SPAND_INT, "1 when run() got to the end"},
};

static volatile unsigned long spins;

static void spin(void)
{
    for (;;)
        spins++;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void stray(void)
{
    prctl(PR_SET_NAME, "hostile-stray");
    nap_ms(60000);
    _exit(0);
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static int run(void *state, const spand_api_t *api, spand_run_t *r,
               const spand_view_t *v)
{
    (void)state;
    (void)v;
    const char *what = api->param_string(r, "do");
    if (!strcmp(what, "sleep")) {
        nap_ms((long)api->param_int(r, "ms"));
    } else if (!strcmp(what, "fork")) {
        if (fork() == 0)
            stray();
    } else if (!strcmp(what, "daemonize")) {
        if (fork() == 0) {
            setsid();
            if (fork() == 0)
                stray();
            _exit(0);
        }
        nap_ms(100); /* the middle process is gone: the stray is orphaned */
    } else if (!strcmp(what, "stdout")) {
        static char mb[1 << 20];
        memset(mb, 'x', sizeof mb);
        write_all(STDOUT_FILENO, mb, sizeof mb);
    } else if (!strcmp(what, "spam")) {
        static char junk[65536];
        memset(junk, 'j', sizeof junk);
        for (;;)
            write_all(5, junk, sizeof junk);
    } else if (!strcmp(what, "progress")) {
        for (;;) {
            write_all(5, "P 0.5000\n", 9);
            nap_ms(1);
        }
    } else if (!strcmp(what, "closefds")) {
        for (int fd = 0; fd < 65536; fd++)
            close(fd);
        spin();
    } else if (!strcmp(what, "alloc")) {
        size_t n = (size_t)30 << 30;
        char *p = malloc(n);
        if (!p) {
            p = mmap(NULL, n, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (p == MAP_FAILED)
                return 1;
        }
        for (size_t off = 0; off < n; off += 4096)
            p[off] = 1;
    } else if (!strcmp(what, "signals")) {
        for (int sig = 1; sig < NSIG; sig++)
            signal(sig, SIG_IGN);
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL);
        spin();
    } else if (!strcmp(what, "segv")) {
        *(volatile int *)(uintptr_t)spins = 1;
    } else if (!strcmp(what, "exit")) {
        exit(0);
    }
    api->set(r, SPAND_TABLE_NETWORK, 0, 0, 1);
    return 0;
}

static const spand_plugin_t plugin = {
    SPAND_PLUGIN_HEADER,
    .name = HOSTILE_NAME,
    .version = "1.0",
    .summary = "test plugin: misbehaves at run time as asked",
    .licence = "MIT",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .columns = columns,
    .ncolumns = sizeof columns / sizeof columns[0],
    .run = run,
};

SPAND_PLUGIN_EXPORT(plugin)
