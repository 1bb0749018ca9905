/* stdlib.c - exit, abort, abs and the assertion failure of pvcc-sim's runtime. */
#include <stdio.h>
#include <stdlib.h>

#include "rt.h"

void __pvcc_exit_now(int status)
{
	__pvcc_syscall(status, 0, 0, PVCC_SYS_EXIT_GROUP);
	__pvcc_syscall(status, 0, 0, PVCC_SYS_EXIT);
	for (;;)
		__builtin_trap();
}

void exit(int status)
{
	__pvcc_flush_stdout();
	__pvcc_exit_now(status);
}

void _Exit(int status)
{
	__pvcc_exit_now(status);
}

/* The status a shell reports for a process killed by SIGABRT. */
void abort(void)
{
	__pvcc_exit_now(128 + 6);
}

void __assert_fail(const char *expr, const char *file, unsigned int line, const char *func)
{
	__pvcc_flush_stdout();
	fprintf(stderr, "%s:%u: %s: Assertion `%s' failed.\n", file, line, func, expr);
	abort();
}

int abs(int x)
{
	return x < 0 ? -x : x;
}

long labs(long x)
{
	return x < 0 ? -x : x;
}

long long llabs(long long x)
{
	return x < 0 ? -x : x;
}
