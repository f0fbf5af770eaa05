/* duckfix_tb.h: test benches for C and HLS C++ kernels, run one case per process.
 *
 *   #include "duckfix_tb.h"
 *   DUCKFIX_CASE(small_matrix) {
 *       int out[4];
 *       matmul(a, b, out);
 *       DUCKFIX_CHECK_ARRAY_EQ(out, expected, 4);
 *   }
 *   DUCKFIX_MAIN
 *
 * `bench --list` prints the case names; `bench --case NAME` runs one case and
 * prints one JSON line (status, expected, actual, message), exiting 0 when it
 * passed and 1 at the first failed check. Values are printed at full precision
 * (%.17g), so a floating-point difference that a "%0.2f" dump would hide is
 * seen; NEAR checks compare with a tolerance. Without arguments every case runs
 * in this process, for a person at a terminal.
 *
 * Under duckfix, the lines go to the descriptor named by DUCKFIX_REPORT_FD, not
 * stdout, each carrying the secret read (first thing in main) from the one
 * named by DUCKFIX_SECRET_FD: the kernel under test shares this process, and a
 * line it prints or writes without the secret is not believed.
 */
#ifndef DUCKFIX_TB_H
#define DUCKFIX_TB_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef void (*duckfix_case_fn)(void);

#define DUCKFIX_MAX_CASES 512
static const char *duckfix_names[DUCKFIX_MAX_CASES];
static duckfix_case_fn duckfix_fns[DUCKFIX_MAX_CASES];
static int duckfix_count = 0;
static const char *duckfix_current = "";
static FILE *duckfix_out = NULL;
static char duckfix_secret[128] = "";

/* Take the run's channels from the environment; without them, report on stdout. */
static void duckfix_channels(void) {
    const char *secret_fd = getenv("DUCKFIX_SECRET_FD");
    const char *report_fd = getenv("DUCKFIX_REPORT_FD");
    duckfix_out = stdout;
    if (secret_fd != NULL) {
        int fd = atoi(secret_fd);
        size_t got = 0;
        ssize_t n;
        while (got < sizeof duckfix_secret - 1 &&
               (n = read(fd, duckfix_secret + got, sizeof duckfix_secret - 1 - got)) > 0)
            got += (size_t)n;
        duckfix_secret[got] = '\0';
        close(fd);
    }
    if (report_fd != NULL) {
        FILE *out = fdopen(atoi(report_fd), "w");
        if (out != NULL) duckfix_out = out;
    }
}

static void duckfix_register(const char *name, duckfix_case_fn fn) {
    if (duckfix_count < DUCKFIX_MAX_CASES) {
        duckfix_names[duckfix_count] = name;
        duckfix_fns[duckfix_count] = fn;
        duckfix_count++;
    }
}

/* Cases register themselves before main runs (a GCC / Clang constructor), in
   the order they appear in the file. */
#define DUCKFIX_CASE(name)                                                          \
    static void duckfix_case_##name(void);                                          \
    __attribute__((constructor)) static void duckfix_register_##name(void) {        \
        duckfix_register(#name, duckfix_case_##name);                               \
    }                                                                               \
    static void duckfix_case_##name(void)

static void duckfix_json_string(const char *s) {
    fputc('"', duckfix_out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            fputc('\\', duckfix_out);
            fputc(c, duckfix_out);
        } else if (c < 0x20) {
            fprintf(duckfix_out, "\\u%04x", c);
        } else {
            fputc(c, duckfix_out);
        }
    }
    fputc('"', duckfix_out);
}

static void duckfix_report(const char *status, const char *expected, const char *actual,
                           const char *message) {
    if (duckfix_out == NULL) duckfix_out = stdout;
    fprintf(duckfix_out, "{\"case\": ");
    duckfix_json_string(duckfix_current);
    fprintf(duckfix_out, ", \"status\": ");
    duckfix_json_string(status);
    if (expected) {
        fprintf(duckfix_out, ", \"expected\": ");
        duckfix_json_string(expected);
    }
    if (actual) {
        fprintf(duckfix_out, ", \"actual\": ");
        duckfix_json_string(actual);
    }
    if (message) {
        fprintf(duckfix_out, ", \"message\": ");
        duckfix_json_string(message);
    }
    if (duckfix_secret[0]) {
        fprintf(duckfix_out, ", \"secret\": ");
        duckfix_json_string(duckfix_secret);
    }
    fprintf(duckfix_out, "}\n");
    fflush(duckfix_out);
}

static void duckfix_fail(const char *file, int line, const char *what, const char *expected,
                         const char *actual) {
    char message[512];
    snprintf(message, sizeof message, "%s:%d: %s", file, line, what);
    duckfix_report("failed", expected, actual, message);
    exit(1);
}

