/* Memory mappings: anonymous memory whose pages come on first touch, munmap and mprotect on
 * parts of a mapping, MAP_FIXED, memory shared with a child across fork, a private mapping of a
 * file, /proc/self/maps, and mremap of a mapping only partly touched.
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
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

/* Bytes in a mebibyte. */
#define MIB (1024L * 1024)

static long page;

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
    snprintf(path, sizeof path, "/tmp/mmaptests.%d", (int)getpid());
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
    };
    return run_cases(cases, sizeof cases / sizeof cases[0], argc, argv, reset);
}
