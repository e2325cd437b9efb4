/* Threads as a C program uses them, through musl's pthreads: creating and joining, memory and
 * thread-local storage, mutexes and condition variables across eight threads, the futex calls
 * underneath, signal masks that belong to one thread, and how a process ends when one of its
 * threads exits, faults, forks or calls execve. And clone's other sharing, posix_spawn's: a
 * child that borrows its parent's memory until it calls execve.
 *
 * The same static binary runs on the host's Linux (tests/test_linux_differential.py) and on
 * Ferrite (tests/system/test_user.py); every case must pass on both. Output is KTAP. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

/* Linux's futex operations (linux/futex.h, which musl-gcc's headers do not carry). */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)
#define FUTEX_CMP_REQUEUE_PRIVATE (FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAIT_BITSET_PRIVATE (FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG)

/* Threads the concurrency cases run at once. */
#define WORKERS 8

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static long futex(uint32_t *word, int op, uint32_t val, const struct timespec *timeout) {
    return syscall(SYS_futex, word, op, val, timeout, NULL, 0);
}

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

/* ---- creating and joining ---- */

struct ids { pid_t pid, tid; };

static void *report_ids(void *arg) {
    struct ids *ids = arg;
    ids->pid = getpid();
    ids->tid = gettid_();
    return (void *)(intptr_t)42;
}

static const char *create_and_join(void) {
    struct ids ids = {0, 0};
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, report_ids, &ids) == 0, "pthread_create failed");
    void *result = NULL;
    CHECK(pthread_join(thread, &result) == 0, "pthread_join failed");
    CHECK(result == (void *)(intptr_t)42, "join gave %p, not 42", result);
    CHECK(ids.pid == getpid(), "the thread's getpid is %d, the process's %d", ids.pid, getpid());
    CHECK(ids.tid != gettid_() && ids.tid > 0, "the thread's tid %d is not its own", ids.tid);
    CHECK(gettid_() == getpid(), "the first thread's tid %d is not the pid %d", gettid_(), getpid());
    return NULL;
}

static void *nothing(void *arg) { return arg; }

static const char *many_threads_one_after_another(void) {
    for (int i = 0; i < 40; i++) {
        pthread_t thread;
        CHECK(pthread_create(&thread, NULL, nothing, (void *)(intptr_t)i) == 0, "create %d failed", i);
        void *result;
        CHECK(pthread_join(thread, &result) == 0, "join %d failed", i);
        CHECK(result == (void *)(intptr_t)i, "thread %d returned %p", i, result);
    }
    return NULL;
}

static volatile int detached_ran;
static void *set_and_exit(void *arg) {
    (void)arg;
    detached_ran = 1;
    pthread_exit(NULL);
}

static const char *a_detached_thread_runs_and_goes(void) {
    detached_ran = 0;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    CHECK(pthread_create(&thread, &attr, set_and_exit, NULL) == 0, "create failed");
    pthread_attr_destroy(&attr);
    for (int i = 0; i < 200 && !detached_ran; i++) usleep(1000);
    CHECK(detached_ran, "the detached thread never ran");
    return NULL;
}

/* ---- memory ---- */

static int shared_value;
static __thread int per_thread = 7;

static void *write_both(void *arg) {
    (void)arg;
    shared_value = 1234;
    int before = per_thread;
    per_thread = 99;
    return (void *)(intptr_t)before;
}

static const char *memory_is_shared_and_tls_is_not(void) {
    shared_value = 0;
    per_thread = 5;
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, write_both, NULL) == 0, "create failed");
    void *before;
    pthread_join(thread, &before);
    CHECK(shared_value == 1234, "the thread's write to a global is not seen (%d)", shared_value);
    CHECK(before == (void *)7, "the thread's TLS started at %ld, not the initial 7", (long)(intptr_t)before);
    CHECK(per_thread == 5, "the thread's TLS write changed the first thread's copy (%d)", per_thread);
    return NULL;
}

/* ---- mutexes and condition variables ---- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
#define INCREMENTS 20000

static void *add_many(void *arg) {
    (void)arg;
    for (int i = 0; i < INCREMENTS; i++) {
        pthread_mutex_lock(&lock);
        long seen = counter;
        if (i % 1000 == 0) sched_yield(); /* hold the lock across a switch now and then */
        counter = seen + 1;
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

