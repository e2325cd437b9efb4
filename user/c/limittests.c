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
#include <pthread.h>
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
    int failed = run_in_child(few_descriptors);
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
    int failed = run_in_child(little_address_space);
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
    int failed = run_in_child(little_data);
    CHECK(failed == 0, "check %d failed", failed);
    return NULL;
}

static void *lower_the_address_space(void *unused) {
    (void)unused;
    struct rlimit limit = {64 * MIB, 64 * MIB};
    return (void *)(intptr_t)setrlimit(RLIMIT_AS, &limit);
}

static int limits_of_the_process(void) {
    /* Another thread lowers the limit; the first thread is bound by it. */
    pthread_t thread;
    void *result = (void *)1;
    if (pthread_create(&thread, NULL, lower_the_address_space, NULL) != 0) return 1;
    if (pthread_join(thread, &result) != 0 || result != NULL) return 2;
    struct rlimit seen;
    if (getrlimit(RLIMIT_AS, &seen) != 0 || seen.rlim_cur != 64 * MIB) return 3;
    errno = 0;
    void *mapped = mmap(NULL, 100 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped != MAP_FAILED || errno != ENOMEM) return 4;
    return 0;
}

static const char *one_threads_setrlimit_binds_the_whole_process(void) {
    int failed = run_in_child(limits_of_the_process);
    CHECK(failed == 0, "check %d failed", failed);
    return NULL;
}

static const char *prlimit_sets_another_processs_limits(void) {
    int go[2];
    CHECK(pipe(go) == 0, "pipe: %s", strerror(errno));
    pid_t child = fork();
    if (child == 0) {
        alarm(30);
        char byte;
        if (read(go[0], &byte, 1) != 1) _exit(1);
        struct rlimit seen;
        if (getrlimit(RLIMIT_NOFILE, &seen) != 0 || seen.rlim_cur != 6 || seen.rlim_max != 7) _exit(2);
        /* 0-2 and the pipe's ends (3 and 4) are open: 5 is the last descriptor under the
         * limit of 6, and a second dup is past it. */
        if (dup(0) != 5) _exit(4);
        errno = 0;
        if (dup(0) != -1 || errno != EMFILE) _exit(3);
        _exit(0);
    }
    struct rlimit six = {6, 7}, before;
    int set = prlimit(child, RLIMIT_NOFILE, &six, &before);
    int error = errno;
    char byte = 'g';
    CHECK(write(go[1], &byte, 1) == 1, "write: %s", strerror(errno));
    int status = 0;
    waitpid(child, &status, 0);
    close(go[0]);
    close(go[1]);
    CHECK(set == 0, "prlimit of the child: %s", strerror(error));
    CHECK(before.rlim_cur >= 7, "the child's old limit was %ld", (long)before.rlim_cur);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child's check %d failed (%#x)",
          WIFEXITED(status) ? WEXITSTATUS(status) : -1, status);
    errno = 0;
    CHECK(prlimit(999999, RLIMIT_NOFILE, NULL, &before) == -1 && errno == ESRCH,
          "prlimit of a pid nobody has: %s", strerror(errno));
    return NULL;
}

static void reset(void) {}

int main(int argc, char **argv) {
    static const struct test_case cases[] = {
        CASE(rlimit_nofile_bounds_the_descriptors),
        CASE(rlimit_as_makes_big_allocations_fail_cleanly),
        CASE(rlimit_data_bounds_the_heap_and_mappings),
        CASE(one_threads_setrlimit_binds_the_whole_process),
        CASE(prlimit_sets_another_processs_limits),
    };
    return run_cases(cases, sizeof cases / sizeof cases[0], argc, argv, reset);
}
