/* Signals as a C program sees them, through musl's own sigaction, raise, siglongjmp, alarm and
 * pause: a handler installed the ordinary way must run, see the right siginfo_t, return through
 * musl's restorer and rt_sigreturn, and leave the interrupted code's registers as they were.
 *
 * The same static binary runs on the host's Linux (tests/test_linux_differential.py) and on
 * Ferrite (tests/system/test_signals.py); each case must pass on both. Output is KTAP, one
 * `ok N name` line per case. `sigtests NAME...` runs only the cases whose names contain a word.
 * (`--exec-check` is the second half of the exec case: the image exec'd reports what it got.) */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
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

/* A case returns NULL when it passes, else what went wrong. */

static volatile sig_atomic_t hits;
static volatile int seen_signo, seen_code, seen_pid, seen_status;
static void *volatile seen_addr;
static volatile int blocked_in_handler;
static volatile uintptr_t handler_sp;

static void count(int signo) { (void)signo; hits++; }

static void record(int signo, siginfo_t *info, void *context) {
    (void)context;
    hits++;
    seen_signo = info->si_signo;
    seen_code = info->si_code;
    seen_pid = info->si_pid;
    seen_status = info->si_status;
    seen_addr = info->si_addr;
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    blocked_in_handler = sigismember(&now, signo) * 1 + sigismember(&now, SIGUSR2) * 2;
}

static int install(int signo, void (*handler)(int), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    return sigaction(signo, &sa, NULL);
}

static int install_info(int signo, int flags, int also_block) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = record;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    if (also_block) sigaddset(&sa.sa_mask, also_block);
    return sigaction(signo, &sa, NULL);
}

