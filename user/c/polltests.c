/* Waiting on many descriptors as a C program does it, through musl's poll, ppoll, select and
 * pselect: readiness of pipes and files, timeouts, wake-ups from another process, signals that
 * interrupt a wait, and the signal mask a ppoll or pselect uses for its wait alone.
 *
 * The same static binary runs on the host's Linux (tests/test_linux_differential.py) and on
 * Ferrite (tests/system/test_user.py); every case must pass on both. Output is KTAP.
 * `polltests --key` is for a person or a test at a terminal: it waits up to ten seconds for a
 * key on standard input with poll, then prints what it read. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"


static volatile sig_atomic_t hits;
static void count(int signo) { (void)signo; hits++; }

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* A child that waits `ms` milliseconds, then writes one byte to `fd` and exits. */
static pid_t write_later(int fd, int ms) {
    pid_t child = fork();
    if (child == 0) {
        usleep(ms * 1000);
        write(fd, "x", 1);
        _exit(0);
    }
    return child;
}

static const char *an_empty_pipe_times_out(void) {
    int p[2];
    pipe(p);
    struct pollfd fd = {.fd = p[0], .events = POLLIN};
    double start = now();
    int r = poll(&fd, 1, 50);
    double waited = now() - start;
    close(p[0]);
    close(p[1]);
    CHECK(r == 0 && fd.revents == 0, "poll returned %d revents %#x", r, fd.revents);
    CHECK(waited >= 0.045 && waited < 2.0, "waited %.3f s for a 50 ms timeout", waited);
    return NULL;
}

static const char *data_in_a_pipe_is_pollin(void) {
    int p[2];
    pipe(p);
    write(p[1], "ab", 2);
    struct pollfd fds[2] = {{.fd = p[0], .events = POLLIN}, {.fd = p[1], .events = POLLOUT}};
    int r = poll(fds, 2, 0);
    close(p[0]);
    close(p[1]);
    CHECK(r == 2 && fds[0].revents == POLLIN && fds[1].revents == POLLOUT, "returned %d, revents %#x %#x", r,
          fds[0].revents, fds[1].revents);
    return NULL;
}

static const char *a_write_from_another_process_wakes_the_poll(void) {
    int p[2];
    pipe(p);
    pid_t child = write_later(p[1], 100);
    struct pollfd fd = {.fd = p[0], .events = POLLIN};
    double start = now();
    int r = poll(&fd, 1, -1);
    double waited = now() - start;
    waitpid(child, NULL, 0);
    close(p[0]);
    close(p[1]);
    CHECK(r == 1 && fd.revents == POLLIN, "returned %d revents %#x", r, fd.revents);
    CHECK(waited >= 0.05, "woke after %.3f s, before the write", waited);
    return NULL;
}

static const char *closed_ends_are_pollhup_and_pollerr(void) {
    int p[2];
    pipe(p);
    close(p[1]);
    struct pollfd reader = {.fd = p[0], .events = POLLIN};
    CHECK(poll(&reader, 1, 0) == 1 && (reader.revents & POLLHUP), "no POLLHUP: %#x", reader.revents);
    close(p[0]);
    pipe(p);
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    struct pollfd writer = {.fd = p[1], .events = POLLOUT};
    CHECK(poll(&writer, 1, 0) == 1 && (writer.revents & POLLERR), "no POLLERR: %#x", writer.revents);
    close(p[1]);
    return NULL;
}

static const char *bad_and_negative_descriptors(void) {
    struct pollfd fds[2] = {{.fd = 1000, .events = POLLIN}, {.fd = -1, .events = POLLIN}};
    int r = poll(fds, 2, 0);
    CHECK(r == 1 && fds[0].revents == POLLNVAL && fds[1].revents == 0, "returned %d revents %#x %#x", r,
          fds[0].revents, fds[1].revents);
    CHECK(poll(fds, 1u << 30, 0) == -1 && errno == EINVAL, "a billion descriptors: want EINVAL");
    CHECK(poll((struct pollfd *)8, 1, 0) == -1 && errno == EFAULT, "a bad array: want EFAULT");
    return NULL;
}

