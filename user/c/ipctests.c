/* System V IPC as C programs use it: message queues (keys, types, waiting senders and
 * receivers, removal under a waiter), semaphore sets (all-or-nothing semop, waiting and the
 * waiter counts, SEM_UNDO when a process ends) and shared memory segments (attachments of one
 * memory, removal while attached).
 *
 * The same static binary runs on the host's Linux (tests/test_linux_differential.py) and on
 * Ferrite (tests/system/test_user.py); every case must pass on both. Output is KTAP. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

/* The argument of semctl, which C programs declare themselves. */
union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

struct message {
    long type;
    char text[32];
};

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int send(int queue, long type, const char *text, int flags) {
    struct message m = {.type = type};
    strncpy(m.text, text, sizeof m.text - 1);
    return msgsnd(queue, &m, strlen(text) + 1, flags);
}

/* A key no other program on the machine uses: from this process's id. */
static key_t my_key(int n) { return (key_t)(0x46500000 + (getpid() << 4) + n); }

static const char *a_key_names_one_queue(void) {
    key_t key = my_key(1);
    int queue = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
    CHECK(queue >= 0, "msgget IPC_CREAT|IPC_EXCL failed (errno %d)", errno);
    int again = msgget(key, IPC_CREAT | 0600);
    errno = 0;
    int exclusive = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
    int exclusive_errno = errno;
    errno = 0;
    int missing = msgget(my_key(2), 0600);
    int missing_errno = errno;
    int private_one = msgget(IPC_PRIVATE, 0600), private_two = msgget(IPC_PRIVATE, 0600);
    msgctl(queue, IPC_RMID, NULL);
    msgctl(private_one, IPC_RMID, NULL);
    msgctl(private_two, IPC_RMID, NULL);
    CHECK(again == queue, "the same key gave %d, then %d", queue, again);
    CHECK(exclusive == -1 && exclusive_errno == EEXIST, "IPC_EXCL on an existing key gave errno %d", exclusive_errno);
    CHECK(missing == -1 && missing_errno == ENOENT, "a key nobody made gave errno %d", missing_errno);
    CHECK(private_one >= 0 && private_two >= 0 && private_one != private_two, "IPC_PRIVATE gave %d and %d",
          private_one, private_two);
    errno = 0;
    CHECK(msgget(key, 0600) == -1 && errno == ENOENT, "a removed queue's key still finds it (errno %d)", errno);
    return NULL;
}

static const char *messages_come_out_by_type(void) {
    int queue = msgget(IPC_PRIVATE, 0600);
    send(queue, 3, "three", 0);
    send(queue, 1, "one", 0);
    send(queue, 2, "two", 0);
    send(queue, 1, "uno", 0);
    struct message m;
    const char *problem = NULL;
    if (msgrcv(queue, &m, sizeof m.text, 0, 0) != 6 || m.type != 3) problem = "type 0 did not take the first";
    else if (msgrcv(queue, &m, sizeof m.text, 2, 0) < 0 || strcmp(m.text, "two")) problem = "type 2 did not take 'two'";
    else if (msgrcv(queue, &m, sizeof m.text, 1, MSG_EXCEPT | IPC_NOWAIT) != -1 || errno != ENOMSG)
        problem = "MSG_EXCEPT took a message of the excepted type";
    else if (msgrcv(queue, &m, 2, -5, 0) != -1 || errno != E2BIG) problem = "a short buffer was not E2BIG";
    else if (msgrcv(queue, &m, 2, -5, MSG_NOERROR) != 2 || strncmp(m.text, "on", 2)) problem = "MSG_NOERROR did not cut";
    else if (msgrcv(queue, &m, sizeof m.text, -5, 0) < 0 || strcmp(m.text, "uno")) problem = "-5 did not take the next type 1";
    else if (msgrcv(queue, &m, sizeof m.text, 0, IPC_NOWAIT) != -1 || errno != ENOMSG) problem = "an empty queue was not ENOMSG";
    msgctl(queue, IPC_RMID, NULL);
    return problem;
}

static const char *msgrcv_waits_for_a_sender(void) {
    int queue = msgget(IPC_PRIVATE, 0600);
    pid_t child = fork();
    if (child == 0) {
        usleep(150 * 1000);
        _exit(send(queue, 7, "late", 0) == 0 ? 0 : 1);
    }
    double start = now();
    struct message m;
    ssize_t got = msgrcv(queue, &m, sizeof m.text, 7, 0);
    double waited = now() - start;
    waitpid(child, NULL, 0);
    msgctl(queue, IPC_RMID, NULL);
    CHECK(got == 5 && strcmp(m.text, "late") == 0, "received %zd bytes '%s'", got, got > 0 ? m.text : "");
    CHECK(waited >= 0.1, "msgrcv returned after %.3f s, before the message was sent", waited);
    return NULL;
}