static const char *a_mutex_keeps_eight_threads_counting_right(void) {
    counter = 0;
    pthread_t threads[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        CHECK(pthread_create(&threads[i], NULL, add_many, NULL) == 0, "create %d failed", i);
    }
    for (int i = 0; i < WORKERS; i++) pthread_join(threads[i], NULL);
    CHECK(counter == (long)WORKERS * INCREMENTS, "counted %ld, not %ld", counter, (long)WORKERS * INCREMENTS);
    return NULL;
}

/* A bounded buffer: producers wait while it is full, consumers while it is empty. */
#define SLOTS 4
#define ITEMS_EACH 500
static struct {
    pthread_mutex_t lock;
    pthread_cond_t not_full, not_empty;
    int items[SLOTS];
    int head, count, done_producers;
} buffer = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0, 0, 0};

static void *produce(void *arg) {
    int base = (int)(intptr_t)arg * ITEMS_EACH;
    for (int i = 1; i <= ITEMS_EACH; i++) {
        pthread_mutex_lock(&buffer.lock);
        while (buffer.count == SLOTS) pthread_cond_wait(&buffer.not_full, &buffer.lock);
        buffer.items[(buffer.head + buffer.count) % SLOTS] = base + i;
        buffer.count++;
        pthread_cond_signal(&buffer.not_empty);
        pthread_mutex_unlock(&buffer.lock);
    }
    pthread_mutex_lock(&buffer.lock);
    buffer.done_producers++;
    pthread_cond_broadcast(&buffer.not_empty);
    pthread_mutex_unlock(&buffer.lock);
    return NULL;
}

static void *consume(void *arg) {
    (void)arg;
    long sum = 0;
    for (;;) {
        pthread_mutex_lock(&buffer.lock);
        while (buffer.count == 0 && buffer.done_producers < WORKERS / 2) {
            pthread_cond_wait(&buffer.not_empty, &buffer.lock);
        }
        if (buffer.count == 0) {
            pthread_mutex_unlock(&buffer.lock);
            return (void *)sum;
        }
        sum += buffer.items[buffer.head];
        buffer.head = (buffer.head + 1) % SLOTS;
        buffer.count--;
        pthread_cond_signal(&buffer.not_full);
        pthread_mutex_unlock(&buffer.lock);
    }
}

static const char *producers_and_consumers_pass_every_item_once(void) {
    pthread_t threads[WORKERS];
    for (int i = 0; i < WORKERS / 2; i++) {
        CHECK(pthread_create(&threads[i], NULL, produce, (void *)(intptr_t)i) == 0, "producer %d", i);
        CHECK(pthread_create(&threads[WORKERS / 2 + i], NULL, consume, NULL) == 0, "consumer %d", i);
    }
    long total = 0;
    for (int i = 0; i < WORKERS; i++) {
        void *sum;
        pthread_join(threads[i], &sum);
        if (i >= WORKERS / 2) total += (long)sum;
    }
    long n = (long)(WORKERS / 2) * ITEMS_EACH;
    long expected = n * (n + 1) / 2;
    CHECK(total == expected, "consumers summed %ld, not %ld", total, expected);
    CHECK(buffer.count == 0, "%d items left over", buffer.count);
    return NULL;
}

static void *sleep_a_while(void *arg) {
    (void)arg;
    usleep(200 * 1000);
    return NULL;
}

static const char *threads_sleep_at_the_same_time(void) {
    pthread_t threads[4];
    double start = now();
    for (int i = 0; i < 4; i++) pthread_create(&threads[i], NULL, sleep_a_while, NULL);
    for (int i = 0; i < 4; i++) pthread_join(threads[i], NULL);
    double took = now() - start;
    CHECK(took >= 0.19, "four 200 ms sleeps ended after %.3f s", took);
    CHECK(took < 0.6, "four 200 ms sleeps in four threads took %.3f s: one after another", took);
    return NULL;
}

static int pipe_ends[2];
static void *read_one(void *arg) {
    (void)arg;
    char byte = 0;
    return (void *)(intptr_t)(read(pipe_ends[0], &byte, 1) == 1 ? byte : -1);
}

