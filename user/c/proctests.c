/* /proc as a C program reads it about itself: /proc/self/fd (a link per open descriptor, whose
 * text is the path a file was opened by, `pipe:[INO]` for a pipe, ` (deleted)` after a removed
 * file, and whose permissions are the descriptor's access mode), and /proc/self/task (a
 * directory per thread, with the thread's own stat, status and comm).
 *
 * The same static binary runs on the host's Linux (tests/test_linux_differential.py) and on
 * Ferrite (tests/system/test_user.py); every case must pass on both. Each case works in a
 * scratch directory under /tmp, made before it and removed after it. Output is KTAP. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

/* futex(2)'s operations (linux/futex.h is not among musl's headers). */
#define FUTEX_WAIT_PRIVATE (0 | 128)
#define FUTEX_WAKE_PRIVATE (1 | 128)
/* A descriptor number a case opens and closes again. */
#define CLOSED_FD 57
/* The longest name Linux keeps for a program (`TASK_COMM_LEN` less its NUL). */
#define COMM_LEN 15
/* The most threads a case starts besides the first. */
#define MAX_THREADS 2
/* How long a case waits for a thread to be seen asleep: 200 looks, 5 ms apart. */
#define LOOKS 200
#define LOOK_NS 5000000L

static char scratch[64];
/* The program's name, as /proc/PID/comm gives it: the last part of its path, cut short. */
static char program[COMM_LEN + 1];
static char path_buffer[4][512];

/* The path of `name` in the scratch directory (four at a time may be live). */
static const char *at(const char *name) {
    static int next;
    char *out = path_buffer[next++ % 4];
    snprintf(out, sizeof path_buffer[0], "%s/%s", scratch, name);
    return out;
}

/* Removes the scratch directory's entries (none is a directory) and the directory. */
static void reset(void) {
    DIR *dir = opendir(scratch);
    if (dir) {
        struct dirent *entry;
        while ((entry = readdir(dir))) {
            if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, "..")) unlink(at(entry->d_name));
        }
        closedir(dir);
        rmdir(scratch);
    }
    mkdir(scratch, 0755);
}

/* The text of the link /proc/self/fd/FD, in `out`; its length, or -1 with errno set. */
static ssize_t fd_link(int fd, char *out, size_t size) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, out, size - 1);
    if (n >= 0) out[n] = '\0';
    return n;
}

/* The first line of file `path` (its newline removed) in `out`; 0, or -1 if it cannot be read. */
static int first_line(const char *path, char *out, size_t size) {
    FILE *file = fopen(path, "r");
    if (!file) return -1;
    char *line = fgets(out, (int)size, file);
    fclose(file);
    if (!line) return -1;
    out[strcspn(out, "\n")] = '\0';
    return 0;
}

/* The number after `key` on its line of the status file `path`; -1 if there is none. */
static long status_field(const char *path, const char *key) {
    FILE *file = fopen(path, "r");
    if (!file) return -1;
    char line[256];
    long value = -1;
    size_t len = strlen(key);
    while (fgets(line, sizeof line, file)) {
        if (strncmp(line, key, len) == 0 && line[len] == ':') {
            value = strtol(line + len + 1, NULL, 10);
            break;
        }
    }
    fclose(file);
    return value;
}

/* Field `n` (from 1) of the stat file `path`, counted after the name in parentheses, as `ps`
 * does: in `out`. 0, or -1 if it cannot be read. */
static int stat_field(const char *path, int n, char *out, size_t size) {
    char line[1024];
    if (first_line(path, line, sizeof line) < 0) return -1;
    if (n == 1) {
        snprintf(out, size, "%.*s", (int)strcspn(line, " "), line);
        return 0;
    }
    char *rest = strrchr(line, ')');
    if (!rest) return -1;
    rest += 2; /* field 3 */
    for (int field = 3; field < n; field++) {
        rest = strchr(rest, ' ');
        if (!rest) return -1;
        rest++;
    }
    snprintf(out, size, "%.*s", (int)strcspn(rest, " "), rest);
    return 0;
}

