/* Files as a C program uses them, through musl: symbolic links (made, read, followed, refused
 * with O_NOFOLLOW, loops ending in ELOOP after 40 links), /proc/self/exe, chmod, utimensat with
 * UTIME_NOW and UTIME_OMIT, statfs, dup3, sendfile, and the mapping calls mremap and madvise.
 *
 * The same static binary runs on the host's Linux (tests/test_linux_differential.py) and on
 * Ferrite (tests/system/test_user.py); every case must pass on both. Each case works in a
 * scratch directory under /tmp, made before it and removed after it. Output is KTAP. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

/* Linux's bound on the links one lookup follows. */
#define MAX_FOLLOWS 40
/* statfs's f_type for /proc. */
#define PROC_SUPER_MAGIC 0x9fa0

static char scratch[64];
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

static int make_file(const char *path, const char *text) {
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

static const char *a_link_is_read_and_followed(void) {
    CHECK(make_file(at("file"), "hello") == 0, "make file: %s", strerror(errno));
    CHECK(symlink("file", at("link")) == 0, "symlink: %s", strerror(errno));
    char target[32] = {0};
    ssize_t n = readlink(at("link"), target, sizeof target);
    CHECK(n == 4 && memcmp(target, "file", 4) == 0, "readlink gave %zd '%.*s'", n, (int)(n > 0 ? n : 0), target);
    struct stat followed, itself;
    CHECK(stat(at("link"), &followed) == 0 && lstat(at("link"), &itself) == 0, "stat: %s", strerror(errno));
    CHECK(S_ISREG(followed.st_mode) && followed.st_size == 5, "stat mode %o size %lld", followed.st_mode, (long long)followed.st_size);
    CHECK(S_ISLNK(itself.st_mode) && itself.st_size == 4, "lstat mode %o size %lld", itself.st_mode, (long long)itself.st_size);
    struct stat nofollow;
    CHECK(fstatat(AT_FDCWD, at("link"), &nofollow, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(nofollow.st_mode),
          "fstatat with AT_SYMLINK_NOFOLLOW: mode %o", nofollow.st_mode);
    int fd = open(at("link"), O_RDONLY);
    char text[8] = {0};
    CHECK(fd >= 0 && read(fd, text, sizeof text) == 5 && memcmp(text, "hello", 5) == 0, "read through the link");
    close(fd);
    errno = 0;
    CHECK(open(at("link"), O_RDONLY | O_NOFOLLOW) < 0 && errno == ELOOP, "O_NOFOLLOW: %s", strerror(errno));
    errno = 0;
    CHECK(readlink(at("file"), target, sizeof target) < 0 && errno == EINVAL, "readlink of a file: %s", strerror(errno));
    errno = 0;
    CHECK(symlink("x", at("file")) < 0 && errno == EEXIST, "symlink over a file: %s", strerror(errno));
    /* AT_SYMLINK_NOFOLLOW sets the link's own time and leaves the file's. */
    struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = 1234567890}};
    CHECK(utimensat(AT_FDCWD, at("link"), times, AT_SYMLINK_NOFOLLOW) == 0, "utimensat of the link: %s", strerror(errno));
    CHECK(lstat(at("link"), &itself) == 0 && itself.st_mtim.tv_sec == 1234567890, "the link's time %lld",
          (long long)itself.st_mtim.tv_sec);
    CHECK(stat(at("file"), &followed) == 0 && followed.st_mtim.tv_sec != 1234567890, "the file's time changed too");
    return NULL;
}

static const char *forty_links_resolve_and_a_loop_is_eloop(void) {
    CHECK(make_file(at("l0"), "end") == 0, "make l0");
    char name[16], target[16];
    for (int i = 1; i <= MAX_FOLLOWS + 1; i++) {
        snprintf(name, sizeof name, "l%d", i);
        snprintf(target, sizeof target, "l%d", i - 1);
        CHECK(symlink(target, at(name)) == 0, "symlink %s: %s", name, strerror(errno));
    }
    struct stat st;
    snprintf(name, sizeof name, "l%d", MAX_FOLLOWS);
    CHECK(stat(at(name), &st) == 0 && S_ISREG(st.st_mode), "a chain of 40: %s", strerror(errno));
    snprintf(name, sizeof name, "l%d", MAX_FOLLOWS + 1);
    errno = 0;
    CHECK(stat(at(name), &st) < 0 && errno == ELOOP, "a chain of 41: %s", strerror(errno));
    CHECK(symlink("me", at("me")) == 0, "symlink me");
    errno = 0;
    CHECK(open(at("me"), O_RDONLY) < 0 && errno == ELOOP, "open of a loop: %s", strerror(errno));
    CHECK(lstat(at("me"), &st) == 0 && S_ISLNK(st.st_mode), "lstat of a loop");
    return NULL;
}

static const char *proc_self_exe_names_this_program(void) {
    char target[256] = {0};
    ssize_t n = readlink("/proc/self/exe", target, sizeof target - 1);
    CHECK(n > 0 && target[0] == '/', "readlink: %zd %s", n, n < 0 ? strerror(errno) : target);
    const char *tail = "/fstests";
    CHECK((size_t)n >= strlen(tail) && strcmp(target + n - strlen(tail), tail) == 0, "/proc/self/exe is %s", target);
    return NULL;
}

