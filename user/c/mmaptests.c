/* Memory mappings: anonymous memory whose pages come on first touch, munmap and mprotect on
 * parts of a mapping, MAP_FIXED, memory shared with a child across fork, private and shared
 * mappings of a file (one memory with read and write, msync, SIGBUS past the end), POSIX
 * shared memory and named semaphores (files in /dev/shm),
 * /proc/self/maps, and mremap of a mapping only partly touched.
 *
 * The same static binary runs on the host's Linux (tests/test_linux_differential.py) and on
 * Ferrite (tests/system/test_user.py); every case must pass on both. Output is KTAP. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

/* Bytes in a mebibyte. */
#define MIB (1024L * 1024)

static long page;

/* Where the cases make their files: /tmp (tmpfs), or the folder MMAPTESTS_DIR names (the disk
 * test runs the file cases on the disk that way). */
static const char *scratch(void) {
    const char *dir = getenv("MMAPTESTS_DIR");
    return dir && *dir ? dir : "/tmp";
}

/* Where a fault goes back to, and whether one came. */
static sigjmp_buf recover;
static volatile sig_atomic_t faulted;

static void on_segv(int signal) {
    (void)signal;
    faulted = 1;
    siglongjmp(recover, 1);
}

/* Whether writing `value` at `at` faults (SIGSEGV). */
static int write_faults(volatile char *at, char value) {
    faulted = 0;
    if (sigsetjmp(recover, 1) == 0) {
        *at = value;
    }
    return faulted;
}

/* Whether reading `at` faults (SIGSEGV). */
static int read_faults(volatile char *at) {
    faulted = 0;
    if (sigsetjmp(recover, 1) == 0) {
        (void)*at;
    }
    return faulted;
}

/* The process's resident memory in KiB, from /proc/self/status; -1 if it cannot be read. */
static long resident_kib(void) {
    FILE *status = fopen("/proc/self/status", "r");
    if (!status) return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, status)) {
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
    }
    fclose(status);
    return kib;
}