/* Puts every signal back to its default and unblocks everything, between cases. */
static void reset(void) {
    for (int s = 1; s < 32; s++) {
        if (s != SIGKILL && s != SIGSTOP) signal(s, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    alarm(0);
    hits = 0;
    seen_signo = seen_code = seen_pid = seen_status = blocked_in_handler = 0;
    seen_addr = 0;
}

static const char *a_handler_runs_with_its_siginfo(void) {
    CHECK(install_info(SIGUSR1, 0, SIGUSR2) == 0, "sigaction: %s", strerror(errno));
    CHECK(kill(getpid(), SIGUSR1) == 0, "kill: %s", strerror(errno));
    CHECK(hits == 1, "handler ran %d times", hits);
    CHECK(seen_signo == SIGUSR1 && seen_code == SI_USER && seen_pid == getpid(),
          "siginfo: signo %d code %d pid %d", seen_signo, seen_code, seen_pid);
    CHECK(blocked_in_handler == 3, "in the handler the signal and sa_mask are blocked (%d)", blocked_in_handler);
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    CHECK(!sigismember(&now, SIGUSR1) && !sigismember(&now, SIGUSR2), "the mask came back");
    return NULL;
}

static const char *sa_nodefer_leaves_the_signal_unblocked(void) {
    CHECK(install_info(SIGUSR1, SA_NODEFER, 0) == 0, "sigaction");
    raise(SIGUSR1);
    CHECK(hits == 1 && blocked_in_handler == 0, "hits %d blocked %d", hits, blocked_in_handler);
    return NULL;
}

static const char *sa_resethand_is_one_shot(void) {
    CHECK(install_info(SIGUSR1, SA_RESETHAND, 0) == 0, "sigaction");
    raise(SIGUSR1);
    struct sigaction now;
    sigaction(SIGUSR1, NULL, &now);
    CHECK(hits == 1 && now.sa_handler == SIG_DFL, "hits %d, action reset: %d", hits, now.sa_handler == SIG_DFL);
    return NULL;
}

static const char *a_blocked_signal_waits_until_unblocked(void) {
    install(SIGUSR1, count, 0);
    sigset_t usr1, pending;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR1);
    CHECK(hits == 0, "ran while blocked");
    sigpending(&pending);
    CHECK(sigismember(&pending, SIGUSR1), "not pending");
    sigprocmask(SIG_UNBLOCK, &usr1, NULL);
    CHECK(hits == 1, "sent twice while blocked, taken %d times (want once)", hits);
    sigpending(&pending);
    CHECK(!sigismember(&pending, SIGUSR1), "still pending");
    return NULL;
}

static const char *an_ignored_signal_is_discarded(void) {
    signal(SIGUSR1, SIG_IGN);
    kill(getpid(), SIGUSR1);
    install(SIGUSR1, count, 0);
    CHECK(hits == 0, "an ignored signal was kept");
    /* Pending and blocked, then ignored: thrown away too. */
    sigset_t usr1, pending;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    kill(getpid(), SIGUSR1);
    signal(SIGUSR1, SIG_IGN);
    sigpending(&pending);
    CHECK(!sigismember(&pending, SIGUSR1), "ignoring did not discard the pending signal");
    return NULL;
}

static sigjmp_buf escape;
static void escape_handler(int signo, siginfo_t *info, void *context) {
    (void)context;
    seen_signo = signo;
    seen_code = info->si_code;
    seen_addr = info->si_addr;
    char here;
    handler_sp = (uintptr_t)&here;
    siglongjmp(escape, 1);
}

static int install_escape(int signo, int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = escape_handler;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    return sigaction(signo, &sa, NULL);
}

static const char *a_segfault_is_caught_and_siglongjmp_restores_the_mask(void) {
    install_escape(SIGSEGV, 0);
    if (sigsetjmp(escape, 1) == 0) {
        volatile int *unmapped = (volatile int *)0x10;
        __asm__ volatile("" : "+r"(unmapped));
        *unmapped = 1;
        return FAIL("the write to 0x10 did not fault");
    }
    CHECK(seen_signo == SIGSEGV && seen_code == SEGV_MAPERR, "signo %d code %d", seen_signo, seen_code);
    CHECK(seen_addr == (void *)0x10, "si_addr %p", seen_addr);
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    CHECK(!sigismember(&now, SIGSEGV), "siglongjmp left SIGSEGV blocked");
    return NULL;
}

static const char *a_write_to_read_only_memory_is_segv_accerr(void) {
    install_escape(SIGSEGV, 0);
    static const int constant = 5;
    if (sigsetjmp(escape, 1) == 0) {
        *(volatile int *)&constant = 1;
        return FAIL("the write to .rodata did not fault");
    }
    CHECK(seen_signo == SIGSEGV && seen_code == SEGV_ACCERR, "signo %d code %d", seen_signo, seen_code);
    CHECK(seen_addr == (void *)&constant, "si_addr %p", seen_addr);
    return NULL;
}

static const char *division_by_zero_is_sigfpe(void) {
    install_escape(SIGFPE, 0);
    int zero = 0, low = 1, high = 0;
    if (sigsetjmp(escape, 1) == 0) {
        /* In assembly: a compiler may turn `1 / x` into comparisons, with no division at all. */
        __asm__ volatile("idivl %2" : "+a"(low), "+d"(high) : "r"(zero));
        return FAIL("no fault");
    }
    CHECK(seen_signo == SIGFPE && seen_code == FPE_INTDIV, "signo %d code %d", seen_signo, seen_code);
    return NULL;
}

static const char *an_invalid_instruction_is_sigill(void) {
    install_escape(SIGILL, 0);
    if (sigsetjmp(escape, 1) == 0) {
        __asm__ volatile("ud2");
        return FAIL("no fault");
    }
    CHECK(seen_signo == SIGILL && seen_code == ILL_ILLOPN, "signo %d code %d", seen_signo, seen_code);
    return NULL;
}

/* Recurses until the stack runs out (`limit` is never reached; it keeps compilers from calling
 * the recursion infinite). */
static int recurse(int depth, int limit) {
    volatile char page[1024];
    page[0] = (char)depth;
    if (depth == limit) return 0;
    return recurse(depth + 1, limit) + page[0];
}

static const char *sigaltstack_catches_a_stack_overflow(void) {
    static char alternate[64 * 1024];
    stack_t ss = {.ss_sp = alternate, .ss_size = sizeof alternate, .ss_flags = 0};
    CHECK(sigaltstack(&ss, NULL) == 0, "sigaltstack: %s", strerror(errno));
    install_escape(SIGSEGV, SA_ONSTACK);
    if (sigsetjmp(escape, 1) == 0) {
        recurse(0, -1);
        return FAIL("the recursion ended");
    }
    CHECK(seen_signo == SIGSEGV, "signo %d", seen_signo);
    CHECK(handler_sp > (uintptr_t)alternate && handler_sp < (uintptr_t)alternate + sizeof alternate,
          "the handler ran at %#lx, not on the alternate stack", (unsigned long)handler_sp);
    stack_t old;
    sigaltstack(NULL, &old);
    CHECK(old.ss_sp == alternate && old.ss_flags == 0, "reported %p flags %d", old.ss_sp, old.ss_flags);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    ss.ss_flags = 0;
    ss.ss_size = 100;
    CHECK(sigaltstack(&ss, NULL) == -1 && errno == ENOMEM, "a tiny stack was accepted");
    return NULL;
}

/* A child that waits, sends the parent SIGUSR1, waits, then writes one byte to `fd`. */
static pid_t signal_then_write(int fd) {
    pid_t child = fork();
    if (child == 0) {
        usleep(200 * 1000);
        kill(getppid(), SIGUSR1);
        usleep(200 * 1000);
        write(fd, "x", 1);
        _exit(0);
    }
    return child;
}

static const char *a_pipe_read_restarts_with_sa_restart_and_fails_without(void) {
    for (int restart = 1; restart >= 0; restart--) {
        install(SIGUSR1, count, restart ? SA_RESTART : 0);
        hits = 0;
        int p[2];
        pipe(p);
        pid_t child = signal_then_write(p[1]);
        char c;
        ssize_t n = read(p[0], &c, 1);
        int error = errno;
        waitpid(child, NULL, 0);
        close(p[0]);
        close(p[1]);
        CHECK(hits == 1, "handler ran %d times", hits);
        if (restart) {
            CHECK(n == 1 && c == 'x', "with SA_RESTART the read returned %zd (%s)", n, strerror(error));
        } else {
            CHECK(n == -1 && error == EINTR, "without SA_RESTART the read returned %zd, not EINTR", n);
        }
    }
    return NULL;
}

static const char *alarm_interrupts_pause(void) {
    install(SIGALRM, count, 0);
    struct timespec before, after;
    clock_gettime(CLOCK_MONOTONIC, &before);
    alarm(1);
    int r = pause();
    clock_gettime(CLOCK_MONOTONIC, &after);
    CHECK(r == -1 && errno == EINTR && hits == 1, "pause returned %d (%s), hits %d", r, strerror(errno), hits);
    double waited = (after.tv_sec - before.tv_sec) + (after.tv_nsec - before.tv_nsec) / 1e9;
    CHECK(waited > 0.9 && waited < 3.0, "woke after %.3f s", waited);
    return NULL;
}

static const char *alarm_and_itimer_report_what_is_left(void) {
    alarm(10);
    unsigned left = alarm(0);
    CHECK(left == 10, "alarm(0) said %u seconds were left", left);
    struct itimerval set = {.it_value = {5, 0}, .it_interval = {1, 0}}, now;
    CHECK(setitimer(ITIMER_REAL, &set, NULL) == 0, "setitimer: %s", strerror(errno));
    getitimer(ITIMER_REAL, &now);
    CHECK(now.it_value.tv_sec >= 4 && now.it_value.tv_sec <= 5 && now.it_interval.tv_sec == 1,
          "left %ld.%06ld interval %ld", (long)now.it_value.tv_sec, (long)now.it_value.tv_usec,
          (long)now.it_interval.tv_sec);
    struct itimerval off = {0}, old;
    setitimer(ITIMER_REAL, &off, &old);
    CHECK(old.it_value.tv_sec >= 4, "the old value was not reported");
    getitimer(ITIMER_REAL, &now);
    CHECK(now.it_value.tv_sec == 0 && now.it_value.tv_usec == 0, "not disarmed");
    struct itimerval bad = {.it_value = {0, 1000000}};
    CHECK(setitimer(ITIMER_REAL, &bad, NULL) == -1 && errno == EINVAL, "tv_usec 1000000 accepted");
    return NULL;
}

static volatile sig_atomic_t virtual_hits, prof_hits;
static void count_virtual(int signo) { (void)signo; virtual_hits++; }
static void count_prof(int signo) { (void)signo; prof_hits++; }

/* Seconds since `start` by the monotonic clock. */
static double seconds_since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9;
}

