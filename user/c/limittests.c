/* Resource limits that are enforced, not only reported: RLIMIT_NOFILE bounds the descriptors
 * a process gets (EMFILE, and EBADF or EINVAL for a number above it), RLIMIT_AS and RLIMIT_DATA
 * make memory requests fail with ENOMEM, so malloc returns NULL cleanly instead of the program
 * being killed later. Each case lowers limits in a child process of its own.
 *
 * The same static binary runs on the host's Linux (tests/test_linux_differential.py) and on
 * Ferrite (tests/system/test_user.py); every case must pass on both. Output is KTAP. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

/* Bytes in a mebibyte. */
#define MIB (1024L * 1024)

/* Runs `body` in a child; its exit status is 0 if it passed, or the number of the check that
 * failed. */
static int in_child(int (*body)(void)) {
    pid_t child = fork();
    if (child == 0) {
        alarm(30);
        _exit(body());
    }
    int status = 0;
    waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

static int few_descriptors(void) {
    struct rlimit five = {5, 5};
    if (setrlimit(RLIMIT_NOFILE, &five) != 0) return 1;
    for (int fd = 3; fd < 16; fd++) close(fd);
    if (open("/", O_RDONLY) != 3 || open("/", O_RDONLY) != 4) return 2;
    errno = 0;
    if (open("/", O_RDONLY) != -1 || errno != EMFILE) return 3;
    errno = 0;
    if (dup2(0, 5) != -1 || errno != EBADF) return 4;
    errno = 0;
    if (fcntl(0, F_DUPFD, 5) != -1 || errno != EINVAL) return 5;
    close(4);
    int ends[2];
    errno = 0;
    if (pipe(ends) != -1 || errno != EMFILE) return 6;
    if (dup(0) != 4) return 7;
    return 0;
}

static const char *rlimit_nofile_bounds_the_descriptors(void) {
    int failed = in_child(few_descriptors);
    CHECK(failed == 0, "check %d failed", failed);
    return NULL;
}

static int little_address_space(void) {
    struct rlimit limit = {64 * MIB, 64 * MIB};
    if (setrlimit(RLIMIT_AS, &limit) != 0) return 1;
    void *big = malloc(128 * MIB);
    if (big) return 2;
    errno = 0;
    void *mapped = mmap(NULL, 100 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped != MAP_FAILED || errno != ENOMEM) return 3;
    char *small = malloc(4 * MIB);
    if (!small) return 4;
    memset(small, 1, 4 * MIB);
    free(small);
    return 0;
}

static const char *rlimit_as_makes_big_allocations_fail_cleanly(void) {
    int failed = in_child(little_address_space);
    CHECK(failed == 0, "check %d failed", failed);
    return NULL;
}

static int little_data(void) {
    struct rlimit limit = {16 * MIB, 16 * MIB};
    if (setrlimit(RLIMIT_DATA, &limit) != 0) return 1;
    errno = 0;
    if (sbrk(32 * MIB) != (void *)-1 || errno != ENOMEM) return 2;
    if (malloc(32 * MIB)) return 3;
    char *small = malloc(MIB);
    if (!small) return 4;
    memset(small, 1, MIB);
    return 0;
}

static const char *rlimit_data_bounds_the_heap_and_mappings(void) {
    int failed = in_child(little_data);
    CHECK(failed == 0, "check %d failed", failed);
    return NULL;
}

static void reset(void) {}

int main(int argc, char **argv) {
    static const struct test_case cases[] = {
        CASE(rlimit_nofile_bounds_the_descriptors),
        CASE(rlimit_as_makes_big_allocations_fail_cleanly),
        CASE(rlimit_data_bounds_the_heap_and_mappings),
    };
    return run_cases(cases, sizeof cases / sizeof cases[0], argc, argv, reset);
}