static char *map_anonymous(size_t bytes, int prot) {
    char *p = mmap(NULL, bytes, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static const char *untouched_pages_read_as_zero_and_cost_nothing(void) {
    enum { TOUCHED = 32 };
    const size_t bytes = 256 * MIB;
    long before = resident_kib();
    CHECK(before > 0, "VmRSS not found in /proc/self/status");
    char *p = map_anonymous(bytes, PROT_READ | PROT_WRITE);
    CHECK(p, "mmap of 256 MiB: %s", strerror(errno));
    /* Linux may back a large mapping with 2 MiB pages; this counts small ones. */
    madvise(p, bytes, MADV_NOHUGEPAGE);
    size_t stride = bytes / TOUCHED;
    for (size_t i = 0; i < TOUCHED; i++) {
        CHECK(p[i * stride] == 0 && p[i * stride + page - 1] == 0, "page %zu not zero", i);
        p[i * stride] = (char)(i + 1);
    }
    for (size_t i = 0; i < TOUCHED; i++) {
        CHECK(p[i * stride] == (char)(i + 1), "page %zu lost its byte", i);
    }
    long grown = resident_kib() - before;
    munmap(p, bytes);
    CHECK(grown >= TOUCHED * page / 1024, "VmRSS grew by only %ld KiB", grown);
    CHECK(grown < 4 * MIB / 1024, "VmRSS grew by %ld KiB for %d pages", grown, TOUCHED);
    return NULL;
}

static const char *munmap_of_the_middle_keeps_both_ends(void) {
    char *p = map_anonymous(3 * page, PROT_READ | PROT_WRITE);
    CHECK(p, "mmap: %s", strerror(errno));
    p[0] = 'a';
    p[page] = 'b';
    p[2 * page] = 'c';
    CHECK(munmap(p + page, page) == 0, "munmap: %s", strerror(errno));
    CHECK(p[0] == 'a' && p[2 * page] == 'c', "an end lost its byte");
    CHECK(read_faults(p + page), "the hole can still be read");
    CHECK(munmap(p, 3 * page) == 0, "munmap of the rest: %s", strerror(errno));
    CHECK(read_faults(p), "the first page can still be read");
    return NULL;
}

static const char *a_write_to_memory_made_read_only_faults(void) {
    char *p = map_anonymous(2 * page, PROT_READ | PROT_WRITE);
    CHECK(p, "mmap: %s", strerror(errno));
    p[0] = 'x'; /* the second page is left untouched */
    CHECK(mprotect(p, 2 * page, PROT_READ) == 0, "mprotect: %s", strerror(errno));
    CHECK(p[0] == 'x' && p[page] == 0, "the contents changed");
    CHECK(write_faults(p, 'y'), "a touched page took a write");
    CHECK(write_faults(p + page, 'y'), "an untouched page took a write");
    CHECK(mprotect(p, 2 * page, PROT_READ | PROT_WRITE) == 0, "mprotect back: %s", strerror(errno));
    CHECK(!write_faults(p + page, 'z') && p[page] == 'z', "writable again, the write faulted");
    munmap(p, 2 * page);
    return NULL;
}

static const char *prot_none_memory_faults_when_touched(void) {
    char *p = map_anonymous(page, PROT_NONE);
    CHECK(p, "mmap: %s", strerror(errno));
    CHECK(read_faults(p), "a PROT_NONE page was read");
    munmap(p, page);
    return NULL;
}

static const char *map_fixed_replaces_and_noreplace_refuses(void) {
    char *p = map_anonymous(4 * page, PROT_READ | PROT_WRITE);
    CHECK(p, "mmap: %s", strerror(errno));
    memset(p, 'a', 4 * page);
    char *q = mmap(p + page, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(q == p + page, "MAP_FIXED put it at %p, not %p", (void *)q, (void *)(p + page));
    CHECK(q[0] == 0 && q[page - 1] == 0, "the new page is not zero");
    CHECK(p[0] == 'a' && p[2 * page] == 'a', "a neighbour changed");
    errno = 0;
    char *r = mmap(p + 2 * page, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(r == MAP_FAILED && errno == EEXIST, "MAP_FIXED_NOREPLACE over a mapping: %p, %s", (void *)r,
          strerror(errno));
    munmap(p, 4 * page);
    /* Into the hole just made, NOREPLACE is fine. */
    r = mmap(p + 2 * page, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(r == p + 2 * page, "MAP_FIXED_NOREPLACE in a hole: %s", strerror(errno));
    CHECK(r[0] == 0, "not zero");
    munmap(r, page);
    return NULL;
}

static const char *shared_anonymous_memory_is_seen_by_parent_and_child(void) {
    int *shared = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(shared != MAP_FAILED, "mmap MAP_SHARED: %s", strerror(errno));
    int *private = (int *)map_anonymous(page, PROT_READ | PROT_WRITE);
    CHECK(private, "mmap: %s", strerror(errno));
    shared[0] = 1;
    private[0] = 1;
    pid_t child = fork();
    if (child == 0) {
        shared[1] = shared[0] + 41;
        private[1] = 41;
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child failed");
    CHECK(shared[1] == 42, "the child's write to shared memory is not seen (%d)", shared[1]);
    CHECK(private[1] == 0, "the child's write to private memory is seen");
    munmap(shared, page);
    munmap(private, page);
    return NULL;
}

static const char *a_private_file_mapping_holds_the_files_bytes(void) {
    char path[64];
    snprintf(path, sizeof path, "%s/mmaptests.%d", scratch(), (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0, "open: %s", strerror(errno));
    unlink(path);
    size_t length = 2 * page + 100;
    char *bytes = malloc(length);
    for (size_t i = 0; i < length; i++) bytes[i] = (char)(i * 7 + 3);
    CHECK(write(fd, bytes, length) == (ssize_t)length, "write: %s", strerror(errno));
    char *p = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(p != MAP_FAILED, "mmap of the file: %s", strerror(errno));
    CHECK(memcmp(p, bytes, length) == 0, "the mapping differs from the file");
    CHECK(p[length] == 0 && p[3 * page - 1] == 0, "the bytes past the end are not zero");
    p[0] = (char)~bytes[0];
    char first = 0;
    CHECK(pread(fd, &first, 1, 0) == 1 && first == bytes[0], "a private write reached the file");
    munmap(p, 3 * page);
    /* From an offset: the second page of the file. */
    p = mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, page);
    CHECK(p != MAP_FAILED, "mmap at an offset: %s", strerror(errno));
    CHECK(memcmp(p, bytes + page, page) == 0, "the mapping at an offset differs from the file");
    munmap(p, page);
    errno = 0;
    CHECK(mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, 1) == MAP_FAILED && errno == EINVAL,
          "an unaligned offset was taken");
    free(bytes);
    close(fd);
    return NULL;
}

static const char *proc_self_maps_lists_a_mapping(void) {
    char *p = map_anonymous(3 * page, PROT_READ);
    CHECK(p, "mmap: %s", strerror(errno));
    FILE *maps = fopen("/proc/self/maps", "r");
    CHECK(maps, "open /proc/self/maps: %s", strerror(errno));
    char line[512];
    int found = 0, lines = 0, well_formed = 0;
    while (fgets(line, sizeof line, maps)) {
        unsigned long start, end, offset, inode;
        unsigned major, minor;
        char perms[8];
        lines++;
        if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &start, &end, perms, &offset, &major, &minor, &inode) == 7 &&
            strlen(perms) == 4) {
            well_formed++;
        }
        if (start <= (unsigned long)p && (unsigned long)p + 3 * page <= end && strcmp(perms, "r--p") == 0) found = 1;
    }
    fclose(maps);
    munmap(p, 3 * page);
    CHECK(lines > 0 && well_formed == lines, "%d of %d lines well formed", well_formed, lines);
    CHECK(found, "no r--p line covers the mapping at %p", (void *)p);
    return NULL;
}

static const char *mremap_grows_a_partly_touched_mapping(void) {
    char *p = map_anonymous(4 * page, PROT_READ | PROT_WRITE);
    CHECK(p, "mmap: %s", strerror(errno));
    p[0] = 'a';
    p[2 * page] = 'c';
    char *q = mremap(p, 4 * page, 64 * page, MREMAP_MAYMOVE);
    CHECK(q != MAP_FAILED, "mremap: %s", strerror(errno));
    CHECK(q[0] == 'a' && q[2 * page] == 'c', "the touched pages lost their bytes");
    CHECK(q[page] == 0 && q[3 * page] == 0 && q[63 * page] == 0, "an untouched page is not zero");
    q[63 * page] = 'z';
    CHECK(q[63 * page] == 'z', "the new end cannot be written");
    munmap(q, 64 * page);
    return NULL;
}

static const char *madvise_dontneed_gives_zeroed_pages(void) {
    char *p = map_anonymous(4 * page, PROT_READ | PROT_WRITE);
    CHECK(p, "mmap: %s", strerror(errno));
    p[0] = 'a';
    p[3 * page] = 'd';
    CHECK(madvise(p, 4 * page, MADV_DONTNEED) == 0, "madvise: %s", strerror(errno));
    CHECK(p[0] == 0 && p[3 * page] == 0, "the pages kept their bytes");
    munmap(p, 4 * page);
    return NULL;
}

/* A file of `length` bytes (byte i is i * 7 + 3) in /tmp, opened read-write and already unlinked,
 * or -1. */
static int patterned_file(size_t length) {
    char path[64];
    snprintf(path, sizeof path, "%s/mmaptests.%d", scratch(), (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return -1;
    unlink(path);
    for (size_t i = 0; i < length; i++) {
        char byte = (char)(i * 7 + 3);
        if (write(fd, &byte, 1) != 1) return -1;
    }
    return fd;
}

static const char *a_shared_file_mapping_is_the_file(void) {
    size_t length = 2 * page + 100;
    int fd = patterned_file(length);
    CHECK(fd >= 0, "making the file: %s", strerror(errno));
    char *p = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(p != MAP_FAILED, "mmap MAP_SHARED: %s", strerror(errno));
    CHECK(p[0] == 3 && p[page + 1] == (char)((page + 1) * 7 + 3), "the mapping differs from the file");
    /* A store is read back by read at once, and a write shows in the mapping. */
    p[10] = 'X';
    char byte = 0;
    CHECK(pread(fd, &byte, 1, 10) == 1 && byte == 'X', "read does not see a store (%d)", byte);
    CHECK(pwrite(fd, "Y", 1, page + 20) == 1, "pwrite: %s", strerror(errno));
    CHECK(p[page + 20] == 'Y', "the mapping does not see a write (%d)", p[page + 20]);
    /* A child's stores reach the same memory. */
    pid_t child = fork();
    if (child == 0) {
        p[page + 5] = 'Z';
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child failed");
    CHECK(p[page + 5] == 'Z', "the child's store is not seen");
    /* Past the end inside the last page: zeros, and a store there never grows the file. */
    CHECK(p[length] == 0, "the bytes past the end are not zero");
    p[length + 8] = 'Q';
    CHECK(msync(p, 3 * page, MS_SYNC) == 0, "msync: %s", strerror(errno));
    CHECK(munmap(p, 3 * page) == 0, "munmap: %s", strerror(errno));
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == (off_t)length, "the file's size changed to %ld",
          (long)st.st_size);
    char back[3] = {0};
    CHECK(pread(fd, &back[0], 1, 10) == 1 && pread(fd, &back[1], 1, page + 5) == 1 &&
              pread(fd, &back[2], 1, page + 20) == 1,
          "pread: %s", strerror(errno));
    CHECK(back[0] == 'X' && back[1] == 'Z' && back[2] == 'Y', "the file lost a store: %.3s", back);
    close(fd);
    return NULL;
}

static const char *two_processes_map_one_file(void) {
    char path[64];
    snprintf(path, sizeof path, "%s/mmaptests-two.%d", scratch(), (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0, "open: %s", strerror(errno));
    CHECK(ftruncate(fd, page) == 0, "ftruncate: %s", strerror(errno));
    volatile int *mine = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(mine != MAP_FAILED, "mmap: %s", strerror(errno));
    pid_t child = fork();
    if (child == 0) {
        /* Its own descriptor and its own mapping of the same file. */
        int own = open(path, O_RDWR);
        volatile int *theirs = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, own, 0);
        if (own < 0 || theirs == MAP_FAILED) _exit(1);
        theirs[1] = 1234;
        /* Wait until the parent answers through its own mapping. */
        for (long spins = 0; theirs[2] != 5678; spins++) {
            if (spins > 100000000L) _exit(2);
            sched_yield();
        }
        _exit(0);
    }
    for (long spins = 0; mine[1] != 1234; spins++) {
        if (spins > 100000000L) break;
        sched_yield();
    }
    int seen = mine[1];
    mine[2] = 5678;
    int status = 0;
    waitpid(child, &status, 0);
    munmap((void *)mine, page);
    close(fd);
    unlink(path);
    CHECK(seen == 1234, "the other process's store is not seen (%d)", seen);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child failed (%#x)", status);
    return NULL;
}

static volatile sig_atomic_t bus_faulted;

static void on_bus(int signal, siginfo_t *info, void *context) {
    (void)signal;
    (void)context;
    bus_faulted = info->si_code == BUS_ADRERR ? 1 : 2;
    siglongjmp(recover, 1);
}

/* Whether a load from `at` is SIGBUS with BUS_ADRERR (1), another SIGBUS (2) or no fault (0). */
static int load_is_sigbus(volatile char *at) {
    struct sigaction action = {0}, old;
    action.sa_sigaction = on_bus;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &old);
    bus_faulted = 0;
    if (sigsetjmp(recover, 1) == 0) (void)*at;
    sigaction(SIGBUS, &old, NULL);
    return bus_faulted;
}

static const char *a_page_past_the_end_of_the_file_is_sigbus(void) {
    int fd = patterned_file(100);
    CHECK(fd >= 0, "making the file: %s", strerror(errno));
    volatile char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
    int past_page = load_is_sigbus(&p[page]);
    int inside = load_is_sigbus(&p[99]);
    /* Cut and grown again: the bytes past the cut read as zeros. */
    CHECK(ftruncate(fd, 50) == 0 && ftruncate(fd, 100) == 0, "ftruncate: %s", strerror(errno));
    char after = p[60];
    munmap((void *)p, 2 * page);
    close(fd);
    CHECK(past_page == 1, "touching the page past the end gave %d, not SIGBUS with BUS_ADRERR", past_page);
    CHECK(inside == 0, "touching the last byte of the file faulted");
    CHECK(after == 0, "a byte past a truncation kept its value (%d)", after);
    return NULL;
}

static const char *a_truncated_file_leaves_every_mapping(void) {
    int fd = patterned_file(3 * page);
    CHECK(fd >= 0, "making the file: %s", strerror(errno));
    volatile char *shared = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    volatile char *private = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(shared != MAP_FAILED && private != MAP_FAILED, "mmap: %s", strerror(errno));
    /* Every page present before the cut: read through the shared mapping, and the private
     * mapping's last page made its own copy by a store. */
    int sum = shared[0] + shared[page] + shared[2 * page];
    private[2 * page] = 'c';
    int to_child[2], to_parent[2];
    CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0, "pipe: %s", strerror(errno));
    pid_t child = fork();
    if (child == 0) {
        /* The child's inherited mapping, touched, must lose the page too. */
        char byte = shared[2 * page];
        if (write(to_parent[1], &byte, 1) != 1 || read(to_child[0], &byte, 1) != 1) _exit(2);
        _exit(load_is_sigbus(&shared[2 * page]) == 1 ? 0 : 1);
    }
    char byte = 0;
    CHECK(read(to_parent[0], &byte, 1) == 1, "the child did not start");
    CHECK(ftruncate(fd, page) == 0, "ftruncate: %s", strerror(errno));
    CHECK(write(to_child[1], &byte, 1) == 1, "write: %s", strerror(errno));
    int status = 0;
    waitpid(child, &status, 0);
    int first = load_is_sigbus(&shared[0]);
    int second = load_is_sigbus(&shared[page]);
    int third = load_is_sigbus(&shared[2 * page]);
    int copied = load_is_sigbus(&private[2 * page]);
    munmap((void *)shared, 3 * page);
    munmap((void *)private, 3 * page);
    close(fd);
    for (int i = 0; i < 2; i++) close(to_child[i]), close(to_parent[i]);
    CHECK(sum == 3 + (char)(page * 7 + 3) + (char)(2 * page * 7 + 3), "the mapping differs from the file");
    CHECK(first == 0, "the page left inside the file faulted (%d)", first);
    CHECK(second == 1 && third == 1, "pages past the new end stayed mapped (%d, %d)", second, third);
    CHECK(copied == 1, "a private copy of a page past the new end stayed mapped (%d)", copied);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child's mapping kept the page (%#x)", status);
    return NULL;
}

static const char *a_private_mapping_follows_the_file_until_written(void) {
    int fd = patterned_file(page);
    CHECK(fd >= 0, "making the file: %s", strerror(errno));
    char *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
    CHECK(p[1] == 10, "the mapping differs from the file");
    CHECK(pwrite(fd, "A", 1, 1) == 1, "pwrite: %s", strerror(errno));
    char before = p[1];
    p[2] = 'p';
    CHECK(pwrite(fd, "B", 1, 1) == 1, "pwrite: %s", strerror(errno));
    char after = p[1];
    char file = 0;
    CHECK(pread(fd, &file, 1, 2) == 1, "pread: %s", strerror(errno));
    munmap(p, page);
    close(fd);
    CHECK(before == 'A', "an untouched private page does not show the file's write (%d)", before);
    CHECK(after == 'A', "a private copy changed with the file (%d)", after);
    CHECK(file == 17, "a private store reached the file (%d)", file);
    return NULL;
}

static const char *mmap_and_msync_refuse_what_they_cannot_do(void) {
    int fd = patterned_file(page);
    CHECK(fd >= 0, "making the file: %s", strerror(errno));
    char path[64];
    snprintf(path, sizeof path, "%s/mmaptests-modes.%d", scratch(), (int)getpid());
    int named = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(named >= 0 && ftruncate(named, page) == 0, "making %s: %s", path, strerror(errno));
    int read_only = open(path, O_RDONLY), write_only = open(path, O_WRONLY);
    unlink(path);
    close(named);
    errno = 0;
    void *shared_write = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, read_only, 0);
    int shared_errno = errno;
    void *private_write = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, read_only, 0);
    /* Mapped read-only from a read-only descriptor: mprotect may not make it writable. */
    void *shared_read = mmap(NULL, page, PROT_READ, MAP_SHARED, read_only, 0);
    errno = 0;
    int made_writable = shared_read == MAP_FAILED ? 0 : mprotect(shared_read, page, PROT_READ | PROT_WRITE);
    int made_writable_errno = errno;
    if (shared_read != MAP_FAILED) munmap(shared_read, page);
    CHECK(shared_read != MAP_FAILED, "a shared read-only mapping: %s", strerror(errno));
    CHECK(made_writable == -1 && made_writable_errno == EACCES,
          "mprotect(PROT_WRITE) of it gave %s", strerror(made_writable_errno));
    errno = 0;
    void *from_write_only = mmap(NULL, page, PROT_READ, MAP_SHARED, write_only, 0);
    int write_only_errno = errno;
    close(read_only);
    close(write_only);
    CHECK(shared_write == MAP_FAILED && shared_errno == EACCES,
          "a shared writable mapping of a read-only descriptor gave %s", strerror(shared_errno));
    CHECK(private_write != MAP_FAILED, "a private writable mapping of a read-only descriptor: %s",
          strerror(errno));
    munmap(private_write, page);
    CHECK(from_write_only == MAP_FAILED && write_only_errno == EACCES,
          "mapping a write-only descriptor gave %s", strerror(write_only_errno));
    int pipes[2];
    CHECK(pipe(pipes) == 0, "pipe: %s", strerror(errno));
    errno = 0;
    void *q = mmap(NULL, page, PROT_READ, MAP_SHARED, pipes[0], 0);
    int pipe_errno = errno;
    close(pipes[0]);
    close(pipes[1]);
    CHECK(q == MAP_FAILED && pipe_errno == ENODEV, "mapping a pipe gave %s", strerror(pipe_errno));
    char *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
    errno = 0;
    CHECK(msync(p, page, MS_SYNC | MS_ASYNC) == -1 && errno == EINVAL, "MS_SYNC|MS_ASYNC gave %s",
          strerror(errno));
    errno = 0;
    CHECK(msync(p + 1, page, MS_SYNC) == -1 && errno == EINVAL, "an unaligned msync gave %s",
          strerror(errno));
    CHECK(msync(p, page, MS_ASYNC) == 0, "msync MS_ASYNC: %s", strerror(errno));
    munmap(p, page);
    errno = 0;
    CHECK(msync(p, page, MS_SYNC) == -1 && errno == ENOMEM, "msync of unmapped memory gave %s",
          strerror(errno));
    close(fd);
    return NULL;
}

static const char *posix_shared_memory_and_a_named_semaphore(void) {
    char name[64], sem_name[64];
    snprintf(name, sizeof name, "/mmaptests.%d", (int)getpid());
    snprintf(sem_name, sizeof sem_name, "/mmaptests-sem.%d", (int)getpid());
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0, "shm_open: %s", strerror(errno));
    CHECK(ftruncate(fd, page) == 0, "ftruncate: %s", strerror(errno));
    volatile int *shared = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    CHECK(shared != MAP_FAILED, "mmap: %s", strerror(errno));
    sem_t *ready = sem_open(sem_name, O_CREAT | O_EXCL, 0600, 0);
    CHECK(ready != SEM_FAILED, "sem_open: %s", strerror(errno));
    pid_t child = fork();
    if (child == 0) {
        /* By name, as an unrelated process would. */
        int own = shm_open(name, O_RDWR, 0);
        volatile int *theirs = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, own, 0);
        sem_t *signal_ready = sem_open(sem_name, 0);
        if (own < 0 || theirs == MAP_FAILED || signal_ready == SEM_FAILED) _exit(1);
        theirs[0] = 4321;
        sem_post(signal_ready);
        _exit(0);
    }
    int waited = sem_wait(ready);
    int seen = shared[0];
    int status = 0;
    waitpid(child, &status, 0);
    sem_close(ready);
    sem_unlink(sem_name);
    munmap((void *)shared, page);
    shm_unlink(name);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child failed (%#x)", status);
    CHECK(waited == 0, "sem_wait: %s", strerror(errno));
    CHECK(seen == 4321, "the child's store is not seen (%d)", seen);
    errno = 0;
    CHECK(shm_open(name, O_RDWR, 0) == -1 && errno == ENOENT, "shm_unlink left the name (%s)",
          strerror(errno));
    return NULL;
}

static void reset(void) {}

int main(int argc, char **argv) {
    page = sysconf(_SC_PAGESIZE);
    struct sigaction action = {0};
    action.sa_handler = on_segv;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, NULL);
    static const struct test_case cases[] = {
        CASE(untouched_pages_read_as_zero_and_cost_nothing),
        CASE(munmap_of_the_middle_keeps_both_ends),
        CASE(a_write_to_memory_made_read_only_faults),
        CASE(prot_none_memory_faults_when_touched),
        CASE(map_fixed_replaces_and_noreplace_refuses),
        CASE(shared_anonymous_memory_is_seen_by_parent_and_child),
        CASE(a_private_file_mapping_holds_the_files_bytes),
        CASE(proc_self_maps_lists_a_mapping),
        CASE(mremap_grows_a_partly_touched_mapping),
        CASE(madvise_dontneed_gives_zeroed_pages),
        CASE(a_shared_file_mapping_is_the_file),
        CASE(two_processes_map_one_file),
        CASE(a_page_past_the_end_of_the_file_is_sigbus),
        CASE(a_truncated_file_leaves_every_mapping),
        CASE(a_private_mapping_follows_the_file_until_written),
        CASE(mmap_and_msync_refuse_what_they_cannot_do),
        CASE(posix_shared_memory_and_a_named_semaphore),
    };
    return run_cases(cases, sizeof cases / sizeof cases[0], argc, argv, reset);
}