static const char *a_full_queue_refuses_or_holds_the_sender(void) {
    int queue = msgget(IPC_PRIVATE, 0600);
    struct msqid_ds status;
    CHECK(msgctl(queue, IPC_STAT, &status) == 0, "IPC_STAT failed (errno %d)", errno);
    status.msg_qbytes = 20;
    CHECK(msgctl(queue, IPC_SET, &status) == 0, "IPC_SET failed (errno %d)", errno);
    CHECK(send(queue, 1, "123456789", IPC_NOWAIT) == 0 && send(queue, 1, "abcdefghi", IPC_NOWAIT) == 0,
          "two 10-byte messages did not fit 20 bytes");
    errno = 0;
    int full = send(queue, 1, "x", IPC_NOWAIT);
    int full_errno = errno;
    msgctl(queue, IPC_STAT, &status);
    pid_t child = fork();
    if (child == 0) _exit(send(queue, 2, "waited", 0) == 0 ? 0 : 1);
    usleep(100 * 1000);
    struct message m;
    msgrcv(queue, &m, sizeof m.text, 1, 0);
    int child_status = 0;
    waitpid(child, &child_status, 0);
    ssize_t got = msgrcv(queue, &m, sizeof m.text, 2, IPC_NOWAIT);
    msgctl(queue, IPC_RMID, NULL);
    CHECK(full == -1 && full_errno == EAGAIN, "a full queue with IPC_NOWAIT gave errno %d", full_errno);
    CHECK(status.msg_qnum == 2 && status.msg_cbytes == 20, "IPC_STAT: %lu messages, %lu bytes",
          (unsigned long)status.msg_qnum, (unsigned long)status.msg_cbytes);
    CHECK(WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0 && got == 7,
          "the held sender did not get through when room was made");
    return NULL;
}

static const char *removing_a_queue_fails_its_waiters_with_eidrm(void) {
    int queue = msgget(IPC_PRIVATE, 0600);
    pid_t child = fork();
    if (child == 0) {
        alarm(30);
        struct message m;
        _exit(msgrcv(queue, &m, sizeof m.text, 0, 0) == -1 && errno == EIDRM ? 0 : 1);
    }
    usleep(100 * 1000);
    msgctl(queue, IPC_RMID, NULL);
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the waiting receiver ended with %#x", status);
    errno = 0;
    CHECK(send(queue, 1, "gone", IPC_NOWAIT) == -1 && errno == EINVAL, "a removed queue took a message (errno %d)",
          errno);
    return NULL;
}

static int value(int set, int n) { return semctl(set, n, GETVAL); }

static const char *semop_is_all_or_nothing(void) {
    int set = semget(IPC_PRIVATE, 2, 0600);
    CHECK(set >= 0, "semget failed (errno %d)", errno);
    union semun arg = {.val = 1};
    semctl(set, 0, SETVAL, arg);
    struct sembuf both[2] = {{0, -1, IPC_NOWAIT}, {1, -1, IPC_NOWAIT}};
    errno = 0;
    int refused = semop(set, both, 2);
    int refused_errno = errno;
    int first_after = value(set, 0);
    unsigned short all[2] = {3, 4};
    arg.array = all;
    semctl(set, 0, SETALL, arg);
    int taken = semop(set, both, 2);
    unsigned short read_back[2] = {0, 0};
    arg.array = read_back;
    semctl(set, 0, GETALL, arg);
    struct semid_ds status;
    arg.buf = &status;
    semctl(set, 0, IPC_STAT, arg);
    semctl(set, 0, IPC_RMID);
    CHECK(refused == -1 && refused_errno == EAGAIN, "a semop that must wait gave errno %d", refused_errno);
    CHECK(first_after == 1, "the refused semop changed semaphore 0 to %d", first_after);
    CHECK(taken == 0 && read_back[0] == 2 && read_back[1] == 3, "after taking one of each: %d and %d", read_back[0],
          read_back[1]);
    CHECK(status.sem_nsems == 2, "IPC_STAT says %lu semaphores", (unsigned long)status.sem_nsems);
    return NULL;
}