static const char *a_full_pipe_is_not_writable_and_o_nonblock_says_eagain(void) {
    int p[2];
    pipe2(p, O_NONBLOCK);
    char c;
    CHECK(read(p[0], &c, 1) == -1 && errno == EAGAIN, "an empty nonblocking read: want EAGAIN");
    static char block[4096];
    while (write(p[1], block, sizeof block) > 0) {
    }
    CHECK(errno == EAGAIN, "filling: %s", strerror(errno));
    struct pollfd fd = {.fd = p[1], .events = POLLOUT};
    int r = poll(&fd, 1, 0);
    CHECK(r == 0 && fd.revents == 0, "a full pipe polled writable: %d %#x", r, fd.revents);
    /* Reading makes room again: the pipe polls writable. */
    static char sink[sizeof block];
    CHECK(read(p[0], sink, sizeof sink) == sizeof sink, "reading back");
    r = poll(&fd, 1, 0);
    CHECK(r == 1 && fd.revents == POLLOUT, "after a read: %d %#x", r, fd.revents);
    /* O_NONBLOCK comes off with fcntl like any status flag. */
    CHECK(fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) & ~O_NONBLOCK) == 0 && !(fcntl(p[0], F_GETFL) & O_NONBLOCK),
          "F_SETFL");
    close(p[0]);
    close(p[1]);
    return NULL;
}

static const char *a_regular_file_is_always_ready(void) {
    char name[] = "/tmp/polltests-file-XXXXXX";
    int fd = mkstemp(name);
    CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
    unlink(name);
    struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
    int r = poll(&p, 1, 0);
    close(fd);
    CHECK(r == 1 && p.revents == (POLLIN | POLLOUT), "returned %d revents %#x", r, p.revents);
    return NULL;
}

static const char *select_reports_ready_descriptors_and_time_left(void) {
    int p[2];
    pipe(p);
    fd_set readable, writable;
    FD_ZERO(&readable);
    FD_ZERO(&writable);
    FD_SET(p[0], &readable);
    FD_SET(p[1], &writable);
    struct timeval timeout = {5, 0};
    int r = select(p[1] + 1, &readable, &writable, NULL, &timeout);
    CHECK(r == 1 && !FD_ISSET(p[0], &readable) && FD_ISSET(p[1], &writable), "returned %d", r);
    write(p[1], "x", 1);
    FD_ZERO(&readable);
    FD_SET(p[0], &readable);
    r = select(p[0] + 1, &readable, NULL, NULL, NULL);
    CHECK(r == 1 && FD_ISSET(p[0], &readable), "data: returned %d", r);
    FD_ZERO(&readable);
    FD_SET(p[0], &readable);
    char c;
    read(p[0], &c, 1);
    timeout = (struct timeval){0, 30000};
    /* The system call itself, not musl's select (which hands the kernel a copy): Linux writes
     * the time left back into the timeval. */
    r = syscall(SYS_select, p[0] + 1, &readable, NULL, NULL, &timeout);
    CHECK(r == 0 && !FD_ISSET(p[0], &readable), "the timeout: returned %d", r);
    CHECK(timeout.tv_sec == 0 && timeout.tv_usec == 0, "time left after the timeout: %ld us", (long)timeout.tv_usec);
    FD_ZERO(&readable);
    /* Within the descriptor table (Linux ignores bits beyond it), but not open. */
    FD_SET(40, &readable);
    CHECK(select(41, &readable, NULL, NULL, &timeout) == -1 && errno == EBADF, "a closed descriptor: want EBADF");
    timeout = (struct timeval){0, -1};
    CHECK(select(1, NULL, NULL, NULL, &timeout) == -1 && errno == EINVAL, "tv_usec -1: want EINVAL");
    close(p[0]);
    close(p[1]);
    return NULL;
}

static const char *a_signal_interrupts_poll_even_with_sa_restart(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = count;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    int p[2];
    pipe(p);
    struct itimerval soon = {.it_value = {0, 50000}};
    setitimer(ITIMER_REAL, &soon, NULL);
    struct pollfd fd = {.fd = p[0], .events = POLLIN};
    int r = poll(&fd, 1, 5000);
    int error = errno;
    close(p[0]);
    close(p[1]);
    CHECK(r == -1 && error == EINTR && hits == 1, "returned %d (%s), hits %d", r, strerror(error), hits);
    return NULL;
}

