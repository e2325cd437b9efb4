/* Advisory file locks: fcntl's record locks between processes (conflicts, F_GETLK's report,
 * split ranges, F_SETLKW waiting, being interrupted and refusing a deadlock with EDEADLK, release
 * on close and on exit) and flock's whole-file locks owned by open file descriptions.
 *
 * The same static binary runs on the host's Linux (tests/test_linux_differential.py) and on
 * Ferrite (tests/system/test_user.py); every case must pass on both. Output is KTAP. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

/* The file every case locks, made afresh by `reset`. */
static char path[64];

static void reset(void) {
    if (path[0]) unlink(path);
    strcpy(path, "/tmp/locktests.XXXXXX");
    int fd = mkstemp(path);
    if (fd >= 0) {
        if (write(fd, "0123456789", 10) != 10) path[0] = 0;
        close(fd);
    }
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* fcntl(fd, command) on a record lock of `type` over `len` bytes from `start`. */
static int record(int fd, int command, short type, off_t start, off_t len) {
    struct flock lock = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, command, &lock);
}

/* Runs `body` in a child with the file open read-write; its exit status is 0 if it passed, or
 * the number of the check that failed. */
static int in_child(int (*body)(int fd)) {
    pid_t child = fork();
    if (child == 0) {
        alarm(30);
        int fd = open(path, O_RDWR);
        _exit(fd < 0 ? 99 : body(fd));
    }
    int status = 0;
    waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

static pid_t parent;

static int sees_the_parents_write_lock(int fd) {
    struct flock probe = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 50, .l_len = 10};
    if (fcntl(fd, F_GETLK, &probe) != 0) return 1;
    if (probe.l_type != F_WRLCK || probe.l_pid != parent || probe.l_start != 0 || probe.l_len != 100) return 2;
    errno = 0;
    if (record(fd, F_SETLK, F_RDLCK, 50, 10) != -1 || (errno != EAGAIN && errno != EACCES)) return 3;
    if (record(fd, F_SETLK, F_WRLCK, 100, 100) != 0) return 4;
    struct flock free_range = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 200, .l_len = 0};
    if (fcntl(fd, F_GETLK, &free_range) != 0 || free_range.l_type != F_UNLCK) return 5;
    return 0;
}

static const char *a_write_lock_keeps_other_processes_out(void) {
    int fd = open(path, O_RDWR);
    CHECK(record(fd, F_SETLK, F_WRLCK, 0, 100) == 0, "F_SETLK failed (errno %d)", errno);
    parent = getpid();
    int failed = in_child(sees_the_parents_write_lock);
    close(fd);
    CHECK(failed == 0, "the child's check %d failed", failed);
    return NULL;
}

static int shares_then_refused(int fd) {
    if (record(fd, F_SETLK, F_RDLCK, 0, 0) != 0) return 1;
    errno = 0;
    if (record(fd, F_SETLK, F_WRLCK, 5, 1) != -1 || (errno != EAGAIN && errno != EACCES)) return 2;
    return 0;
}

static const char *read_locks_are_shared(void) {
    int fd = open(path, O_RDWR);
    CHECK(record(fd, F_SETLK, F_RDLCK, 0, 0) == 0, "F_SETLK failed (errno %d)", errno);
    int failed = in_child(shares_then_refused);
    close(fd);
    CHECK(failed == 0, "the child's check %d failed", failed);
    return NULL;
}

static int locks_the_hole_only(int fd) {
    if (record(fd, F_SETLK, F_WRLCK, 40, 20) != 0) return 1;
    errno = 0;
    if (record(fd, F_SETLK, F_WRLCK, 30, 10) != -1) return 2;
    if (record(fd, F_SETLK, F_WRLCK, 60, 1) != -1) return 3;
    return 0;
}

static const char *unlocking_the_middle_of_a_lock_splits_it(void) {
    int fd = open(path, O_RDWR);
    record(fd, F_SETLK, F_WRLCK, 0, 100);
    CHECK(record(fd, F_SETLK, F_UNLCK, 40, 20) == 0, "unlocking the middle failed");
    int failed = in_child(locks_the_hole_only);
    close(fd);
    CHECK(failed == 0, "the child's check %d failed", failed);
    return NULL;
}