static const char *cpu_time_timers_count_only_the_time_the_process_runs(void) {
    /* Asleep, the process uses no CPU time: a virtual timer keeps (nearly) all it had. */
    struct itimerval once = {.it_value = {0, 500000}}, now;
    CHECK(setitimer(ITIMER_VIRTUAL, &once, NULL) == 0, "setitimer: %s", strerror(errno));
    struct timespec nap = {0, 200000000};
    nanosleep(&nap, NULL);
    getitimer(ITIMER_VIRTUAL, &now);
    long kept = now.it_value.tv_sec * 1000000L + now.it_value.tv_usec;
    CHECK(kept > 400000, "a 200 ms sleep took %ld us of a 500 ms CPU-time timer", 500000 - kept);
    /* Running, it fires: SIGVTALRM for user time, SIGPROF for all of it, every 20 ms. */
    virtual_hits = prof_hits = 0;
    install(SIGVTALRM, count_virtual, SA_RESTART);
    install(SIGPROF, count_prof, SA_RESTART);
    struct itimerval every = {.it_value = {0, 20000}, .it_interval = {0, 20000}};
    CHECK(setitimer(ITIMER_VIRTUAL, &every, NULL) == 0 && setitimer(ITIMER_PROF, &every, NULL) == 0,
          "setitimer: %s", strerror(errno));
    getitimer(ITIMER_PROF, &now);
    CHECK(now.it_interval.tv_sec == 0 && now.it_interval.tv_usec == 20000 && now.it_value.tv_usec > 0,
          "ITIMER_PROF reads back as %ld us every %ld us", (long)now.it_value.tv_usec,
          (long)now.it_interval.tv_usec);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    volatile unsigned long spin = 0;
    /* Mostly in ring 3: the clock (a system call) is read only once in a million turns, so
     * that the ticks find the process in user mode, which is all a virtual timer counts. */
    while ((virtual_hits < 3 || prof_hits < 3) && (++spin % 1000000 != 0 || seconds_since(&start) < 20.0)) {
    }
    struct itimerval off = {0};
    setitimer(ITIMER_VIRTUAL, &off, NULL);
    setitimer(ITIMER_PROF, &off, &now);
    CHECK(virtual_hits >= 3 && prof_hits >= 3, "%d SIGVTALRM and %d SIGPROF in %.1f s of spinning",
          (int)virtual_hits, (int)prof_hits, seconds_since(&start));
    CHECK(now.it_interval.tv_usec == 20000, "the old ITIMER_PROF was not reported");
    getitimer(ITIMER_VIRTUAL, &now);
    CHECK(now.it_value.tv_sec == 0 && now.it_value.tv_usec == 0, "ITIMER_VIRTUAL not disarmed");
    errno = 0;
    CHECK(setitimer(3, &every, NULL) == -1 && errno == EINVAL, "an unknown timer was accepted");
    return NULL;
}