static const char *fd_lists_each_open_descriptor(void) {
    int fd = open(at("notes"), O_CREAT | O_RDWR, 0644);
    CHECK(fd >= 0, "open: %.100s", strerror(errno));
    /* A descriptor above any opendir may take, closed again. */
    int closed = dup2(fd, CLOSED_FD);
    CHECK(closed == CLOSED_FD, "dup2: %.100s", strerror(errno));
    close(closed);
    DIR *dir = opendir("/proc/self/fd");
    CHECK(dir, "opendir /proc/self/fd: %.100s", strerror(errno));
    int saw_fd = 0, saw_closed = 0, saw_stdout = 0, not_links = 0;
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        if (entry->d_name[0] == '.') continue;
        int n = atoi(entry->d_name);
        saw_fd |= n == fd;
        saw_closed |= n == closed;
        saw_stdout |= n == STDOUT_FILENO;
        not_links += entry->d_type != DT_LNK;
    }
    closedir(dir);
    close(fd);
    CHECK(saw_fd && saw_stdout, "fd %d or 1 is missing from /proc/self/fd", fd);
    CHECK(!saw_closed, "the closed fd %d is still in /proc/self/fd", closed);
    CHECK(not_links == 0, "%d entries of /proc/self/fd are not links", not_links);
    return NULL;
}

static const char *fd_link_of_a_file_is_its_absolute_path(void) {
    char before[512], target[512];
    CHECK(getcwd(before, sizeof before), "getcwd: %.100s", strerror(errno));
    CHECK(chdir(scratch) == 0, "chdir: %.100s", strerror(errno));
    /* Opened by a relative name, and through a link: the link says the file's absolute path. */
    int fd = open("notes", O_CREAT | O_WRONLY, 0644);
    int through_link = symlink("notes", "link") == 0 ? open("link", O_RDONLY) : -1;
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    CHECK(chdir(before) == 0, "chdir back: %.100s", strerror(errno));
    CHECK(fd >= 0 && through_link >= 0 && dir >= 0, "open: %.100s", strerror(errno));
    ssize_t n = fd_link(fd, target, sizeof target);
    CHECK(n > 0 && strcmp(target, at("notes")) == 0, "fd %d's link is \"%.100s\", not %.100s", fd, n > 0 ? target : "", at("notes"));
    n = fd_link(through_link, target, sizeof target);
    CHECK(n > 0 && strcmp(target, at("notes")) == 0, "the link's file is \"%.100s\"", n > 0 ? target : "");
    n = fd_link(dir, target, sizeof target);
    CHECK(n > 0 && strcmp(target, scratch) == 0, "the directory is \"%.100s\", not %.100s", n > 0 ? target : "", scratch);
    /* Removed while open: the path, and that it is gone. */
    CHECK(unlink(at("notes")) == 0, "unlink: %.100s", strerror(errno));
    char deleted[600];
    snprintf(deleted, sizeof deleted, "%s (deleted)", at("notes"));
    n = fd_link(fd, target, sizeof target);
    CHECK(n > 0 && strcmp(target, deleted) == 0, "after unlink the link is \"%.100s\"", n > 0 ? target : "");
    close(fd);
    close(through_link);
    close(dir);
    return NULL;
}

static const char *fd_link_of_a_pipe_names_its_inode(void) {
    int ends[2];
    CHECK(pipe(ends) == 0, "pipe: %.100s", strerror(errno));
    struct stat st;
    CHECK(fstat(ends[0], &st) == 0, "fstat: %.100s", strerror(errno));
    char expected[64], reader[64], writer[64];
    snprintf(expected, sizeof expected, "pipe:[%lu]", (unsigned long)st.st_ino);
    ssize_t r = fd_link(ends[0], reader, sizeof reader);
    ssize_t w = fd_link(ends[1], writer, sizeof writer);
    close(ends[0]);
    close(ends[1]);
    CHECK(r > 0 && strcmp(reader, expected) == 0, "the reading end is \"%.100s\", not %.100s", r > 0 ? reader : "", expected);
    CHECK(w > 0 && strcmp(writer, expected) == 0, "the writing end is \"%.100s\", not %.100s", w > 0 ? writer : "", expected);
    return NULL;
}