static int waits_for_the_lock(int fd) {
    double start = now();
    if (record(fd, F_SETLKW, F_WRLCK, 0, 1) != 0) return 1;
    double waited = now() - start;
    return waited >= 0.08 ? 0 : 2;
}

static const char *f_setlkw_waits_until_the_lock_is_released(void) {
    int fd = open(path, O_RDWR);
    record(fd, F_SETLK, F_WRLCK, 0, 1);
    pid_t child = fork();
    if (child == 0) {
        alarm(30);
        int mine = open(path, O_RDWR);
        _exit(waits_for_the_lock(mine));
    }
    usleep(150 * 1000);
    record(fd, F_SETLK, F_UNLCK, 0, 1);
    int status = 0;
    waitpid(child, &status, 0);
    close(fd);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the waiting child ended with %#x", status);
    return NULL;
}

static void nothing(int signo) { (void)signo; }

static int interrupted_while_waiting(int fd) {
    struct sigaction action = {.sa_handler = nothing};
    sigaction(SIGALRM, &action, NULL);
    alarm(1);
    errno = 0;
    if (record(fd, F_SETLKW, F_WRLCK, 0, 1) != -1 || errno != EINTR) return 1;
    return 0;
}

static const char *a_signal_interrupts_f_setlkw(void) {
    int fd = open(path, O_RDWR);
    record(fd, F_SETLK, F_WRLCK, 0, 1);
    int failed = in_child(interrupted_while_waiting);
    close(fd);
    CHECK(failed == 0, "the child's check %d failed", failed);
    return NULL;
}

/* The pipe the deadlock case's child says it holds its byte through, and the child. */
static int ready_pipe[2];

/* Holds byte 1, says so, then waits for byte 0 (the parent's): exits 0 once it got it, 1 if the
 * kernel refused the wait with EDEADLK, 2 on anything else. Ending drops its byte, which lets a
 * refused parent through. */
static int holds_one_then_waits_for_zero(int fd) {
    if (record(fd, F_SETLK, F_WRLCK, 1, 1) != 0) return 2;
    if (write(ready_pipe[1], "r", 1) != 1) return 2;
    errno = 0;
    if (record(fd, F_SETLKW, F_WRLCK, 0, 1) == 0) return 0;
    return errno == EDEADLK ? 1 : 2;
}

/* Two processes each hold one byte and ask, waiting, for the other's. Whichever asks second
 * would close the cycle and must get EDEADLK (the child is given a head start, so that is
 * usually the parent, but either is right); the other then gets its byte. An alarm turns a
 * wait that is never refused into EINTR rather than a test that hangs. */
static const char *f_setlkw_that_would_deadlock_fails_with_edeadlk(void) {
    int fd = open(path, O_RDWR);
    CHECK(record(fd, F_SETLK, F_WRLCK, 0, 1) == 0, "F_SETLK of byte 0 failed (errno %d)", errno);
    CHECK(pipe(ready_pipe) == 0, "pipe failed");
    pid_t child = fork();
    if (child == 0) {
        alarm(10);
        int mine = open(path, O_RDWR);
        _exit(mine < 0 ? 2 : holds_one_then_waits_for_zero(mine));
    }
    char ready = 0;
    ssize_t got = read(ready_pipe[0], &ready, 1);
    usleep(100 * 1000); /* the child asks for byte 0 and sleeps */
    struct sigaction action = {.sa_handler = nothing};
    sigaction(SIGALRM, &action, NULL);
    alarm(5);
    errno = 0;
    int result = record(fd, F_SETLKW, F_WRLCK, 1, 1);
    int error = errno;
    alarm(0);
    if (result != 0) record(fd, F_SETLK, F_UNLCK, 0, 1); /* let the child through */
    int status = 0;
    waitpid(child, &status, 0);
    close(fd);
    close(ready_pipe[0]);
    close(ready_pipe[1]);
    CHECK(got == 1 && ready == 'r', "the child did not take byte 1");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) != 2, "the child ended with %#x", status);
    int child_refused = WEXITSTATUS(status) == 1;
    int parent_refused = result == -1 && error == EDEADLK;
    CHECK(result == 0 || parent_refused, "the parent's F_SETLKW gave errno %d, not EDEADLK", error);
    CHECK(parent_refused + child_refused == 1, "%s refused with EDEADLK (parent: result %d, errno %d)",
          parent_refused ? "both were" : "neither was", result, error);
    return NULL;
}