static const char *a_periodic_timer_leaves_the_interrupted_registers_intact(void) {
    /* SIGALRM every 2 ms interrupts floating-point and integer work at arbitrary instructions;
     * the handler does floating-point work of its own. rt_sigreturn must bring back every
     * register (RCX and R11 included) and the SSE state, or the sums below come out wrong. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = count;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval every = {.it_value = {0, 2000}, .it_interval = {0, 2000}};
    setitimer(ITIMER_REAL, &every, NULL);
    double sum = 0;
    uint64_t mixed = 0;
    uint64_t i = 0;
    while (hits < 30 && i < 400000000ull) {
        sum += (double)(i & 1023) * 0.5;
        mixed = mixed * 6364136223846793005ull + i;
        i++;
    }
    struct itimerval off = {0};
    setitimer(ITIMER_REAL, &off, NULL);
    double want = 0;
    uint64_t want_mixed = 0;
    for (uint64_t j = 0; j < i; j++) {
        want += (double)(j & 1023) * 0.5;
        want_mixed = want_mixed * 6364136223846793005ull + j;
    }
    CHECK(hits >= 30, "only %d signals in %llu iterations", hits, (unsigned long long)i);
    CHECK(sum == want && mixed == want_mixed, "after %d interruptions the sums differ", hits);
    return NULL;
}

static const char *sigsuspend_waits_with_a_temporary_mask(void) {
    install(SIGUSR1, count, 0);
    sigset_t usr1, none, now;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    pid_t child = fork();
    if (child == 0) {
        usleep(100 * 1000);
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    int r = sigsuspend(&none);
    int error = errno;
    waitpid(child, NULL, 0);
    CHECK(r == -1 && error == EINTR && hits == 1, "sigsuspend returned %d (%s), hits %d", r, strerror(error), hits);
    sigprocmask(SIG_BLOCK, NULL, &now);
    CHECK(sigismember(&now, SIGUSR1), "the mask was not restored");
    return NULL;
}

static const char *sigchld_says_which_child_ended_and_how(void) {
    install_info(SIGCHLD, 0, 0);
    sigset_t chld, none;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    pid_t child = fork();
    if (child == 0) _exit(7);
    sigsuspend(&none);
    CHECK(hits == 1 && seen_signo == SIGCHLD, "hits %d signo %d", hits, seen_signo);
    CHECK(seen_code == CLD_EXITED && seen_pid == child && seen_status == 7,
          "code %d pid %d (child %d) status %d", seen_code, seen_pid, child, seen_status);
    int status;
    CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status), "the zombie was not there to wait for");
    return NULL;
}

static const char *ignoring_sigchld_reaps_children_at_once(void) {
    signal(SIGCHLD, SIG_IGN);
    pid_t child = fork();
    if (child == 0) _exit(0);
    int status;
    pid_t r = waitpid(child, &status, 0);
    CHECK(r == -1 && errno == ECHILD, "waitpid returned %d (%s), want ECHILD", r, strerror(errno));
    return NULL;
}

static const char *sigtimedwait_takes_a_blocked_signal_without_its_handler(void) {
    install(SIGUSR2, count, 0);
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &usr2, NULL);
    kill(getpid(), SIGUSR2);
    siginfo_t info;
    struct timespec second = {1, 0}, short_wait = {0, 20 * 1000 * 1000};
    int r = sigtimedwait(&usr2, &info, &second);
    CHECK(r == SIGUSR2 && info.si_signo == SIGUSR2 && info.si_pid == getpid() && hits == 0,
          "returned %d signo %d hits %d", r, info.si_signo, hits);
    r = sigtimedwait(&usr2, &info, &short_wait);
    CHECK(r == -1 && errno == EAGAIN, "an empty wait returned %d (%s)", r, strerror(errno));
    return NULL;
}

static const char *sigpipe_can_be_ignored_or_handled(void) {
    int p[2];
    signal(SIGPIPE, SIG_IGN);
    pipe(p);
    close(p[0]);
    CHECK(write(p[1], "x", 1) == -1 && errno == EPIPE, "ignored: want EPIPE");
    install(SIGPIPE, count, 0);
    CHECK(write(p[1], "x", 1) == -1 && errno == EPIPE && hits == 1, "handled: want EPIPE and the handler, hits %d", hits);
    close(p[1]);
    return NULL;
}

static const char *fork_keeps_handlers_and_the_mask(void) {
    install(SIGUSR1, count, 0);
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &usr2, NULL);
    pid_t child = fork();
    if (child == 0) {
        sigset_t now;
        sigprocmask(SIG_BLOCK, NULL, &now);
        raise(SIGUSR1);
        _exit(hits == 1 && sigismember(&now, SIGUSR2) ? 0 : 1);
    }
    int status;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
    return NULL;
}

static const char *self_path;

static const char *exec_resets_handlers_but_keeps_ignored_and_the_mask(void) {
    install(SIGUSR1, count, 0);
    signal(SIGUSR2, SIG_IGN);
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, NULL);
    pid_t child = fork();
    if (child == 0) {
        execl(self_path, self_path, "--exec-check", (char *)NULL);
        _exit(99);
    }
    int status;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the exec'd image reported %#x", status);
    return NULL;
}

/* The exec'd half: SIGUSR1's handler is gone (SIG_DFL), SIGUSR2 is still ignored, SIGTERM is
 * still blocked. */
static int exec_check(void) {
    struct sigaction usr1, usr2;
    sigaction(SIGUSR1, NULL, &usr1);
    sigaction(SIGUSR2, NULL, &usr2);
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    return usr1.sa_handler == SIG_DFL && usr2.sa_handler == SIG_IGN && sigismember(&now, SIGTERM) ? 0 : 1;
}

static const char *a_bad_frame_on_rt_sigreturn_kills_only_that_process(void) {
    pid_t child = fork();
    if (child == 0) {
        /* RSP at an unmapped page: the frame cannot be read. */
        __asm__ volatile("mov $0x10, %%rsp\n mov %0, %%eax\n syscall" : : "i"(SYS_rt_sigreturn) : "memory");
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "status %#x, want killed by SIGSEGV", status);
    return NULL;
}

static const char *bad_arguments_get_linuxs_errors(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = count;
    CHECK(sigaction(SIGKILL, &sa, NULL) == -1 && errno == EINVAL, "a SIGKILL handler was accepted");
    CHECK(syscall(SYS_rt_sigaction, 65, NULL, NULL, 8) == -1 && errno == EINVAL, "signal 65");
    CHECK(syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 4) == -1 && errno == EINVAL, "sigsetsize 4");
    uint64_t set = 0;
    CHECK(syscall(SYS_rt_sigprocmask, 7, &set, NULL, 8) == -1 && errno == EINVAL, "how 7");
    CHECK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, (void *)8, NULL, 8) == -1 && errno == EFAULT, "a bad set pointer");
    CHECK(kill(getpid(), 65) == -1 && errno == EINVAL, "kill with signal 65");
    CHECK(kill(999999, 0) == -1 && errno == ESRCH, "kill of no process");
    CHECK(syscall(SYS_tkill, 0, SIGUSR1) == -1 && errno == EINVAL, "tkill of tid 0");
    CHECK(syscall(SYS_tgkill, getpid(), 999999, SIGUSR1) == -1 && errno == ESRCH, "tgkill of no thread");
    CHECK(kill(getpid(), 0) == 0, "kill(self, 0)");
    /* Blocking SIGKILL is silently refused. */
    sigset_t all, now;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    sigprocmask(SIG_BLOCK, NULL, &now);
    CHECK(!sigismember(&now, SIGKILL) && !sigismember(&now, SIGSTOP), "SIGKILL or SIGSTOP blocked");
    return NULL;
}

