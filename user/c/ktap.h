/* The small KTAP runner the C test programs in user/c/ share: a case is a function that returns
 * NULL when it passes and what went wrong otherwise; `run_cases` prints `KTAP version 1`, the
 * plan and one `ok N name` / `not ok N name` line per case (with a `# name: why` line before a
 * failure), runs `reset` before and after each, and, given words on the command line, runs only
 * the cases whose names contain one. With `--quiet` first, it prints only the `#` lines of failures (for
 * a test kernel, whose own KTAP output the plan and result lines would mix with). The tools read the names from
 * the `CASE(name),` lines. */
#ifndef FERRITE_KTAP_H
#define FERRITE_KTAP_H

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef const char *(*case_fn)(void);

struct test_case {
    const char *name;
    case_fn run;
};

#define CASE(name) {#name, name}

static char why[256];
#define FAIL(...) (snprintf(why, sizeof why, __VA_ARGS__), why)
#define CHECK(cond, ...) do { if (!(cond)) return FAIL(__VA_ARGS__); } while (0)

/* Runs `body` in a child process (ended by an alarm after 30 s if it hangs); its exit status
 * (0: passed, else the number of the check that failed), or 100 + the signal that ended it.
 * For cases that change what a process cannot change back: limits, names, switches. */
static inline int run_in_child(int (*body)(void)) {
    pid_t child = fork();
    if (child == 0) {
        alarm(30);
        _exit(body());
    }
    int status = 0;
    waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

/* Whether the case `name` is among those the command line asks for (all, with no words). */
static int selected(const char *name, int argc, char **argv) {
    if (argc < 2) return 1;
    for (int i = 1; i < argc; i++) {
        if (strstr(name, argv[i])) return 1;
    }
    return 0;
}

/* Runs the `total` cases the command line selects; returns the exit status (1 if any failed). */
static int run_cases(const struct test_case *cases, size_t total, int argc, char **argv, void (*reset)(void)) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int quiet = argc > 1 && strcmp(argv[1], "--quiet") == 0;
    if (quiet) {
        argv[1] = argv[0];
        argc--;
        argv++;
    }
    int count_selected = 0;
    for (size_t i = 0; i < total; i++) {
        count_selected += selected(cases[i].name, argc, argv);
    }
    if (!quiet) printf("KTAP version 1\n1..%d\n", count_selected);
    int n = 0, failed = 0;
    for (size_t i = 0; i < total; i++) {
        if (!selected(cases[i].name, argc, argv)) continue;
        reset();
        const char *problem = cases[i].run();
        reset();
        n++;
        if (problem) {
            failed++;
            printf("# %s: %s\n", cases[i].name, problem);
            if (!quiet) printf("not ok %d %s\n", n, cases[i].name);
        } else if (!quiet) {
            printf("ok %d %s\n", n, cases[i].name);
        }
    }
    return failed ? 1 : 0;
}

#endif