static int can_lock_everything(int fd) {
    return record(fd, F_SETLK, F_WRLCK, 0, 0) == 0 ? 0 : 1;
}

static const char *closing_any_descriptor_drops_the_processs_locks(void) {
    int fd = open(path, O_RDWR);
    record(fd, F_SETLK, F_WRLCK, 0, 0);
    int other = open(path, O_RDONLY);
    close(other);
    int failed = in_child(can_lock_everything);
    close(fd);
    CHECK(failed == 0, "after closing another descriptor of the file, the child could not lock it");
    return NULL;
}

static int lock_and_exit(int fd) {
    return record(fd, F_SETLK, F_WRLCK, 0, 0) == 0 ? 0 : 1;
}

static const char *a_process_that_ends_leaves_no_locks(void) {
    int failed = in_child(lock_and_exit);
    CHECK(failed == 0, "the child could not lock");
    int fd = open(path, O_RDWR);
    struct flock probe = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    int result = fcntl(fd, F_GETLK, &probe);
    close(fd);
    CHECK(result == 0 && probe.l_type == F_UNLCK, "the ended child's lock is still there (type %d)", probe.l_type);
    return NULL;
}

static const char *flock_belongs_to_the_open_file_description(void) {
    int first = open(path, O_RDWR), second = open(path, O_RDWR);
    CHECK(flock(first, LOCK_EX) == 0, "LOCK_EX failed (errno %d)", errno);
    errno = 0;
    CHECK(flock(second, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK,
          "a second description got a shared lock (errno %d)", errno);
    int copy = dup(first);
    CHECK(flock(copy, LOCK_EX | LOCK_NB) == 0, "a dup of the holder was refused (errno %d)", errno);
    CHECK(record(second, F_SETLK, F_WRLCK, 0, 0) == 0, "an flock lock stopped a record lock (errno %d)", errno);
    close(first);
    errno = 0;
    CHECK(flock(second, LOCK_SH | LOCK_NB) == -1, "the lock went while a dup still held it");
    close(copy);
    CHECK(flock(second, LOCK_SH | LOCK_NB) == 0, "the lock stayed after its last descriptor closed (errno %d)", errno);
    CHECK(flock(second, LOCK_UN) == 0, "LOCK_UN failed");
    close(second);
    return NULL;
}

static const char *bad_lock_requests_get_linuxs_errors(void) {
    int fd = open(path, O_RDWR), reader = open(path, O_RDONLY);
    errno = 0;
    CHECK(record(fd, F_SETLK, 7, 0, 1) == -1 && errno == EINVAL, "a lock type of 7 gave errno %d", errno);
    errno = 0;
    CHECK(record(reader, F_SETLK, F_WRLCK, 0, 1) == -1 && errno == EBADF,
          "a write lock through a read-only descriptor gave errno %d", errno);
    errno = 0;
    CHECK(record(fd, F_SETLK, F_WRLCK, -5, 1) == -1 && errno == EINVAL, "a lock before byte 0 gave errno %d", errno);
    errno = 0;
    CHECK(flock(fd, 0) == -1 && errno == EINVAL, "flock with no operation gave errno %d", errno);
    errno = 0;
    CHECK(record(99, F_SETLK, F_WRLCK, 0, 1) == -1 && errno == EBADF, "a closed descriptor gave errno %d", errno);
    close(fd);
    close(reader);
    return NULL;
}

int main(int argc, char **argv) {
    static const struct test_case cases[] = {
        CASE(a_write_lock_keeps_other_processes_out),
        CASE(read_locks_are_shared),
        CASE(unlocking_the_middle_of_a_lock_splits_it),
        CASE(f_setlkw_waits_until_the_lock_is_released),
        CASE(a_signal_interrupts_f_setlkw),
        CASE(f_setlkw_that_would_deadlock_fails_with_edeadlk),
        CASE(closing_any_descriptor_drops_the_processs_locks),
        CASE(a_process_that_ends_leaves_no_locks),
        CASE(flock_belongs_to_the_open_file_description),
        CASE(bad_lock_requests_get_linuxs_errors),
    };
    int status = run_cases(cases, sizeof cases / sizeof cases[0], argc, argv, reset);
    unlink(path);
    return status;
}
