/* spand.c - the daemon's entry point: options, backgrounding, main loop.
 *
 * Configuration errors are found before the fork, so they reach the
 * terminal; the background child reports whether it opened the database
 * and the socket through a pipe, so `spand` only exits 0 once it serves. */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <igraph.h>
#include <jansson.h>
#include <malloc.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "config.h"
#include "engine.h"
#include "log.h"
#include "loader.h"
#include "privacy.h"
#include "server.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: spand [-f] [-c FILE] [-t] [-h|--help] [-V|--version]\n"
            "  -f             stay in the foreground (default under systemd)\n"
            "  -c FILE        read configuration from FILE (default: none;\n"
            "                 built-in defaults put spand.sock and spand.db\n"
            "                 in the current directory)\n"
            "  -t             check the configuration, print it and exit 0\n"
            "                 (valid) or 1\n"
            "  -h, --help     show this help\n"
            "  -V, --version  show the version\n");
}

/* Tell systemd (Type=notify) about our state; a no-op elsewhere. */
static void sd_notify_state(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || (path[0] != '/' && path[0] != '@'))
        return;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(path);
    if (n >= sizeof sa.sun_path)
        return;
    memcpy(sa.sun_path, path, n);
    if (sa.sun_path[0] == '@')
        sa.sun_path[0] = '\0'; /* abstract namespace */
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    ssize_t w =
        sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
               (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
    (void)w;
    close(fd);
}

static int check_dir_of(const char *what, const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    if (access(dir, W_OK | X_OK) < 0) {
        fprintf(stderr, "spand: %s directory %s: %s\n", what, dir,
                strerror(errno));
        return -1;
    }
    return 0;
}

static int check_config(const config_t *cfg)
{
    config_print(cfg, stdout);
    int bad = 0;
    bad |= check_dir_of("socket", cfg->socket) < 0;
    bad |= check_dir_of("database", cfg->database) < 0;
    /* The plugins, as the daemon would load them. */
    loader_registry_t reg;
    loader_init(&reg);
    loader_scan(&reg, cfg->builtin_dir, cfg->plugin_dir, engine_api(), NULL);
    printf("\n# plugins\n");
    for (size_t i = 0; i < reg.n; i++)
        printf("# ok       %-20s %s %s%s\n", reg.items[i]->name,
               reg.items[i]->desc->version, reg.items[i]->file,
               reg.items[i]->builtin ? " (built in)" : " (third-party)");
    for (size_t i = 0; i < json_array_size(reg.refused); i++) {
        json_t *r = json_array_get(reg.refused, i);
        printf("# refused  %s: %s\n",
               json_string_value(json_object_get(r, "file")),
               json_string_value(json_object_get(r, "reason")));
    }
    for (size_t i = 0; i < json_array_size(reg.dirs); i++) {
        json_t *d = json_array_get(reg.dirs, i);
        printf("# looked in %s (%s): %s\n",
               json_string_value(json_object_get(d, "dir")),
               json_string_value(json_object_get(d, "kind")),
               json_string_value(json_object_get(d, "status")));
    }
    if (!reg.n && !json_array_size(reg.refused))
        printf("# none found in %s or %s\n", cfg->builtin_dir, cfg->plugin_dir);
    /* A plugin the daemon would refuse is a problem to fix, not a note. */
    bad |= json_array_size(reg.refused) > 0;
    loader_free(&reg);
    printf("# configuration %s\n", bad ? "has problems" : "OK");
    return bad ? 1 : 0;
}

static int write_pidfile(const char *path)
{
    /* The pidfile often sits in a directory others can write to: never
     * follow a symlink planted there (O_NOFOLLOW), never block on a FIFO
     * (O_NONBLOCK), and truncate only a regular file with one name, so
     * the daemon cannot be made to overwrite another file. */
    int fd = open(
        path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (errno == ELOOP)
            log_err("pidfile %s is a symbolic link: refusing to follow it, "
                    "no pidfile written",
                    path);
        else
            log_err("pidfile %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
        log_err("pidfile %s is not a regular file with a single name: "
                "refusing to write it",
                path);
        close(fd);
        return -1;
    }
    char line[32];
    int n = snprintf(line, sizeof line, "%ld\n", (long)getpid());
    int rc = ftruncate(fd, 0) == 0 && write(fd, line, (size_t)n) == n ? 0 : -1;
    if (rc < 0)
        log_err("pidfile %s: %s", path, strerror(errno));
    if (close(fd) < 0)
        rc = -1;
    return rc;
}

/* Fork into the background. Returns in the child with *report_fd set to
 * the pipe on which it must write "" (ready) or an error message, then
 * close. The parent waits for that word and exits with it. */
static int daemonize(int *report_fd)
{
    int p[2];
    if (pipe(p) < 0) {
        fprintf(stderr, "spand: pipe: %s\n", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "spand: fork: %s\n", strerror(errno));
        return -1;
    }
    if (pid > 0) {
        close(p[1]);
        char msg[1024];
        ssize_t n, got = 0;
        while ((n = read(p[0], msg + got, sizeof msg - 1 - (size_t)got)) > 0)
            got += n;
        msg[got < 0 ? 0 : got] = '\0';
        if (got == 0) {
            fprintf(stderr, "spand: the daemon exited during start-up\n");
            _exit(1);
        }
        if (strcmp(msg, "ok") != 0) {
            fprintf(stderr, "spand: %s\n", msg);
            _exit(1);
        }
        _exit(0);
    }
    close(p[0]);
    if (setsid() < 0)
        return -1;
    if (chdir("/") < 0)
        return -1;
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        close(null);
    }
    *report_fd = p[1];
    return 0;
}

