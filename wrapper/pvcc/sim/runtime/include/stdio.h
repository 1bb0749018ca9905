/* <stdio.h> of pvcc-sim's freestanding runtime: formatted output to the
 * model's file descriptors 1 and 2 through the write system call. */
#ifndef _PVCC_SIM_STDIO_H
#define _PVCC_SIM_STDIO_H

#include <stdarg.h>
#include <stddef.h>

typedef struct __pvcc_file FILE;
extern FILE *const stdout;
extern FILE *const stderr;
#define stdout stdout
#define stderr stderr
#define EOF (-1)

int printf(const char *fmt, ...) __attribute__((__format__(__printf__, 1, 2)));
int fprintf(FILE *f, const char *fmt, ...) __attribute__((__format__(__printf__, 2, 3)));
int sprintf(char *buf, const char *fmt, ...) __attribute__((__format__(__printf__, 2, 3)));
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((__format__(__printf__, 3, 4)));
int vprintf(const char *fmt, va_list ap);
int vfprintf(FILE *f, const char *fmt, va_list ap);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int puts(const char *s);
int fputs(const char *s, FILE *f);
int putchar(int c);
int fputc(int c, FILE *f);
int putc(int c, FILE *f);
int fflush(FILE *f);

#endif