static const char *a_thread_blocked_in_read_lets_the_others_run(void) {
    CHECK(pipe(pipe_ends) == 0, "pipe failed");
    pthread_t reader;
    pthread_create(&reader, NULL, read_one, NULL);
    usleep(50 * 1000);
    CHECK(write(pipe_ends[1], "z", 1) == 1, "write failed");
    void *got;
    pthread_join(reader, &got);
    close(pipe_ends[0]);
    close(pipe_ends[1]);
    CHECK(got == (void *)(intptr_t)'z', "the reader got %ld", (long)(intptr_t)got);
    return NULL;
}

/* ---- the futex calls themselves ---- */

static const char *futex_wait_checks_the_word_and_times_out(void) {
    uint32_t word = 1;
    errno = 0;
    CHECK(futex(&word, FUTEX_WAIT_PRIVATE, 2, NULL) == -1 && errno == EAGAIN,
          "a wait for a value the word does not hold gave errno %d, not EAGAIN", errno);
    struct timespec limit = {0, 50 * 1000 * 1000};
    double start = now();
    errno = 0;
    CHECK(futex(&word, FUTEX_WAIT_PRIVATE, 1, &limit) == -1 && errno == ETIMEDOUT,
          "a 50 ms wait gave errno %d, not ETIMEDOUT", errno);
    double took = now() - start;
    CHECK(took >= 0.049 && took < 1.0, "a 50 ms wait took %.3f s", took);
    errno = 0;
    CHECK(futex((uint32_t *)((char *)&word + 1), FUTEX_WAIT_PRIVATE, 1, &limit) == -1 && errno == EINVAL,
          "a misaligned word gave errno %d, not EINVAL", errno);
    errno = 0;
    CHECK(futex((uint32_t *)8, FUTEX_WAIT_PRIVATE, 1, &limit) == -1 && errno == EFAULT,
          "an unmapped word gave errno %d, not EFAULT", errno);
    struct timespec bad = {0, 1000 * 1000 * 1000};
    errno = 0;
    CHECK(futex(&word, FUTEX_WAIT_PRIVATE, 1, &bad) == -1 && errno == EINVAL,
          "a timeout of a billion nanoseconds gave errno %d, not EINVAL", errno);
    CHECK(futex(&word, FUTEX_WAKE_PRIVATE, 5, NULL) == 0, "a wake with no waiters woke someone");
    errno = 0;
    CHECK(syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE, 1, NULL, NULL, 0) == -1 && errno == EINVAL,
          "a wait for an empty bit set gave errno %d, not EINVAL", errno);
    return NULL;
}

static uint32_t gate;
static void *wait_at_gate(void *arg) {
    (void)arg;
    while (__atomic_load_n(&gate, __ATOMIC_SEQ_CST) == 0) futex(&gate, FUTEX_WAIT_PRIVATE, 0, NULL);
    return NULL;
}

static const char *futex_wake_wakes_as_many_as_asked(void) {
    gate = 0;
    pthread_t threads[3];
    for (int i = 0; i < 3; i++) pthread_create(&threads[i], NULL, wait_at_gate, NULL);
    usleep(100 * 1000); /* all three asleep by now */
    __atomic_store_n(&gate, 1, __ATOMIC_SEQ_CST);
    long woken = futex(&gate, FUTEX_WAKE_PRIVATE, 2, NULL);
    long rest = futex(&gate, FUTEX_WAKE_PRIVATE, 10, NULL);
    for (int i = 0; i < 3; i++) pthread_join(threads[i], NULL);
    CHECK(woken == 2, "a wake of two woke %ld", woken);
    CHECK(rest == 1, "the second wake woke %ld, not the one left", rest);
    return NULL;
}

static uint32_t from_word, to_word;
static void *wait_on_from(void *arg) {
    (void)arg;
    futex(&from_word, FUTEX_WAIT_PRIVATE, 0, NULL);
    return NULL;
}