static void report(int fd, const char *msg)
{
    if (fd < 0)
        return;
    ssize_t w = write(fd, msg, strlen(msg));
    (void)w;
    close(fd);
}

int main(int argc, char **argv)
{
    /* Everything spand creates holds personal data or leads to it
     * (database, WAL, key, log, temporary exports): owner only, whatever
     * umask it was started with. The socket gets socket_mode explicitly. */
    umask(077);
    /* An isolated analysis: a separate role of this same binary. */
    if (argc > 1 && strcmp(argv[1], "--analysis-child") == 0)
        return engine_child_main(argc, argv);
    /* A plugin being loaded for the first time (loader.c). */
    if (argc > 1 && strcmp(argv[1], "--scan-child") == 0)
        return loader_scan_child_main(argc, argv, engine_api());
    const char *conf_path = NULL;
    int foreground = 0, test_only = 0, opt;
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    while ((opt = getopt_long(argc, argv, "fc:thV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'f':
            foreground = 1;
            break;
        case 'c':
            conf_path = optarg;
            break;
        case 't':
            test_only = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("spand %s\n", PACKAGE_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "spand: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (getenv("NOTIFY_SOCKET") || getenv("INVOCATION_ID"))
        foreground = 1; /* systemd supervises; forking would confuse it */

    config_t cfg;
    char err[1024];
    if (config_load(conf_path, &cfg, err, sizeof err) < 0) {
        /* One line per problem of the file, each prefixed. */
        for (char *line = strtok(err, "\n"); line; line = strtok(NULL, "\n"))
            fprintf(stderr, "spand: %s\n", line);
        return 1;
    }
    if (test_only) {
        log_set_level(LOG_WARNING); /* verdicts are printed, not logged */
        int rc = check_config(&cfg);
        config_free(&cfg);
        return rc;
    }
    log_set_level(cfg.log_level);
    signal(SIGPIPE, SIG_IGN);
    json_object_seed(0); /* before any thread creates JSON objects */
    /* An igraph failure returns an error instead of aborting the daemon. */
    igraph_set_error_handler(igraph_error_handler_printignore);
    /* Ingest batches allocate and free megabytes at a time; glibc's
     * defaults would hand that memory back to the kernel after every
     * batch and fault fresh zeroed pages in for the next one. Keep it. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);

    int report_fd = -1;
    if (!foreground) {
        if (daemonize(&report_fd) < 0)
            return 1;
        if (cfg.log_file) {
            /* 0600 whatever the umask, like the database: the log
             * tells who connected and what failed. */
            int fd = open(cfg.log_file,
                          O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
            if (fd < 0) {
                snprintf(err, sizeof err, "log_file %s: %s", cfg.log_file,
                         strerror(errno));
                report(report_fd, err);
                return 1;
            }
            dup2(fd, STDERR_FILENO);
            close(fd);
        } else {
            log_use_syslog("spand");
        }
    }

    uv_loop_t loop;
    if (uv_loop_init(&loop) < 0) {
        report(report_fd, "cannot initialise the event loop");
        return 1;
    }
    /* The pseudonym key, made at first start (privacy.h). */
    unsigned char pkey[PRIVACY_KEY_BYTES];
    if (privacy_key_open(cfg.key_file, pkey, err, sizeof err) < 0) {
        if (report_fd >= 0)
            report(report_fd, err);
        else
            fprintf(stderr, "spand: %s\n", err);
        uv_loop_close(&loop);
        return 1;
    }
    privacy_set_key(pkey);
    sodium_memzero(pkey, sizeof pkey);
    char *pidfile = cfg.pidfile ? strdup(cfg.pidfile) : NULL;
    char *socket = strdup(cfg.socket);
    server_t *srv;
    if (server_start(&loop, &cfg, &srv, err, sizeof err) < 0) {
        log_err("%s", err);
        if (report_fd >= 0)
            report(report_fd, err);
        else
            fprintf(stderr, "spand: %s\n", err);
        free(pidfile);
        free(socket);
        uv_loop_close(&loop);
        return 1;
    }
    if (pidfile && write_pidfile(pidfile) < 0) {
        free(pidfile);
        pidfile = NULL;
    }
    log_notice("spand %s listening on %s (pid %ld)", PACKAGE_VERSION,
               socket ? socket : "?", (long)getpid());
    report(report_fd, "ok");
    sd_notify_state("READY=1");

    uv_run(&loop, UV_RUN_DEFAULT);

    sd_notify_state("STOPPING=1");
    server_free(srv);
    if (uv_loop_close(&loop) != 0)
        log_warn("event loop closed with handles still open");
    if (pidfile)
        unlink(pidfile);
    free(pidfile);
    free(socket);
    return 0;
}
