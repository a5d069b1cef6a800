/* Unit tests: configuration loading (daemon/config.c). */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

static char dir[] = "/tmp/spand-check-config-XXXXXX";

static const char *write_conf(const char *text)
{
    static char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/t.conf", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

START_TEST(defaults_without_file)
{
    config_t c;
    char err[256], cwd[PATH_MAX], want[PATH_MAX + 16];
    ck_assert_int_eq(config_load(NULL, &c, err, sizeof err), 0);
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    snprintf(want, sizeof want, "%s/spand.sock", cwd);
    ck_assert_str_eq(c.socket, want);
    snprintf(want, sizeof want, "%s/spand.db", cwd);
    ck_assert_str_eq(c.database, want);
    ck_assert_uint_eq(c.socket_mode, 0660);
    ck_assert_int_eq(c.synchronous, 2);
    ck_assert_int_eq(c.log_level, LOG_INFO);
    ck_assert_uint_eq(c.max_request_bytes, 16u << 20);
    ck_assert_int_eq(c.isolation, ISOLATION_PROCESS);
    ck_assert_ptr_null(c.path);
    snprintf(want, sizeof want, "%s/spand.db.key", cwd);
    ck_assert_str_eq(c.key_file, want);
    ck_assert_uint_eq(c.min_group_size, 5);
    ck_assert_str_eq(c.identifying, "name");
    config_free(&c);
}
END_TEST

START_TEST(values_and_relative_paths)
{
    config_t c;
    char err[256], want[PATH_MAX + 32];
    const char *p = write_conf("; comment\n# another\n"
                               "[daemon]\nsocket = run/s.sock\n"
                               "socket_mode = 0600\nlog_level = debug\n"
                               "database = /var/tmp/x.db\n"
                               "[store]\nsynchronous = normal\n"
                               "[limits]\nmax_request_bytes = 2M\n"
                               "max_output_bytes = 64k\n"
                               "max_connections = 7\n"
                               "[analysis]\nisolation = thread\n"
                               "workers = 3\n[plugins]\ndir = plug\n"
                               "[isolation]\nbrokerage = process\n"
                               "mine = thread\n");
    ck_assert_int_eq(config_load(p, &c, err, sizeof err), 0);
    snprintf(want, sizeof want, "%s/run/s.sock", dir);
    ck_assert_str_eq(c.socket, want); /* relative to the config file */
    ck_assert_str_eq(c.database, "/var/tmp/x.db");
    snprintf(want, sizeof want, "%s/plug", dir);
    ck_assert_str_eq(c.plugin_dir, want);
    ck_assert_uint_eq(c.socket_mode, 0600);
    ck_assert_int_eq(c.log_level, LOG_DEBUG);
    ck_assert_int_eq(c.synchronous, 1);
    ck_assert_uint_eq(c.max_request_bytes, 2u << 20);
    ck_assert_uint_eq(c.max_output_bytes, 64u << 10);
    ck_assert_uint_eq(c.max_connections, 7);
    ck_assert_int_eq(c.isolation, ISOLATION_THREAD);
    ck_assert_uint_eq(c.workers, 3);
    /* isolation = thread overall; rules win over it for built-ins. A
     * plugin not built in always runs isolated, whatever the rules say:
     * its code is never loaded in the daemon (loader.h). */
    ck_assert_int_eq(config_isolate(&c, "brokerage", 1), 1);
    ck_assert_int_eq(config_isolate(&c, "mine", 0), 1);
    ck_assert_int_eq(config_isolate(&c, "other", 0), 1);
    c.isolation = ISOLATION_PROCESS;
    ck_assert_int_eq(config_isolate(&c, "other", 0), 1);
    ck_assert_int_eq(config_isolate(&c, "ei", 1), 0);
    config_free(&c);
}
END_TEST

static void expect_error(const char *text, const char *needle)
{
    config_t c;
    char err[512];
    const char *p = write_conf(text);
    ck_assert_int_eq(config_load(p, &c, err, sizeof err), -1);
    ck_assert_msg(strstr(err, needle) != NULL, "error \"%s\" lacks \"%s\"", err,
                  needle);
}

START_TEST(errors_name_line_and_key)
{
    expect_error("[daemon]\nsocket_mode = 0999\n", "t.conf:2");
    expect_error("[daemon]\nsocket_mode = 0999\n", "socket_mode");
    expect_error("[daemon]\nlog_level = loud\n", "log_level");
    expect_error("[limits]\nmax_connections = 0\n", "max_connections");
    expect_error("[limits]\nmax_connections = -5\n", "max_connections");
    expect_error("[limits]\nmax_request_bytes = 12x\n", "max_request_bytes");
    expect_error("[limits]\nmax_request_bytes = 99999999999G\n",
                 "max_request_bytes");
    expect_error("[limits]\nmax_conections = 5\n", "unknown key");
    expect_error("[nosuch]\nx = 1\n", "unknown key [nosuch] x");
    expect_error("[store]\nsynchronous = sometimes\n", "synchronous");
    expect_error("[analysis]\nisolation = vm\n", "isolation");
    expect_error("[isolation]\nei = sandbox\n", "[isolation] ei");
    expect_error("[daemon]\nsocket = /tmp/"
                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                 ".sock\n",
                 "longer than");
    expect_error("this is not ini\n", "t.conf:1");
}
END_TEST

/* Every problem of a file, each on its own line with its own number (the
 * handler used to report the last message under the first line). */
START_TEST(every_error_with_its_line)
{
    config_t c;
    char err[1024];
    const char *p = write_conf("[daemon]\nlog_level = info\nnosuch = 1\n"
                               "; fine\nsocket_mode = 0999\n"
                               "[limits]\nmax_groups = 0\n"
                               "not a key line\n[broken\n"
                               "max_weight = inf");
    ck_assert_int_eq(config_load(p, &c, err, sizeof err), -1);
    const char *want[] = {
        "t.conf:3: unknown key [daemon] nosuch",
        "t.conf:5: [daemon] socket_mode: \"0999\"",
        "t.conf:7: [limits] max_groups: \"0\"",
        "t.conf:8: expected \"key = value\"",
        "t.conf:9: a section header needs a closing ']'",
        "t.conf:10: [limits] max_weight: \"inf\"",
    };
    const char *line = err;
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        ck_assert_msg(line != NULL, "only %zu lines in \"%s\"", i, err);
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        const char *at = strstr(line, want[i]);
        ck_assert_msg(at && at < line + len, "line %zu of \"%s\" is not \"%s\"",
                      i + 1, err, want[i]);
        line = nl ? nl + 1 : NULL;
    }
    ck_assert_msg(line == NULL, "more lines than expected: \"%s\"", err);
    /* A small buffer is cut short, never overrun. */
    char small[40];
    memset(small, 'x', sizeof small);
    ck_assert_int_eq(config_load(p, &c, small, sizeof small), -1);
    ck_assert_uint_lt(strlen(small), sizeof small);
}
END_TEST

