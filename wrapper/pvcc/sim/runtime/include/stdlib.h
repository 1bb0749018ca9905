/* <stdlib.h> of pvcc-sim's freestanding runtime. */
#ifndef _PVCC_SIM_STDLIB_H
#define _PVCC_SIM_STDLIB_H

#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1

void exit(int status) __attribute__((__noreturn__));
void _Exit(int status) __attribute__((__noreturn__));
void abort(void) __attribute__((__noreturn__));
int abs(int x);
long labs(long x);
long long llabs(long long x);

#endif