static const char *fd_link_of_a_device_is_its_path(void) {
    int fd = open("/dev/null", O_WRONLY);
    CHECK(fd >= 0, "open /dev/null: %.100s", strerror(errno));
    char target[256];
    ssize_t n = fd_link(fd, target, sizeof target);
    close(fd);
    CHECK(n > 0 && strcmp(target, "/dev/null") == 0, "/dev/null's link is \"%.100s\"", n > 0 ? target : "");
    return NULL;
}

static const char *fd_link_permissions_are_the_access_mode(void) {
    static const struct {
        int flags;
        mode_t perm;
    } modes[] = {{O_RDONLY, 0500}, {O_WRONLY, 0300}, {O_RDWR, 0700}};
    CHECK(close(open(at("notes"), O_CREAT | O_WRONLY, 0644)) == 0, "create: %.100s", strerror(errno));
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        int fd = open(at("notes"), modes[i].flags);
        CHECK(fd >= 0, "open: %.100s", strerror(errno));
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        struct stat st;
        int result = lstat(path, &st);
        close(fd);
        CHECK(result == 0, "lstat %.100s: %.100s", path, strerror(errno));
        CHECK(S_ISLNK(st.st_mode), "%.100s is not a link (mode %o)", path, st.st_mode);
        CHECK((st.st_mode & 07777) == modes[i].perm, "open with flags %d gave a link of mode %o, not %o", modes[i].flags,
              st.st_mode & 07777, modes[i].perm);
    }
    return NULL;
}

static const char *fd_link_leads_to_the_file_and_a_closed_fd_has_none(void) {
    int fd = open("/dev/null", O_RDONLY);
    CHECK(fd >= 0, "open /dev/null: %.100s", strerror(errno));
    close(fd);
    char target[256];
    errno = 0;
    CHECK(fd_link(fd, target, sizeof target) < 0 && errno == ENOENT, "a closed fd's link: errno %d, not ENOENT", errno);
    /* A file through the link: /proc/self/fd/N opens the file it names. */
    CHECK(close(open(at("notes"), O_CREAT | O_WRONLY, 0644)) == 0, "create: %.100s", strerror(errno));
    fd = open(at("notes"), O_RDONLY);
    CHECK(fd >= 0, "open: %.100s", strerror(errno));
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct stat through, direct;
    int a = stat(path, &through), b = fstat(fd, &direct);
    close(fd);
    CHECK(a == 0 && b == 0, "stat through %.100s: %.100s", path, strerror(errno));
    CHECK(through.st_ino == direct.st_ino && through.st_dev == direct.st_dev, "stat through the link is another file");
    return NULL;
}

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

static int futex(int *word, int op, int value) {
    return (int)syscall(SYS_futex, word, op, value, NULL, NULL, 0);
}

/* Threads wait here until the case opens it. */
static int gate;
/* Their thread ids, as they learned them. */
static int tids[MAX_THREADS];
static int started;

static void *wait_at_gate(void *arg) {
    int i = (int)(long)arg;
    __atomic_store_n(&tids[i], (int)gettid_(), __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&gate, __ATOMIC_SEQ_CST)) futex(&gate, FUTEX_WAIT_PRIVATE, 0);
    return NULL;
}

static void open_gate(pthread_t *threads, int count) {
    __atomic_store_n(&gate, 1, __ATOMIC_SEQ_CST);
    futex(&gate, FUTEX_WAKE_PRIVATE, MAX_THREADS);
    for (int i = 0; i < count; i++) pthread_join(threads[i], NULL);
}