START_TEST(line_too_long_for_inih)
{
    char text[600];
    snprintf(text, sizeof text, "[daemon]\ndatabase = /%0400d\nnosuch = 2\n",
             0);
    config_t c;
    char err[512];
    ck_assert_int_eq(config_load(write_conf(text), &c, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "t.conf:2: line is longer than") != NULL, "%s",
                  err);
    ck_assert_msg(strstr(err, "t.conf:3: unknown key") != NULL, "%s", err);
    /* inih takes lines of up to 199 bytes: 199 is read whole, 200 is
     * refused (it used to reach inih in two pieces). */
    for (int len = 199; len <= 200; len++) {
        snprintf(text, sizeof text, "[daemon]\ndatabase = /%0*d\n", len - 12,
                 0);
        int rc = config_load(write_conf(text), &c, err, sizeof err);
        ck_assert_msg(rc == (len == 199 ? 0 : -1), "%d bytes: %s", len, err);
        if (rc == 0) {
            ck_assert_uint_eq(strlen(c.database), (size_t)len - 11);
            config_free(&c);
        } else {
            ck_assert_ptr_nonnull(strstr(err, "t.conf:2: line is longer than "
                                              "199 bytes"));
        }
    }
}
END_TEST

START_TEST(limits_of_items)
{
    config_t c;
    char err[512];
    const char *p = write_conf("[limits]\nmax_event_participants = 50\n"
                               "max_groups = 20\nmax_weight = 2.5e3\n");
    ck_assert_msg(config_load(p, &c, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(c.max_event_participants, 50);
    ck_assert_uint_eq(c.max_groups, 20);
    ck_assert(c.max_weight == 2500.0);
    config_free(&c);
    ck_assert_int_eq(config_load(NULL, &c, err, sizeof err), 0);
    ck_assert_uint_eq(c.max_event_participants, 1000);
    ck_assert_uint_eq(c.max_groups, 1000);
    ck_assert(c.max_weight == 1e9);
    config_free(&c);
    expect_error("[limits]\nmax_event_participants = 1\n",
                 "max_event_participants");
    expect_error("[limits]\nmax_event_participants = 100001\n",
                 "max_event_participants");
    expect_error("[limits]\nmax_groups = 1\n", "max_groups");
    expect_error("[limits]\nmax_weight = 0\n", "max_weight");
    expect_error("[limits]\nmax_weight = -1\n", "max_weight");
    expect_error("[limits]\nmax_weight = 1e101\n", "max_weight");
    expect_error("[limits]\nmax_weight = nan\n", "max_weight");
    expect_error("[limits]\nmax_weight = 12x\n", "max_weight");
}
END_TEST

START_TEST(access_and_retention)
{
    config_t c;
    char err[512];
    const char *p = write_conf("[access]\nadmin = alice, @ops\nanalyst = 1001\n"
                               "writer =\nreader = @staff\n"
                               "[privacy]\nretention_days = 365\n");
    ck_assert_msg(config_load(p, &c, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(c.access_admin, "alice, @ops");
    ck_assert_str_eq(c.access_analyst, "1001");
    ck_assert_ptr_null(c.access_writer);
    ck_assert_str_eq(c.access_reader, "@staff");
    ck_assert_uint_eq(c.retention_days, 365);
    config_free(&c);
    ck_assert_int_eq(config_load(NULL, &c, err, sizeof err), 0);
    ck_assert_uint_eq(c.retention_days, 0);
    ck_assert_ptr_null(c.access_admin);
    config_free(&c);
    expect_error("[access]\nauditor = bob\n", "unknown key [access] auditor");
    expect_error("[privacy]\nretention_days = -1\n", "retention_days");
    expect_error("[privacy]\nretention_days = 36501\n", "retention_days");
}
END_TEST

START_TEST(missing_file)
{
    config_t c;
    char err[512];
    ck_assert_int_eq(
        config_load("/nonexistent/spand.conf", &c, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "cannot open"));
}
END_TEST

/* conf/spand.conf documents every default: it must say what the code does. */
START_TEST(shipped_conf_states_the_defaults)
{
    const char *src = getenv("SPAND_SRCDIR");
    char path[PATH_MAX], err[512];
    snprintf(path, sizeof path, "%s/conf/spand.conf", src ? src : ".");
    config_t d, f;
    ck_assert_int_eq(config_load(NULL, &d, err, sizeof err), 0);
    ck_assert_msg(config_load(path, &f, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(f.socket_mode, d.socket_mode);
    ck_assert_int_eq(f.log_level, d.log_level);
    ck_assert_ptr_null(f.pidfile);
    ck_assert_ptr_null(f.log_file);
    ck_assert_int_eq(f.synchronous, d.synchronous);
    ck_assert_uint_eq(f.cache_mb, d.cache_mb);
    ck_assert_uint_eq(f.commit_items, d.commit_items);
    ck_assert_uint_eq(f.ingest_queue, d.ingest_queue);
    ck_assert_uint_eq(f.max_request_bytes, d.max_request_bytes);
    ck_assert_uint_eq(f.max_connections, d.max_connections);
    ck_assert_uint_eq(f.max_output_bytes, d.max_output_bytes);
    ck_assert_uint_eq(f.max_pipeline, d.max_pipeline);
    ck_assert_uint_eq(f.max_inflight_bytes, d.max_inflight_bytes);
    ck_assert_uint_eq(f.max_id_bytes, d.max_id_bytes);
    ck_assert_uint_eq(f.max_value_bytes, d.max_value_bytes);
    ck_assert_uint_eq(f.max_rejects, d.max_rejects);
    ck_assert_uint_eq(f.workers, d.workers);
    ck_assert_uint_eq(f.analysis_queue, d.analysis_queue);
    ck_assert_uint_eq(f.result_cache_mb, d.result_cache_mb);
    ck_assert_uint_eq(f.timeout_ms, d.timeout_ms);
    ck_assert_uint_eq(f.memory_limit_mb, d.memory_limit_mb);
    ck_assert_uint_eq(f.analysis_nice, d.analysis_nice);
    ck_assert_int_eq(f.isolation, d.isolation);
    ck_assert_uint_eq(f.max_event_participants, d.max_event_participants);
    ck_assert_uint_eq(f.max_groups, d.max_groups);
    ck_assert(f.max_weight == d.max_weight);
    ck_assert_ptr_null(f.access_admin);
    ck_assert_ptr_null(f.access_analyst);
    ck_assert_ptr_null(f.access_writer);
    ck_assert_ptr_null(f.access_reader);
    ck_assert_uint_eq(f.retention_days, d.retention_days);
    ck_assert_uint_eq(f.min_group_size, d.min_group_size);
    ck_assert_str_eq(f.identifying, d.identifying);
    /* key_file empty: next to the database (wherever the file put it). */
    char key[PATH_MAX + 8];
    snprintf(key, sizeof key, "%s.key", f.database);
    ck_assert_str_eq(f.key_file, key);
    config_free(&d);
    config_free(&f);
}
END_TEST

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return EXIT_FAILURE;
    }
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, defaults_without_file);
    tcase_add_test(tc, values_and_relative_paths);
    tcase_add_test(tc, errors_name_line_and_key);
    tcase_add_test(tc, every_error_with_its_line);
    tcase_add_test(tc, line_too_long_for_inih);
    tcase_add_test(tc, limits_of_items);
    tcase_add_test(tc, access_and_retention);
    tcase_add_test(tc, missing_file);
    tcase_add_test(tc, shipped_conf_states_the_defaults);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/t.conf", dir);
    unlink(path);
    rmdir(dir);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