static const char *semop_waits_and_semctl_counts_the_waiters(void) {
    int set = semget(IPC_PRIVATE, 1, 0600);
    pid_t child = fork();
    if (child == 0) {
        alarm(30);
        struct sembuf take = {0, -1, 0};
        _exit(semop(set, &take, 1) == 0 ? 0 : 1);
    }
    usleep(150 * 1000);
    int waiting = semctl(set, 0, GETNCNT);
    struct sembuf give = {0, 1, 0};
    semop(set, &give, 1);
    int status = 0;
    waitpid(child, &status, 0);
    int last = semctl(set, 0, GETPID);
    int left = value(set, 0);
    semctl(set, 0, IPC_RMID);
    CHECK(waiting == 1, "GETNCNT said %d waiters", waiting);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the waiting child ended with %#x", status);
    CHECK(last == child, "GETPID said %d, not the child %d", last, child);
    CHECK(left == 0, "the child's take left %d", left);
    return NULL;
}

static const char *sem_undo_gives_back_what_a_process_took(void) {
    int set = semget(IPC_PRIVATE, 1, 0600);
    union semun arg = {.val = 1};
    semctl(set, 0, SETVAL, arg);
    pid_t child = fork();
    if (child == 0) {
        struct sembuf take = {0, -1, SEM_UNDO};
        _exit(semop(set, &take, 1) == 0 ? 0 : 1);
    }
    int status = 0;
    waitpid(child, &status, 0);
    int after = value(set, 0);
    semctl(set, 0, IPC_RMID);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child's semop failed");
    CHECK(after == 1, "after the child ended, the semaphore is %d, not 1", after);
    return NULL;
}

static void nothing(int signo) { (void)signo; }

static const char *bad_requests_get_linuxs_errors(void) {
    int queue = msgget(IPC_PRIVATE, 0600), set = semget(IPC_PRIVATE, 1, 0600);
    const char *problem = NULL;
    struct message m = {.type = 0};
    struct sembuf op = {5, 1, 0};
    struct sigaction action = {.sa_handler = nothing};
    sigaction(SIGALRM, &action, NULL);
    errno = 0;
    if (msgsnd(queue, &m, 4, 0) != -1 || errno != EINVAL) problem = "a message of type 0 was not EINVAL";
    else if (msgsnd(queue, &m, 100000, 0) != -1 || errno != EINVAL) problem = "a message over MSGMAX was not EINVAL";
    else if (semop(set, &op, 1) != -1 || errno != EFBIG) problem = "semaphore 5 of 1 was not EFBIG";
    else if (semop(set, &op, 0) != -1 || errno != EINVAL) problem = "no operations was not EINVAL";
    else if (semctl(set, 0, 12345) != -1 || errno != EINVAL) problem = "an unknown semctl was not EINVAL";
    else if (semget(IPC_PRIVATE, 0, 0600) != -1 || errno != EINVAL) problem = "a set of 0 was not EINVAL";
    else if (msgctl(987654, IPC_RMID, NULL) != -1 || errno != EINVAL) problem = "a bogus queue id was not EINVAL";
    else {
        struct sembuf take = {0, -1, 0};
        alarm(1);
        errno = 0;
        if (semop(set, &take, 1) != -1 || errno != EINTR) problem = "a signal did not interrupt a waiting semop";
        alarm(0);
    }
    signal(SIGALRM, SIG_DFL);
    msgctl(queue, IPC_RMID, NULL);
    semctl(set, 0, IPC_RMID);
    return problem;
}