/* How long a child that waits for signals lives at most: if a case fails before it kills the
 * child, the child must not keep the output pipe open (a test runner would wait for ever). */
#define LEFTOVER_S 30

/* A child that waits for signals (until SIGKILL, or LEFTOVER_S seconds); with `own_group`, in a process group
 * of its own. Linux throws away SIGTSTP, SIGTTIN and SIGTTOU sent to a process whose group is
 * orphaned (no member has a parent in another group of the session), which this program's own
 * group may be when a test runner starts it; a group of its own, whose parent is outside it, is
 * not. */
static pid_t idle_child(int own_group) {
    pid_t child = fork();
    if (child == 0) {
        if (own_group) setpgid(0, 0);
        alarm(LEFTOVER_S);
        for (;;) pause();
    }
    if (own_group) setpgid(child, child);
    return child;
}

static const char *waitpid_sees_a_child_stop_and_continue(void) {
    pid_t child = idle_child(1);
    int status;
    kill(child, SIGSTOP);
    CHECK(waitpid(child, &status, WUNTRACED) == child && WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP,
          "after SIGSTOP: status %#x", status);
    CHECK(waitpid(child, &status, WUNTRACED | WNOHANG) == 0, "the stop was reported twice");
    kill(child, SIGCONT);
    CHECK(waitpid(child, &status, WCONTINUED) == child && WIFCONTINUED(status), "after SIGCONT: status %#x", status);
    kill(child, SIGTSTP);
    CHECK(waitpid(child, &status, WUNTRACED) == child && WIFSTOPPED(status) && WSTOPSIG(status) == SIGTSTP,
          "after SIGTSTP: status %#x", status);
    kill(child, SIGKILL);
    CHECK(waitpid(child, &status, 0) == child && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
          "a stopped child killed: status %#x", status);
    return NULL;
}