/* Starts MAX_THREADS threads that wait at the gate, and waits until each knows its id. */
static int start_threads(pthread_t *threads) {
    gate = 0;
    started = 0;
    for (int i = 0; i < MAX_THREADS; i++) {
        if (pthread_create(&threads[i], NULL, wait_at_gate, (void *)(long)i) != 0) {
            open_gate(threads, i);
            return -1;
        }
    }
    while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < MAX_THREADS) sched_yield();
    return 0;
}

/* Checks /proc/self/task against this thread and the started ones; NULL if all is as it should be. */
static const char *check_task_directory(void) {
    int want[MAX_THREADS + 1] = {(int)getpid()};
    for (int i = 0; i < MAX_THREADS; i++) want[i + 1] = tids[i];
    DIR *dir = opendir("/proc/self/task");
    CHECK(dir, "opendir /proc/self/task: %.100s", strerror(errno));
    int seen = 0, unknown = 0, found[MAX_THREADS + 1] = {0};
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        if (entry->d_name[0] == '.') continue;
        seen++;
        int tid = atoi(entry->d_name), known = 0;
        for (int i = 0; i <= MAX_THREADS; i++) {
            if (want[i] == tid) found[i] = known = 1;
        }
        unknown += !known;
    }
    closedir(dir);
    CHECK(seen == MAX_THREADS + 1 && unknown == 0, "/proc/self/task has %d entries (%d unknown), not %d", seen, unknown,
          MAX_THREADS + 1);
    for (int i = 0; i <= MAX_THREADS; i++) CHECK(found[i], "thread %d is missing from /proc/self/task", want[i]);
    /* Each thread's own files: its id first in stat, as Pid: in status, the process's as Tgid:. */
    for (int i = 0; i <= MAX_THREADS; i++) {
        char path[128], field[32];
        snprintf(path, sizeof path, "/proc/self/task/%d/stat", want[i]);
        CHECK(stat_field(path, 1, field, sizeof field) == 0, "cannot read %.100s", path);
        CHECK(atoi(field) == want[i], "%.100s begins with %.100s", path, field);
        CHECK(stat_field(path, 20, field, sizeof field) == 0 && atoi(field) == MAX_THREADS + 1,
              "%.100s says %.100s threads", path, field);
        snprintf(path, sizeof path, "/proc/self/task/%d/status", want[i]);
        long pid = status_field(path, "Pid"), tgid = status_field(path, "Tgid");
        CHECK(pid == want[i] && tgid == getpid(), "%.100s: Pid %ld, Tgid %ld", path, pid, tgid);
        CHECK(status_field(path, "Threads") == MAX_THREADS + 1, "%.100s: Threads %ld", path, status_field(path, "Threads"));
    }
    return NULL;
}

static const char *task_has_a_directory_per_thread(void) {
    pthread_t threads[MAX_THREADS];
    CHECK(start_threads(threads) == 0, "pthread_create failed");
    const char *problem = check_task_directory();
    /* And the process's own files count them all. */
    char field[32];
    long threads_line = status_field("/proc/self/status", "Threads");
    int stat_read = stat_field("/proc/self/stat", 20, field, sizeof field);
    open_gate(threads, MAX_THREADS);
    if (problem) return problem;
    CHECK(threads_line == MAX_THREADS + 1, "/proc/self/status says Threads: %ld", threads_line);
    CHECK(stat_read == 0 && atoi(field) == MAX_THREADS + 1, "/proc/self/stat field 20 is %.100s", field);
    /* Once they are joined, the first thread is alone again (a joined thread may still be on
     * its way out for a moment: `pthread_join` returns when it has cleared its id). */
    int seen = 0;
    for (int look = 0; look < LOOKS; look++) {
        DIR *dir = opendir("/proc/self/task");
        CHECK(dir, "opendir /proc/self/task: %.100s", strerror(errno));
        seen = 0;
        struct dirent *entry;
        while ((entry = readdir(dir))) seen += entry->d_name[0] != '.';
        closedir(dir);
        if (seen == 1) break;
        struct timespec pause = {0, LOOK_NS};
        nanosleep(&pause, NULL);
    }
    CHECK(seen == 1, "/proc/self/task still has %d entries after the joins", seen);
    return NULL;
}

