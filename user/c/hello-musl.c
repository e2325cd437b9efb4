/* A C program that knows nothing of Ferrite: built with `musl-gcc -static` by ./x.py, it runs
 * on Ferrite unchanged because Ferrite's system calls are Linux's. musl's start-up code sets up
 * thread-local storage (arch_prctl, set_tid_address), stdio asks whether standard output is a
 * terminal (ioctl TIOCGWINSZ), and printf's buffer goes out with writev; exit is exit_group. */
#include <stdio.h>

int main(int argc, char **argv) {
    printf("Hello from C, built with musl-gcc -static: %s with %d argument(s)\n", argv[0], argc - 1);
    return 0;
}