/* A child in a session of its own: its group has no parent in that session that could ever
 * continue it, so it is orphaned, and the terminal's stop signals are dropped; SIGSTOP is not. */
static const char *an_orphaned_group_ignores_the_terminals_stops(void) {
    pid_t child = fork();
    if (child == 0) {
        alarm(30);
        setsid();
        kill(getpid(), SIGTSTP);
        kill(getpid(), SIGTTIN);
        kill(getpid(), SIGTTOU);
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, WUNTRACED);
    if (WIFSTOPPED(status)) kill(child, SIGKILL), waitpid(child, NULL, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "after SIGTSTP, SIGTTIN, SIGTTOU: status %#x", status);
    child = fork();
    if (child == 0) {
        alarm(30);
        setsid();
        kill(getpid(), SIGSTOP);
        _exit(0);
    }
    waitpid(child, &status, WUNTRACED);
    int stopped = WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP;
    kill(child, SIGCONT);
    waitpid(child, &status, 0);
    CHECK(stopped, "SIGSTOP did not stop the orphaned child");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "continued, it ended with %#x", status);
    return NULL;
}

static const char *sigchld_tells_of_stops_unless_sa_nocldstop(void) {
    sigset_t chld, none;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    install_info(SIGCHLD, 0, 0);
    pid_t child = idle_child(1);
    kill(child, SIGSTOP);
    sigsuspend(&none);
    CHECK(hits == 1 && seen_code == CLD_STOPPED && seen_pid == child && seen_status == SIGSTOP,
          "hits %d code %d pid %d status %d", hits, seen_code, seen_pid, seen_status);
    kill(child, SIGCONT);
    sigsuspend(&none);
    CHECK(hits == 2 && seen_code == CLD_CONTINUED && seen_status == SIGCONT, "continued: code %d status %d", seen_code, seen_status);
    install_info(SIGCHLD, SA_NOCLDSTOP, 0);
    kill(child, SIGSTOP);
    int status;
    waitpid(child, &status, WUNTRACED);
    sigset_t pending;
    sigpending(&pending);
    CHECK(!sigismember(&pending, SIGCHLD), "SA_NOCLDSTOP: a stop still sent SIGCHLD");
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    return NULL;
}

static void write_to_fd3(int signo) {
    (void)signo;
    write(3, "u", 1);
}