static const char *futex_requeue_moves_waiters(void) {
    from_word = 0;
    to_word = 0;
    pthread_t threads[3];
    for (int i = 0; i < 3; i++) pthread_create(&threads[i], NULL, wait_on_from, NULL);
    usleep(100 * 1000);
    errno = 0;
    CHECK(syscall(SYS_futex, &from_word, FUTEX_CMP_REQUEUE_PRIVATE, 1, 2, &to_word, 5) == -1 && errno == EAGAIN,
          "a requeue whose check fails gave errno %d, not EAGAIN", errno);
    long moved = syscall(SYS_futex, &from_word, FUTEX_CMP_REQUEUE_PRIVATE, 1, 2, &to_word, 0);
    CHECK(moved == 3, "wake one, move two reported %ld", moved);
    CHECK(futex(&from_word, FUTEX_WAKE_PRIVATE, 10, NULL) == 0, "waiters were left on the first word");
    CHECK(futex(&to_word, FUTEX_WAKE_PRIVATE, 10, NULL) == 2, "the two moved waiters are not on the second word");
    for (int i = 0; i < 3; i++) pthread_join(threads[i], NULL);
    return NULL;
}

/* ---- signals and threads ---- */

static volatile pid_t handled_on;
static void note_tid(int signo) {
    (void)signo;
    handled_on = gettid_();
}

static volatile int thread_ready, thread_go;
static volatile pid_t worker_tid;

static void *wait_unblocked(void *arg) {
    (void)arg;
    worker_tid = gettid_();
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
    thread_ready = 1;
    while (!thread_go) usleep(1000);
    return NULL;
}

static const char *a_process_signal_goes_to_a_thread_that_does_not_block_it(void) {
    struct sigaction action = {.sa_handler = note_tid};
    sigaction(SIGUSR2, &action, NULL);
    sigset_t usr2, old;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &usr2, &old);
    thread_ready = thread_go = 0;
    handled_on = 0;
    pthread_t thread;
    pthread_create(&thread, NULL, wait_unblocked, NULL);
    while (!thread_ready) usleep(1000);
    kill(getpid(), SIGUSR2);
    for (int i = 0; i < 500 && !handled_on; i++) usleep(1000);
    thread_go = 1;
    pthread_join(thread, NULL);
    sigset_t after;
    pthread_sigmask(SIG_SETMASK, &old, &after);
    signal(SIGUSR2, SIG_DFL);
    CHECK(sigismember(&after, SIGUSR2), "the first thread's mask lost SIGUSR2");
    CHECK(handled_on == worker_tid, "the handler ran on thread %d, not the unblocking thread %d", handled_on, worker_tid);
    return NULL;
}

static volatile int usr1_seen_by;
static void *block_usr1_and_wait(void *arg) {
    (void)arg;
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    thread_ready = 1;
    int signo = 0;
    sigwait(&usr1, &signo);
    usr1_seen_by = signo;
    return NULL;
}

static const char *a_signal_sent_to_one_thread_reaches_that_thread(void) {
    thread_ready = 0;
    usr1_seen_by = 0;
    pthread_t thread;
    pthread_create(&thread, NULL, block_usr1_and_wait, NULL);
    while (!thread_ready) usleep(1000);
    sigset_t mine;
    pthread_sigmask(SIG_SETMASK, NULL, &mine);
    CHECK(!sigismember(&mine, SIGUSR1), "the thread's mask changed the first thread's");
    CHECK(pthread_kill(thread, SIGUSR1) == 0, "pthread_kill failed");
    pthread_join(thread, NULL);
    CHECK(usr1_seen_by == SIGUSR1, "sigwait in the thread took %d", usr1_seen_by);
    errno = 0;
    CHECK(syscall(SYS_tgkill, getpid(), 999999, 0) == -1 && errno == ESRCH,
          "tgkill of no such thread gave errno %d, not ESRCH", errno);
    return NULL;
}

/* ---- how a process ends ---- */

/* Runs `body` in a child process and returns its wait status. */
static int status_of(void (*body)(void)) {
    pid_t child = fork();
    if (child == 0) {
        alarm(30); /* a broken case must not hang the run */
        body();
        _exit(100);
    }
    int status = 0;
    waitpid(child, &status, 0);
    return status;
}

static void *exit_seven(void *arg) {
    (void)arg;
    exit(7);
}