static const char *a_threads_files_are_its_own(void) {
    pthread_t threads[MAX_THREADS];
    CHECK(start_threads(threads) == 0, "pthread_create failed");
    char path[128], state[32] = "?", mine[32] = "?", comm[64] = "", thread_comm[64] = "";
    /* A thread waiting at the gate sleeps (S) while this one, reading, runs (R). */
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", tids[0]);
    for (int look = 0; look < LOOKS; look++) {
        if (stat_field(path, 3, state, sizeof state) == 0 && strcmp(state, "S") == 0) break;
        struct timespec pause = {0, LOOK_NS};
        nanosleep(&pause, NULL);
    }
    char own[128];
    snprintf(own, sizeof own, "/proc/self/task/%d/stat", (int)gettid_());
    int read_own = stat_field(own, 3, mine, sizeof mine);
    int read_comm = first_line("/proc/self/comm", comm, sizeof comm);
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", tids[1]);
    int read_thread_comm = first_line(path, thread_comm, sizeof thread_comm);
    open_gate(threads, MAX_THREADS);
    CHECK(strcmp(state, "S") == 0, "a thread waiting on a futex is in state %.100s", state);
    CHECK(read_own == 0 && strcmp(mine, "R") == 0, "the reading thread is in state %.100s", mine);
    CHECK(read_comm == 0 && strcmp(comm, program) == 0, "/proc/self/comm is \"%.100s\"", comm);
    CHECK(read_thread_comm == 0 && strcmp(thread_comm, comm) == 0, "a thread's comm is \"%.100s\"", thread_comm);
    return NULL;
}

/* What the named thread saw: 0 if all was right, else the check that failed. */
static void *name_a_thread(void *unused) {
    (void)unused;
    if (prctl(PR_SET_NAME, "helper", 0, 0, 0) != 0) return (void *)10;
    char path[64], line[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", (int)gettid_());
    if (first_line(path, line, sizeof line) < 0 || strcmp(line, "helper") != 0) return (void *)11;
    /* The process's own name is its first thread's, untouched. */
    if (first_line("/proc/self/comm", line, sizeof line) < 0 || strcmp(line, "a-name-longer-t") != 0)
        return (void *)12;
    return NULL;
}

static int names(void) {
    if (prctl(PR_SET_NAME, "a-name-longer-than-fifteen", 0, 0, 0) != 0) return 1;
    char got[16] = "xxxxxxxxxxxxxxx";
    if (prctl(PR_GET_NAME, got, 0, 0, 0) != 0 || strcmp(got, "a-name-longer-t") != 0) return 2;
    char line[64];
    if (first_line("/proc/self/comm", line, sizeof line) < 0 || strcmp(line, "a-name-longer-t") != 0)
        return 3;
    pthread_t thread;
    void *result = (void *)1;
    if (pthread_create(&thread, NULL, name_a_thread, NULL) != 0) return 4;
    pthread_join(thread, &result);
    return (int)(long)result;
}

static const char *prctl_names_threads_and_proc_shows_the_names(void) {
    int failed = run_in_child(names);
    CHECK(failed == 0, "check %d failed", failed);
    return NULL;
}

static int switches(void) {
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0) return 1;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) return 2;
    errno = 0;
    if (prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0) != -1 || errno != EINVAL) return 3;
    pid_t child = fork();
    if (child == 0) _exit(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 1);
    int status = 0;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 4;
    if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 1) return 5;
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 || prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) return 6;
    errno = 0;
    if (prctl(PR_SET_DUMPABLE, 2, 0, 0, 0) != -1 || errno != EINVAL) return 7;
    errno = 0;
    if (prctl(9999, 0, 0, 0, 0) != -1 || errno != EINVAL) return 8;
    return 0;
}

