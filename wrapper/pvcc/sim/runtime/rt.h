/* Internal declarations shared by the sources of pvcc-sim's runtime. */
#ifndef _PVCC_SIM_RT_H
#define _PVCC_SIM_RT_H

/* Linux ia64 system call numbers (arch/ia64/kernel/syscalls/syscall.tbl:
 * 1024 + the table's number). */
#define PVCC_SYS_EXIT 1025
#define PVCC_SYS_WRITE 1027
#define PVCC_SYS_EXIT_GROUP 1236

/* syscall.S: break 0x100000 with r15 = nr and the arguments in the first
 * stacked registers of the frame, as a Linux ia64 system call; returns r8. */
long __pvcc_syscall(long a0, long a1, long a2, long nr);

/* stdio.c: write out what printf & co. buffered for stdout. */
void __pvcc_flush_stdout(void);

/* stdlib.c: end the program with status, without flushing anything. */
void __pvcc_exit_now(int status) __attribute__((__noreturn__));

#endif