static void a_thread_calls_exit(void) {
    pthread_t thread;
    pthread_create(&thread, NULL, exit_seven, NULL);
    for (;;) pause();
}

static const char *exit_in_a_thread_ends_the_whole_process(void) {
    int status = status_of(a_thread_calls_exit);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7, "status %#x, not exit 7", status);
    return NULL;
}

static void *touch_null(void *arg) {
    (void)arg;
    *(volatile int *)0 = 1;
    return NULL;
}

static void a_thread_faults(void) {
    pthread_t thread;
    pthread_create(&thread, NULL, touch_null, NULL);
    for (;;) pause();
}

static const char *a_fault_in_a_thread_kills_the_process(void) {
    int status = status_of(a_thread_faults);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "status %#x, not killed by SIGSEGV", status);
    return NULL;
}

/* Ends its thread with the raw `exit` call after `arg` tenths of a second, with `arg` as its
 * status (musl's pthread_exit would end the whole process with status 0 from the last thread). */
static void *sleep_then_end(void *arg) {
    usleep((int)(intptr_t)arg * 100 * 1000);
    syscall(SYS_exit, (int)(intptr_t)arg);
    return NULL;
}

static void first_thread_leaves_first(void) {
    pthread_t thread;
    pthread_create(&thread, NULL, sleep_then_end, (void *)2);
    pthread_create(&thread, NULL, sleep_then_end, (void *)1);
    syscall(SYS_exit, 5); /* this thread only: the process goes on until the others end */
}

static const char *the_process_ends_with_its_last_thread(void) {
    int status = status_of(first_thread_leaves_first);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 2, "status %#x, not the last thread's exit 2", status);
    return NULL;
}

static void *fork_and_wait(void *arg) {
    (void)arg;
    pid_t child = fork();
    if (child == 0) _exit(getpid() == gettid_() ? 3 : 4);
    int status = 0;
    waitpid(child, &status, 0);
    return (void *)(intptr_t)status;
}

static const char *fork_in_a_thread_copies_only_that_thread(void) {
    pthread_t thread;
    pthread_create(&thread, NULL, fork_and_wait, NULL);
    void *status;
    pthread_join(thread, &status);
    int s = (int)(intptr_t)status;
    CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 3, "the child of a thread ended with %#x, not 3", s);
    return NULL;
}

static void *exec_true(void *arg) {
    (void)arg;
    char *argv[] = {"true", NULL};
    execv("/bin/true", argv);
    _exit(9);
}

static void a_thread_calls_execve(void) {
    pthread_t thread;
    pthread_create(&thread, NULL, exec_true, NULL);
    for (;;) pause();
}

static const char *execve_in_a_thread_replaces_the_whole_process(void) {
    int status = status_of(a_thread_calls_execve);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x, not true's 0", status);
    return NULL;
}

static pthread_mutex_t robust;
static void *lock_and_vanish(void *arg) {
    (void)arg;
    pthread_mutex_lock(&robust);
    return NULL; /* ends holding it */
}

static const char *a_robust_mutex_reports_its_owner_died(void) {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&robust, &attr);
    pthread_mutexattr_destroy(&attr);
    pthread_t thread;
    pthread_create(&thread, NULL, lock_and_vanish, NULL);
    pthread_join(thread, NULL);
    int result = pthread_mutex_lock(&robust);
    CHECK(result == EOWNERDEAD, "locking gave %d, not EOWNERDEAD", result);
    pthread_mutex_consistent(&robust);
    pthread_mutex_unlock(&robust);
    pthread_mutex_destroy(&robust);
    return NULL;
}

static void *change_directory(void *arg) {
    return (void *)(intptr_t)chdir((const char *)arg);
}

static const char *chdir_in_a_thread_moves_the_whole_process(void) {
    char before[256], after[256];
    CHECK(getcwd(before, sizeof before), "getcwd failed");
    pthread_t thread;
    pthread_create(&thread, NULL, change_directory, "/proc");
    void *result;
    pthread_join(thread, &result);
    CHECK(result == NULL, "chdir in the thread failed");
    CHECK(getcwd(after, sizeof after), "getcwd failed");
    int moved = strcmp(after, "/proc") == 0;
    CHECK(chdir(before) == 0, "could not go back to %.100s", before);
    CHECK(moved, "after the thread's chdir, the first thread is in %.100s", after);
    return NULL;
}