static const char *chmod_and_utimensat_keep_what_they_set(void) {
    CHECK(make_file(at("f"), "x") == 0, "make f");
    CHECK(chmod(at("f"), 0600) == 0, "chmod: %s", strerror(errno));
    struct stat st;
    CHECK(stat(at("f"), &st) == 0 && (st.st_mode & 07777) == 0600, "mode %o", st.st_mode);
    int fd = open(at("f"), O_RDONLY);
    CHECK(fd >= 0 && fchmod(fd, 0644) == 0, "fchmod: %s", strerror(errno));
    close(fd);
    CHECK(stat(at("f"), &st) == 0 && (st.st_mode & 07777) == 0644, "mode after fchmod %o", st.st_mode);
    struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = 1000000000, .tv_nsec = 5}};
    CHECK(utimensat(AT_FDCWD, at("f"), times, 0) == 0, "utimensat: %s", strerror(errno));
    CHECK(stat(at("f"), &st) == 0 && st.st_mtim.tv_sec == 1000000000 && st.st_mtim.tv_nsec == 5,
          "mtime %lld.%09ld", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    times[1].tv_nsec = UTIME_OMIT;
    CHECK(utimensat(AT_FDCWD, at("f"), times, 0) == 0, "utimensat, both omitted");
    CHECK(stat(at("f"), &st) == 0 && st.st_mtim.tv_sec == 1000000000, "UTIME_OMIT changed the time");
    times[1].tv_nsec = UTIME_NOW;
    time_t before = time(NULL);
    CHECK(utimensat(AT_FDCWD, at("f"), times, 0) == 0, "utimensat, now");
    CHECK(stat(at("f"), &st) == 0 && st.st_mtim.tv_sec >= before - 1 && st.st_mtim.tv_sec <= before + 5,
          "UTIME_NOW gave %lld, the clock %lld", (long long)st.st_mtim.tv_sec, (long long)before);
    times[1].tv_nsec = 1000000000;
    errno = 0;
    CHECK(utimensat(AT_FDCWD, at("f"), times, 0) < 0 && errno == EINVAL, "a bad tv_nsec: %s", strerror(errno));
    return NULL;
}

static const char *statfs_of_proc_is_proc(void) {
    struct statfs fs;
    CHECK(statfs("/proc", &fs) == 0, "statfs: %s", strerror(errno));
    CHECK(fs.f_type == PROC_SUPER_MAGIC, "f_type %#lx", (unsigned long)fs.f_type);
    errno = 0;
    CHECK(statfs(at("none"), &fs) < 0 && errno == ENOENT, "statfs of nothing: %s", strerror(errno));
    return NULL;
}

static const char *dup3_sets_close_on_exec(void) {
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    int fd = dup3(p[0], 30, O_CLOEXEC);
    int flags = fcntl(30, F_GETFD);
    errno = 0;
    int same = dup3(p[0], p[0], 0);
    int same_errno = errno;
    close(30);
    close(p[0]);
    close(p[1]);
    CHECK(fd == 30 && flags == FD_CLOEXEC, "dup3 gave %d, flags %d", fd, flags);
    CHECK(same < 0 && same_errno == EINVAL, "dup3 onto itself: %d %s", same, strerror(same_errno));
    return NULL;
}

static const char *sendfile_copies_a_file(void) {
    CHECK(make_file(at("src"), "0123456789") == 0, "make src");
    int in = open(at("src"), O_RDONLY);
    int out = open(at("dst"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(in >= 0 && out >= 0, "open: %s", strerror(errno));
    ssize_t first = sendfile(out, in, NULL, 3);
    off_t offset = 5;
    ssize_t second = sendfile(out, in, &offset, 100);
    off_t position = lseek(in, 0, SEEK_CUR);
    close(in);
    close(out);
    CHECK(first == 3 && second == 5 && offset == 10 && position == 3,
          "sent %zd then %zd, offset %lld, position %lld", first, second, (long long)offset, (long long)position);
    char text[16] = {0};
    int fd = open(at("dst"), O_RDONLY);
    ssize_t n = read(fd, text, sizeof text);
    close(fd);
    CHECK(n == 8 && memcmp(text, "01256789", 8) == 0, "copied %zd '%s'", n, text);
    return NULL;
}

static const char *mremap_grows_and_madvise_zeroes(void) {
    long page = sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
    memset(p, 'a', page);
    char *q = mremap(p, page, 3 * page, MREMAP_MAYMOVE);
    CHECK(q != MAP_FAILED, "mremap: %s", strerror(errno));
    CHECK(q[0] == 'a' && q[page - 1] == 'a' && q[page] == 0 && q[3 * page - 1] == 0, "contents after the move");
    memset(q, 'b', 3 * page);
    CHECK(madvise(q + page, page, MADV_DONTNEED) == 0, "madvise: %s", strerror(errno));
    CHECK(q[0] == 'b' && q[page] == 0 && q[2 * page - 1] == 0 && q[2 * page] == 'b', "after MADV_DONTNEED");
    CHECK(madvise(q, 3 * page, MADV_SEQUENTIAL) == 0, "MADV_SEQUENTIAL: %s", strerror(errno));
    errno = 0;
    CHECK(madvise(q + 1, page, MADV_NORMAL) < 0 && errno == EINVAL, "unaligned madvise: %s", strerror(errno));
    char *r = mremap(q, 3 * page, page, 0);
    CHECK(r == q, "shrinking moved it");
    munmap(r, page);
    return NULL;
}

static const struct test_case cases[] = {
    CASE(a_link_is_read_and_followed),
    CASE(forty_links_resolve_and_a_loop_is_eloop),
    CASE(proc_self_exe_names_this_program),
    CASE(chmod_and_utimensat_keep_what_they_set),
    CASE(statfs_of_proc_is_proc),
    CASE(dup3_sets_close_on_exec),
    CASE(sendfile_copies_a_file),
    CASE(mremap_grows_and_madvise_zeroes),
};

int main(int argc, char **argv) {
    snprintf(scratch, sizeof scratch, "/tmp/fstests.%d", (int)getpid());
    int status = run_cases(cases, sizeof cases / sizeof cases[0], argc, argv, reset);
    rmdir(scratch);
    return status;
}