static const char *prctl_no_new_privs_and_dumpable_stick(void) {
    int failed = run_in_child(switches);
    CHECK(failed == 0, "check %d failed", failed);
    return NULL;
}

/* Seconds since `start`, by the monotonic clock. */
static double seconds_since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9;
}

static const char *a_parent_death_signal_reaches_the_orphan(void) {
    /* The grandchild asks for SIGTERM when its parent (the child) ends, tells it so, and waits
     * for ever (an alarm ends it after 10 s otherwise). Its end closes the pipe's last writing
     * end, which this process sees as end of file. */
    int ready[2], alive[2];
    CHECK(pipe(ready) == 0 && pipe(alive) == 0, "pipe: %s", strerror(errno));
    pid_t child = fork();
    if (child == 0) {
        pid_t grandchild = fork();
        if (grandchild == 0) {
            close(ready[0]);
            close(alive[0]);
            alarm(10);
            int signal_number = 0;
            if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) != 0) _exit(1);
            if (prctl(PR_GET_PDEATHSIG, &signal_number, 0, 0, 0) != 0 || signal_number != SIGTERM) _exit(2);
            char byte = 'r';
            if (write(ready[1], &byte, 1) != 1) _exit(3);
            for (;;) pause();
        }
        char byte;
        _exit(read(ready[0], &byte, 1) == 1 ? 0 : 1);
    }
    close(ready[1]);
    close(alive[1]);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int status = 0;
    waitpid(child, &status, 0);
    char byte;
    ssize_t got = read(alive[0], &byte, 1);
    double waited = seconds_since(&start);
    close(ready[0]);
    close(alive[0]);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child failed (%#x)", status);
    CHECK(got == 0, "read %zd from the grandchild's pipe", got);
    CHECK(waited < 5.0, "the grandchild lived %.1f s after its parent", waited);
    /* fork clears the setting: a child that set one forks a grandchild, which has none. */
    pid_t second = fork();
    if (second == 0) {
        if (prctl(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0) != 0) _exit(98);
        pid_t third = fork();
        if (third == 0) {
            int value = -1;
            _exit(prctl(PR_GET_PDEATHSIG, &value, 0, 0, 0) == 0 ? value : 99);
        }
        int third_status = 0;
        waitpid(third, &third_status, 0);
        _exit(WIFEXITED(third_status) ? WEXITSTATUS(third_status) : 97);
    }
    waitpid(second, &status, 0);
    int inherited = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    CHECK(inherited == 0, "a new child has the death signal %d", inherited);
    return NULL;
}

static const struct test_case cases[] = {
    CASE(fd_lists_each_open_descriptor),
    CASE(fd_link_of_a_file_is_its_absolute_path),
    CASE(fd_link_of_a_pipe_names_its_inode),
    CASE(fd_link_of_a_device_is_its_path),
    CASE(fd_link_permissions_are_the_access_mode),
    CASE(fd_link_leads_to_the_file_and_a_closed_fd_has_none),
    CASE(task_has_a_directory_per_thread),
    CASE(a_threads_files_are_its_own),
    CASE(prctl_names_threads_and_proc_shows_the_names),
    CASE(prctl_no_new_privs_and_dumpable_stick),
    CASE(a_parent_death_signal_reaches_the_orphan),
};

int main(int argc, char **argv) {
    snprintf(scratch, sizeof scratch, "/tmp/proctests.%d", (int)getpid());
    const char *slash = strrchr(argv[0], '/');
    snprintf(program, sizeof program, "%s", slash ? slash + 1 : argv[0]);
    int status = run_cases(cases, sizeof cases / sizeof cases[0], argc, argv, reset);
    rmdir(scratch);
    return status;
}
