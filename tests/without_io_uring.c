/**
 * @file without_io_uring.c
 * @brief Test helper (Linux): runs a program in a process where io_uring_setup() fails, as
 *        it does in a container whose seccomp profile forbids io_uring, or on a kernel built
 *        without it.
 *
 * Usage: `without_io_uring ERRNO PROGRAM [ARGUMENTS...]`, ERRNO being `ENOSYS` or `EPERM`.
 * A seccomp filter makes the one system call fail with that error; everything else is
 * allowed. The filter stays for the program started with execv().
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: without_io_uring ENOSYS|EPERM PROGRAM [ARGUMENTS...]\n");
        return 2;
    }
    unsigned error = strcmp(argv[1], "EPERM") == 0 ? EPERM : ENOSYS;
    struct sock_filter filter[] = {
        /* Another architecture's system call numbers mean other calls: allow them all. */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (error & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {(unsigned short)(sizeof filter / sizeof filter[0]), filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        perror("prctl(PR_SET_NO_NEW_PRIVS)");
        return 1;
    }
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
        perror("prctl(PR_SET_SECCOMP)");
        return 1;
    }
    execv(argv[2], argv + 2);
    perror("execv");
    return 1;
}