/* Blocks SIGUSR1, has a child send it after 100 ms, and waits with `wait` (which must unblock
 * it for the wait alone); checks EINTR, the handler, and the mask afterwards. */
static const char *masked_wait(int (*wait)(int fd, const sigset_t *mask)) {
    signal(SIGUSR1, count);
    sigset_t usr1, none, after;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    int p[2];
    pipe(p);
    pid_t child = fork();
    if (child == 0) {
        usleep(100 * 1000);
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    int r = wait(p[0], &none);
    int error = errno;
    waitpid(child, NULL, 0);
    sigprocmask(SIG_BLOCK, NULL, &after);
    close(p[0]);
    close(p[1]);
    CHECK(r == -1 && error == EINTR && hits == 1, "returned %d (%s), hits %d", r, strerror(error), hits);
    CHECK(sigismember(&after, SIGUSR1), "the mask was not restored after the wait");
    return NULL;
}

static int ppoll_wait(int fd, const sigset_t *mask) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    struct timespec limit = {5, 0};
    return ppoll(&p, 1, &limit, mask);
}

static int pselect_wait(int fd, const sigset_t *mask) {
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(fd, &readable);
    struct timespec limit = {5, 0};
    return pselect(fd + 1, &readable, NULL, NULL, &limit, mask);
}

static const char *ppoll_unblocks_a_signal_for_the_wait_alone(void) { return masked_wait(ppoll_wait); }
static const char *pselect_unblocks_a_signal_for_the_wait_alone(void) { return masked_wait(pselect_wait); }

static const char *a_ready_ppoll_leaves_the_mask_as_it_was(void) {
    sigset_t usr1, none, after;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    int p[2];
    pipe(p);
    write(p[1], "x", 1);
    struct pollfd fd = {.fd = p[0], .events = POLLIN};
    int r = ppoll(&fd, 1, NULL, &none);
    sigprocmask(SIG_BLOCK, NULL, &after);
    close(p[0]);
    close(p[1]);
    CHECK(r == 1 && sigismember(&after, SIGUSR1), "returned %d; SIGUSR1 blocked after: %d", r, sigismember(&after, SIGUSR1));
    return NULL;
}

static const char *standard_output_is_writable(void) {
    struct pollfd fd = {.fd = 1, .events = POLLOUT};
    CHECK(poll(&fd, 1, 1000) == 1 && (fd.revents & POLLOUT), "revents %#x", fd.revents);
    return NULL;
}

static const struct test_case cases[] = {
    CASE(an_empty_pipe_times_out),
    CASE(data_in_a_pipe_is_pollin),
    CASE(a_write_from_another_process_wakes_the_poll),
    CASE(closed_ends_are_pollhup_and_pollerr),
    CASE(bad_and_negative_descriptors),
    CASE(a_full_pipe_is_not_writable_and_o_nonblock_says_eagain),
    CASE(a_regular_file_is_always_ready),
    CASE(select_reports_ready_descriptors_and_time_left),
    CASE(a_signal_interrupts_poll_even_with_sa_restart),
    CASE(ppoll_unblocks_a_signal_for_the_wait_alone),
    CASE(pselect_unblocks_a_signal_for_the_wait_alone),
    CASE(a_ready_ppoll_leaves_the_mask_as_it_was),
    CASE(standard_output_is_writable),
};

static void reset(void) {
    signal(SIGUSR1, SIG_DFL);
    signal(SIGALRM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    hits = 0;
}

static int wait_for_a_key(void) {
    struct pollfd fd = {.fd = 0, .events = POLLIN};
    printf("polltests: waiting for a key\n");
    fflush(stdout);
    int r = poll(&fd, 1, 10000);
    if (r != 1) {
        printf("polltests: no key (poll returned %d)\n", r);
        return 1;
    }
    char line[64] = {0};
    ssize_t n = read(0, line, sizeof line - 1);
    printf("polltests: read %zd bytes: %s\n", n, line);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--key") == 0) return wait_for_a_key();
    return run_cases(cases, sizeof cases / sizeof cases[0], argc, argv, reset);
}