static const char *attachments_share_one_memory(void) {
    long page = sysconf(_SC_PAGESIZE);
    int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
    CHECK(id >= 0, "shmget: %s", strerror(errno));
    char *p = shmat(id, NULL, 0);
    CHECK(p != (void *)-1, "shmat: %s", strerror(errno));
    CHECK(p[0] == 0 && p[9999] == 0, "a new segment is not zeros");
    /* The rest of the last page is there too, and zero. */
    CHECK(p[3 * page - 1] == 0, "the end of the last page is not zero");
    strcpy(p, "from the parent");
    pid_t child = fork();
    if (child == 0) {
        /* The attachment fork copied counts, as on Linux. */
        struct shmid_ds inherited;
        if (shmctl(id, IPC_STAT, &inherited) != 0 || inherited.shm_nattch != 2) _exit(3);
        /* A second attachment, at another address, of the same pages. */
        char *q = shmat(id, NULL, 0);
        if (q == (void *)-1 || q == p || strcmp(q, "from the parent") != 0) _exit(1);
        strcpy(q + 5000, "from the child");
        _exit(shmdt(q) == 0 ? 0 : 2);
    }
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(!(WIFEXITED(status) && WEXITSTATUS(status) == 3), "the child's inherited attachment is not counted");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child failed (%#x)", status);
    CHECK(strcmp(p + 5000, "from the child") == 0, "the child's store is not seen");
    struct shmid_ds info;
    CHECK(shmctl(id, IPC_STAT, &info) == 0, "IPC_STAT: %s", strerror(errno));
    CHECK(info.shm_segsz == 10000 && info.shm_nattch == 1 && info.shm_cpid == getpid(),
          "IPC_STAT says size %zu, %lu attached, made by %d", (size_t)info.shm_segsz,
          (unsigned long)info.shm_nattch, (int)info.shm_cpid);
    char *again = shmat(id, NULL, SHM_RDONLY);
    CHECK(again != (void *)-1 && strcmp(again, "from the parent") == 0, "a second attachment");
    CHECK(shmctl(id, IPC_STAT, &info) == 0 && info.shm_nattch == 2, "%lu attached, not 2",
          (unsigned long)info.shm_nattch);
    CHECK(shmdt(again) == 0 && shmctl(id, IPC_STAT, &info) == 0 && info.shm_nattch == 1,
          "after shmdt %lu attached, not 1", (unsigned long)info.shm_nattch);
    errno = 0;
    CHECK(shmdt(p + page) == -1 && errno == EINVAL, "shmdt inside an attachment gave %s",
          strerror(errno));
    CHECK(shmdt(p) == 0 && shmctl(id, IPC_RMID, NULL) == 0, "shmdt, IPC_RMID: %s", strerror(errno));
    return NULL;
}

static const char *a_removed_segment_lives_until_detached(void) {
    key_t key = 0x5e600000 + getpid();
    int id = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
    CHECK(id >= 0, "shmget: %s", strerror(errno));
    CHECK(shmget(key, 0, 0) == id, "the key does not name the segment");
    volatile int *p = shmat(id, NULL, 0);
    CHECK(p != (void *)-1, "shmat: %s", strerror(errno));
    p[0] = 42;
    CHECK(shmctl(id, IPC_RMID, NULL) == 0, "IPC_RMID: %s", strerror(errno));
    errno = 0;
    CHECK(shmget(key, 0, 0) == -1 && errno == ENOENT, "the key still names it (%s)",
          strerror(errno));
    p[1] = 43;
    CHECK(p[0] == 42 && p[1] == 43, "the attached memory went with IPC_RMID");
    CHECK(shmdt((void *)p) == 0, "shmdt: %s", strerror(errno));
    return NULL;
}

static const char *shared_memory_requests_get_linuxs_errors(void) {
    errno = 0;
    CHECK(shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600) == -1 && errno == EINVAL,
          "a segment of 0 bytes gave %s", strerror(errno));
    key_t key = 0x5e610000 + getpid();
    int id = shmget(key, 8192, IPC_CREAT | 0600);
    CHECK(id >= 0, "shmget: %s", strerror(errno));
    errno = 0;
    int bigger = shmget(key, 3 * 8192, 0);
    int bigger_errno = errno;
    errno = 0;
    int exclusive = shmget(key, 8192, IPC_CREAT | IPC_EXCL | 0600);
    int exclusive_errno = errno;
    errno = 0;
    void *unaligned = shmat(id, (void *)0x12345, 0);
    int unaligned_errno = errno;
    errno = 0;
    int missing = shmctl(id + 1000, IPC_STAT, &(struct shmid_ds){0});
    int missing_errno = errno;
    shmctl(id, IPC_RMID, NULL);
    CHECK(bigger == -1 && bigger_errno == EINVAL, "asking an existing key for more gave %s",
          strerror(bigger_errno));
    CHECK(exclusive == -1 && exclusive_errno == EEXIST, "IPC_EXCL on a used key gave %s",
          strerror(exclusive_errno));
    CHECK(unaligned == (void *)-1 && unaligned_errno == EINVAL, "an unaligned shmat gave %s",
          strerror(unaligned_errno));
    CHECK(missing == -1 && missing_errno == EINVAL, "IPC_STAT of no segment gave %s",
          strerror(missing_errno));
    return NULL;
}

static void reset(void) {}

int main(int argc, char **argv) {
    static const struct test_case cases[] = {
        CASE(a_key_names_one_queue),
        CASE(messages_come_out_by_type),
        CASE(msgrcv_waits_for_a_sender),
        CASE(a_full_queue_refuses_or_holds_the_sender),
        CASE(removing_a_queue_fails_its_waiters_with_eidrm),
        CASE(semop_is_all_or_nothing),
        CASE(semop_waits_and_semctl_counts_the_waiters),
        CASE(sem_undo_gives_back_what_a_process_took),
        CASE(bad_requests_get_linuxs_errors),
        CASE(attachments_share_one_memory),
        CASE(a_removed_segment_lives_until_detached),
        CASE(shared_memory_requests_get_linuxs_errors),
    };
    return run_cases(cases, sizeof cases / sizeof cases[0], argc, argv, reset);
}