static const char *a_stopped_process_takes_its_signals_when_continued(void) {
    int p[2];
    pipe(p);
    pid_t child = fork();
    if (child == 0) {
        dup2(p[1], 3);
        signal(SIGUSR1, write_to_fd3);
        write(3, "r", 1); /* ready: the handler is in place */
        alarm(LEFTOVER_S);
        for (;;) pause();
    }
    char ready = 0;
    read(p[0], &ready, 1);
    int status;
    kill(child, SIGSTOP);
    waitpid(child, &status, WUNTRACED);
    kill(child, SIGUSR1);
    struct timespec pause_time = {0, 100 * 1000 * 1000};
    nanosleep(&pause_time, NULL);
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(p[0], &readable);
    struct timeval zero = {0, 0};
    int early = select(p[0] + 1, &readable, NULL, NULL, &zero);
    kill(child, SIGCONT);
    /* Never a read that could wait for ever: a child that died would leave it hanging. */
    FD_ZERO(&readable);
    FD_SET(p[0], &readable);
    struct timeval five = {5, 0};
    char c = 0;
    ssize_t n = select(p[0] + 1, &readable, NULL, NULL, &five) == 1 ? read(p[0], &c, 1) : -1;
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    close(p[0]);
    close(p[1]);
    CHECK(ready == 'r', "the child did not start");
    CHECK(early == 0, "the handler ran while the process was stopped");
    CHECK(n == 1 && c == 'u', "the handler did not run after SIGCONT");
    return NULL;
}

static const char *waitpid_chooses_children_by_process_group(void) {
    pid_t mine = idle_child(0);
    pid_t other = fork();
    if (other == 0) {
        setpgid(0, 0);
        for (;;) pause();
    }
    setpgid(other, other);
    kill(mine, SIGKILL);
    kill(other, SIGKILL);
    int status;
    pid_t first = waitpid(-other, &status, 0);
    pid_t second = waitpid(0, &status, 0);
    CHECK(first == other, "waitpid(-group) gave %d, want %d", first, other);
    CHECK(second == mine, "waitpid(0) gave %d, want %d", second, mine);
    CHECK(waitpid(-other, &status, WNOHANG) == -1 && errno == ECHILD, "an empty group: want ECHILD");
    return NULL;
}

/* Where a child's handlers below report: 'h' for SIGHUP, 'c' for SIGCONT. */
static int report_fd = -1;
static void report_hup(int signo) { (void)signo; write(report_fd, "h", 1); }
static void report_cont(int signo) { (void)signo; write(report_fd, "c", 1); }

/* Reads up to `size` bytes from `fd`, one at a time, giving up after `ms` milliseconds without
 * one; returns how many it read. Never a read that could wait for ever. */
static size_t read_within(int fd, char *out, size_t size, int ms) {
    size_t n = 0;
    while (n < size) {
        fd_set readable;
        FD_ZERO(&readable);
        FD_SET(fd, &readable);
        struct timeval timeout = {ms / 1000, (ms % 1000) * 1000};
        if (select(fd + 1, &readable, NULL, NULL, &timeout) != 1 || read(fd, &out[n], 1) != 1) break;
        n++;
    }
    return n;
}

/* Runs in a session of its own, so that whatever started this program, no process outside the
 * session can count as a parent that might still continue the group (Linux reparents orphans to
 * a subreaper or the namespace's init, which may sit in the runner's session). Starts a middle
 * process and, under it, a child that installs the handlers above and, if `stops`, stops itself.
 * The child is in a group of its own (`childs_group`) or shares the middle's new group; either
 * way, when the middle ends, the child's group loses its last parent in another group of the
 * session. Returns 0 if the child then got SIGHUP and SIGCONT (if it was stopped) or nothing
 * (if not), else what went wrong: 1 none came, 2 only one came, 3 a signal came though nothing
 * was stopped, 10 and up a step that failed. */
static int orphan_the_childs_group(int childs_group, int stops) {
    int report[2], told[2];
    if (setsid() < 0 || pipe(report) != 0 || pipe(told) != 0) return 10;
    report_fd = report[1];
    pid_t middle = fork();
    if (middle == 0) {
        if (!childs_group) setpgid(0, 0);
        pid_t child = fork();
        if (child == 0) {
            alarm(LEFTOVER_S);
            if (childs_group) setpgid(0, 0);
            signal(SIGHUP, report_hup);
            signal(SIGCONT, report_cont);
            write(report_fd, "r", 1); /* ready: in its group, the handlers in place */
            if (stops) raise(SIGSTOP);
            for (;;) pause();
        }
        write(told[1], &child, sizeof child);
        char ready = 0;
        if (read_within(report[0], &ready, 1, 5000) != 1 || ready != 'r') _exit(11);
        int status = 0;
        if (stops && (waitpid(child, &status, WUNTRACED) != child || !WIFSTOPPED(status))) _exit(12);
        _exit(0);
    }
    pid_t child = 0;
    int status = 0;
    if (read(told[0], &child, sizeof child) != sizeof child) return 13;
    if (waitpid(middle, &status, 0) != middle || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        kill(child, SIGKILL);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 14;
    }
    char got[2] = {0, 0};
    size_t n = read_within(report[0], got, sizeof got, stops ? 5000 : 300);
    /* Reparented away from here (a stopped one would stay stopped for ever if nothing came). */
    kill(child, SIGKILL);
    if (!stops) return n == 0 ? 0 : 3;
    if (n == 0) return 1;
    int hup = memchr(got, 'h', n) != NULL, cont = memchr(got, 'c', n) != NULL;
    return hup && cont ? 0 : 2;
}