/* The `Threads:` line of /proc/self/status. */
static int threads_in_status(void) {
    FILE *status = fopen("/proc/self/status", "r");
    if (!status) return -1;
    char line[256];
    int count = -1;
    while (fgets(line, sizeof line, status)) {
        if (sscanf(line, "Threads: %d", &count) == 1) break;
    }
    fclose(status);
    return count;
}

static const char *proc_counts_the_threads(void) {
    gate = 0;
    int alone = threads_in_status();
    pthread_t threads[2];
    for (int i = 0; i < 2; i++) pthread_create(&threads[i], NULL, wait_at_gate, NULL);
    int three = threads_in_status();
    __atomic_store_n(&gate, 1, __ATOMIC_SEQ_CST);
    futex(&gate, FUTEX_WAKE_PRIVATE, 10, NULL);
    for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
    CHECK(alone == 1, "/proc/self/status says %d threads before any was made", alone);
    CHECK(three == 3, "/proc/self/status says %d threads with two more running", three);
    return NULL;
}

extern char **environ;

static const char *posix_spawn_starts_a_program_and_reports_a_missing_one(void) {
    pid_t child = 0;
    char *argv[] = {"true", NULL};
    int result = posix_spawn(&child, "/bin/true", NULL, NULL, argv, environ);
    CHECK(result == 0 && child > 0, "posix_spawn of /bin/true gave %d", result);
    int status = -1;
    CHECK(waitpid(child, &status, 0) == child, "waitpid failed (errno %d)", errno);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "true ended with %#x", status);
    /* The child's exec fails in the borrowed memory; musl hands the error back through a pipe. */
    result = posix_spawn(&child, "/no/such/program", NULL, NULL, argv, environ);
    CHECK(result == ENOENT, "posix_spawn of a missing program gave %d, not ENOENT", result);
    return NULL;
}

static const char *system_and_popen_run_the_shell(void) {
    int status = system("exit 3");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3, "system(\"exit 3\") gave %#x", status);
    FILE *out = popen("echo from the shell", "r");
    CHECK(out, "popen failed (errno %d)", errno);
    char line[64] = {0};
    char *got = fgets(line, sizeof line, out);
    status = pclose(out);
    CHECK(got && strcmp(line, "from the shell\n") == 0, "popen read '%s'", line);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "pclose gave %#x", status);
    return NULL;
}

static void reset(void) {}

int main(int argc, char **argv) {
    static const struct test_case cases[] = {
        CASE(create_and_join),
        CASE(many_threads_one_after_another),
        CASE(a_detached_thread_runs_and_goes),
        CASE(memory_is_shared_and_tls_is_not),
        CASE(a_mutex_keeps_eight_threads_counting_right),
        CASE(producers_and_consumers_pass_every_item_once),
        CASE(threads_sleep_at_the_same_time),
        CASE(a_thread_blocked_in_read_lets_the_others_run),
        CASE(futex_wait_checks_the_word_and_times_out),
        CASE(futex_wake_wakes_as_many_as_asked),
        CASE(futex_requeue_moves_waiters),
        CASE(a_process_signal_goes_to_a_thread_that_does_not_block_it),
        CASE(a_signal_sent_to_one_thread_reaches_that_thread),
        CASE(exit_in_a_thread_ends_the_whole_process),
        CASE(a_fault_in_a_thread_kills_the_process),
        CASE(the_process_ends_with_its_last_thread),
        CASE(fork_in_a_thread_copies_only_that_thread),
        CASE(execve_in_a_thread_replaces_the_whole_process),
        CASE(a_robust_mutex_reports_its_owner_died),
        CASE(chdir_in_a_thread_moves_the_whole_process),
        CASE(proc_counts_the_threads),
        CASE(posix_spawn_starts_a_program_and_reports_a_missing_one),
        CASE(system_and_popen_run_the_shell),
    };
    return run_cases(cases, sizeof cases / sizeof cases[0], argc, argv, reset);
}