#define DUCKFIX_CHECK(cond)                                                         \
    do {                                                                            \
        if (!(cond)) duckfix_fail(__FILE__, __LINE__, "check " #cond, "true", "false"); \
    } while (0)

#define DUCKFIX_CHECK_EQ(actual, expected)                                          \
    do {                                                                            \
        long long duckfix_a = (long long)(actual), duckfix_e = (long long)(expected); \
        if (duckfix_a != duckfix_e) {                                               \
            char duckfix_sa[32], duckfix_se[32];                                    \
            snprintf(duckfix_sa, sizeof duckfix_sa, "%lld", duckfix_a);             \
            snprintf(duckfix_se, sizeof duckfix_se, "%lld", duckfix_e);             \
            duckfix_fail(__FILE__, __LINE__, #actual " == " #expected, duckfix_se, duckfix_sa); \
        }                                                                           \
    } while (0)

#define DUCKFIX_CHECK_NEAR(actual, expected, tolerance)                             \
    do {                                                                            \
        double duckfix_a = (double)(actual), duckfix_e = (double)(expected);        \
        if (!(fabs(duckfix_a - duckfix_e) <= (double)(tolerance))) {                \
            char duckfix_sa[40], duckfix_se[40];                                    \
            snprintf(duckfix_sa, sizeof duckfix_sa, "%.17g", duckfix_a);            \
            snprintf(duckfix_se, sizeof duckfix_se, "%.17g", duckfix_e);            \
            duckfix_fail(__FILE__, __LINE__, #actual " ~= " #expected, duckfix_se, duckfix_sa); \
        }                                                                           \
    } while (0)

#define DUCKFIX_CHECK_ARRAY_EQ(actual, expected, n)                                 \
    do {                                                                            \
        for (long duckfix_i = 0; duckfix_i < (long)(n); duckfix_i++) {              \
            long long duckfix_a = (long long)((actual)[duckfix_i]);                 \
            long long duckfix_e = (long long)((expected)[duckfix_i]);               \
            if (duckfix_a != duckfix_e) {                                           \
                char duckfix_sa[48], duckfix_se[48], duckfix_w[160];                \
                snprintf(duckfix_sa, sizeof duckfix_sa, "[%ld] = %lld", duckfix_i, duckfix_a); \
                snprintf(duckfix_se, sizeof duckfix_se, "[%ld] = %lld", duckfix_i, duckfix_e); \
                snprintf(duckfix_w, sizeof duckfix_w, "%s[%ld] == %s[%ld]", #actual, duckfix_i, #expected, duckfix_i); \
                duckfix_fail(__FILE__, __LINE__, duckfix_w, duckfix_se, duckfix_sa); \
            }                                                                       \
        }                                                                           \
    } while (0)

#define DUCKFIX_CHECK_ARRAY_NEAR(actual, expected, n, tolerance)                    \
    do {                                                                            \
        for (long duckfix_i = 0; duckfix_i < (long)(n); duckfix_i++) {              \
            double duckfix_a = (double)((actual)[duckfix_i]);                       \
            double duckfix_e = (double)((expected)[duckfix_i]);                     \
            if (!(fabs(duckfix_a - duckfix_e) <= (double)(tolerance))) {            \
                char duckfix_sa[64], duckfix_se[64], duckfix_w[160];                \
                snprintf(duckfix_sa, sizeof duckfix_sa, "[%ld] = %.17g", duckfix_i, duckfix_a); \
                snprintf(duckfix_se, sizeof duckfix_se, "[%ld] = %.17g", duckfix_i, duckfix_e); \
                snprintf(duckfix_w, sizeof duckfix_w, "%s[%ld] ~= %s[%ld]", #actual, duckfix_i, #expected, duckfix_i); \
                duckfix_fail(__FILE__, __LINE__, duckfix_w, duckfix_se, duckfix_sa); \
            }                                                                       \
        }                                                                           \
    } while (0)

static int duckfix_main(int argc, char **argv) {
    duckfix_channels();
    if (argc > 1 && strcmp(argv[1], "--list") == 0 && duckfix_out == stdout) {
        for (int i = 0; i < duckfix_count; i++) puts(duckfix_names[i]);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        fprintf(duckfix_out, "{\"cases\": [");
        for (int i = 0; i < duckfix_count; i++) {
            if (i) fprintf(duckfix_out, ", ");
            duckfix_json_string(duckfix_names[i]);
        }
        fprintf(duckfix_out, "]");
        if (duckfix_secret[0]) {
            fprintf(duckfix_out, ", \"secret\": ");
            duckfix_json_string(duckfix_secret);
        }
        fprintf(duckfix_out, "}\n");
        fflush(duckfix_out);
        return 0;
    }
    if (argc > 2 && strcmp(argv[1], "--case") == 0) {
        for (int i = 0; i < duckfix_count; i++) {
            if (strcmp(duckfix_names[i], argv[2]) == 0) {
                duckfix_current = duckfix_names[i];
                duckfix_fns[i]();
                duckfix_report("passed", NULL, NULL, NULL);
                return 0;
            }
        }
        fprintf(stderr, "no case named %s\n", argv[2]);
        return 2;
    }
    for (int i = 0; i < duckfix_count; i++) {
        duckfix_current = duckfix_names[i];
        duckfix_fns[i]();
        duckfix_report("passed", NULL, NULL, NULL);
    }
    return 0;
}

#define DUCKFIX_MAIN \
    int main(int argc, char **argv) { return duckfix_main(argc, argv); }

#endif /* DUCKFIX_TB_H */