/* Runs `orphan_the_childs_group` in a child; its exit status. */
static int orphaning_in_a_new_session(int childs_group, int stops) {
    pid_t leader = fork();
    if (leader == 0) {
        alarm(LEFTOVER_S);
        _exit(orphan_the_childs_group(childs_group, stops));
    }
    int status = 0;
    waitpid(leader, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

/* POSIX: a process whose end orphans a process group with a stopped member sends the group
 * SIGHUP and SIGCONT; nobody is left who could continue it. Here the ending process is the
 * stopped child's parent, and the child's group is its own (Linux looks at each child's group
 * as the process ends). */
static const char *a_parent_that_ends_hangs_up_its_childs_orphaned_stopped_group(void) {
    int failed = orphaning_in_a_new_session(1, 1);
    CHECK(failed == 0, "failed with %d (1: no signal, 2: SIGHUP or SIGCONT missing)", failed);
    return NULL;
}

/* The same for the ending process's own group: it was the group's last member with a parent
 * outside it (Linux's other check). A group with nobody stopped is left alone. */
static const char *the_last_tie_of_a_group_with_a_stopped_member_hangs_it_up(void) {
    int failed = orphaning_in_a_new_session(0, 1);
    CHECK(failed == 0, "failed with %d (1: no signal, 2: SIGHUP or SIGCONT missing)", failed);
    failed = orphaning_in_a_new_session(0, 0);
    CHECK(failed == 0, "with nobody stopped: failed with %d (3: a signal came)", failed);
    return NULL;
}

static const struct test_case cases[] = {
    CASE(a_handler_runs_with_its_siginfo),
    CASE(sa_nodefer_leaves_the_signal_unblocked),
    CASE(sa_resethand_is_one_shot),
    CASE(a_blocked_signal_waits_until_unblocked),
    CASE(an_ignored_signal_is_discarded),
    CASE(a_segfault_is_caught_and_siglongjmp_restores_the_mask),
    CASE(a_write_to_read_only_memory_is_segv_accerr),
    CASE(division_by_zero_is_sigfpe),
    CASE(an_invalid_instruction_is_sigill),
    CASE(sigaltstack_catches_a_stack_overflow),
    CASE(a_pipe_read_restarts_with_sa_restart_and_fails_without),
    CASE(alarm_interrupts_pause),
    CASE(alarm_and_itimer_report_what_is_left),
    CASE(cpu_time_timers_count_only_the_time_the_process_runs),
    CASE(a_periodic_timer_leaves_the_interrupted_registers_intact),
    CASE(sigsuspend_waits_with_a_temporary_mask),
    CASE(sigchld_says_which_child_ended_and_how),
    CASE(ignoring_sigchld_reaps_children_at_once),
    CASE(sigtimedwait_takes_a_blocked_signal_without_its_handler),
    CASE(sigpipe_can_be_ignored_or_handled),
    CASE(fork_keeps_handlers_and_the_mask),
    CASE(exec_resets_handlers_but_keeps_ignored_and_the_mask),
    CASE(a_bad_frame_on_rt_sigreturn_kills_only_that_process),
    CASE(bad_arguments_get_linuxs_errors),
    CASE(waitpid_sees_a_child_stop_and_continue),
    CASE(an_orphaned_group_ignores_the_terminals_stops),
    CASE(sigchld_tells_of_stops_unless_sa_nocldstop),
    CASE(a_stopped_process_takes_its_signals_when_continued),
    CASE(waitpid_chooses_children_by_process_group),
    CASE(a_parent_that_ends_hangs_up_its_childs_orphaned_stopped_group),
    CASE(the_last_tie_of_a_group_with_a_stopped_member_hangs_it_up),
};

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--exec-check") == 0) return exec_check();
    self_path = strchr(argv[0], '/') ? argv[0] : "/bin/sigtests";
    return run_cases(cases, sizeof cases / sizeof cases[0], argc, argv, reset);
}
