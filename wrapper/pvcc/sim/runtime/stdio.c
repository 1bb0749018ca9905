/*
 * stdio.c - formatted output of pvcc-sim's runtime.
 *
 * stdout (fd 1) is buffered and written out when the buffer fills, on
 * fflush and at exit; stderr (fd 2) is written at once.  The printf family
 * implements the conversions d i u o x X c s p % with the flags - + space
 * # 0, a field width and a precision (digits or *), and the length
 * modifiers hh h l ll j z t (L is accepted and ignored).  Floating-point
 * conversions (f e g a) consume their double and print "<float>".
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rt.h"

struct __pvcc_file {
	long fd;
	unsigned long len;
	unsigned long cap;
	char *buf;
};

static char stdout_buf[4096];
static struct __pvcc_file stdout_file = { 1, 0, sizeof(stdout_buf), stdout_buf };
static struct __pvcc_file stderr_file = { 2, 0, 0, NULL };

#undef stdout
#undef stderr
FILE *const stdout = &stdout_file;
FILE *const stderr = &stderr_file;

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		long done = __pvcc_syscall(fd, (long)p, (long)n, PVCC_SYS_WRITE);
		if (done <= 0)
			return;
		p += done;
		n -= (size_t)done;
	}
}

static void file_flush(FILE *f)
{
	if (f->len) {
		write_all(f->fd, f->buf, f->len);
		f->len = 0;
	}
}

void __pvcc_flush_stdout(void)
{
	file_flush(&stdout_file);
}

int fflush(FILE *f)
{
	if (f)
		file_flush(f);
	else
		file_flush(&stdout_file);
	return 0;
}

static void file_write(FILE *f, const char *p, size_t n)
{
	if (!f->cap) {
		write_all(f->fd, p, n);
		return;
	}
	while (n > 0) {
		size_t room = f->cap - f->len;
		size_t take = n < room ? n : room;
		memcpy(f->buf + f->len, p, take);
		f->len += take;
		p += take;
		n -= take;
		if (f->len == f->cap)
			file_flush(f);
	}
}

/* Where formatted output goes: a FILE, or a string of a given size. */
struct sink {
	FILE *file;
	char *str;
	size_t size;	/* of str, including the terminating NUL */
	size_t count;	/* characters produced so far */
};

static void emit(struct sink *s, const char *p, size_t n)
{
	if (s->file) {
		file_write(s->file, p, n);
	} else if (s->count + 1 < s->size) {
		size_t room = s->size - 1 - s->count;
		memcpy(s->str + s->count, p, n < room ? n : room);
	}
	s->count += n;
}

static void emit_pad(struct sink *s, char c, int n)
{
	char pad[32];
	int i;

	for (i = 0; i < (int)sizeof(pad); i++)
		pad[i] = c;
	while (n > 0) {
		int k = n < (int)sizeof(pad) ? n : (int)sizeof(pad);
		emit(s, pad, (size_t)k);
		n -= k;
	}
}

enum { F_MINUS = 1, F_PLUS = 2, F_SPACE = 4, F_HASH = 8, F_ZERO = 16 };

/* Digits of v in base 8, 10 or 16, written backwards ending at end. */
static char *digits(char *end, unsigned long long v, int base, int upper)
{
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	if (base == 10) {
		do {
			*--end = (char)('0' + v % 10);
			v /= 10;
		} while (v);
	} else {
		int shift = base == 16 ? 4 : 3;
		do {
			*--end = set[v & (unsigned long long)(base - 1)];
			v >>= shift;
		} while (v);
	}
	return end;
}

static void emit_number(struct sink *s, unsigned long long v, int negative, int base,
			int upper, int flags, int width, int prec)
{
	char buf[32];
	char *end = buf + sizeof(buf);
	char *p = end;
	char prefix[3];
	int plen = 0, ndig, zeros = 0, pad;

	if (!(prec == 0 && v == 0))
		p = digits(end, v, base, upper);
	ndig = (int)(end - p);

	if (negative)
		prefix[plen++] = '-';
	else if (flags & F_PLUS)
		prefix[plen++] = '+';
	else if (flags & F_SPACE)
		prefix[plen++] = ' ';
	if ((flags & F_HASH) && base == 16 && v != 0) {
		prefix[plen++] = '0';
		prefix[plen++] = upper ? 'X' : 'x';
	}
	if ((flags & F_HASH) && base == 8 && (ndig == 0 || *p != '0') && prec <= ndig)
		prec = ndig + 1;

	if (prec > ndig)
		zeros = prec - ndig;
	pad = width - plen - zeros - ndig;
	if (prec < 0 && (flags & F_ZERO) && !(flags & F_MINUS) && pad > 0) {
		zeros += pad;
		pad = 0;
	}
	if (!(flags & F_MINUS))
		emit_pad(s, ' ', pad);
	emit(s, prefix, (size_t)plen);
	emit_pad(s, '0', zeros);
	emit(s, p, (size_t)ndig);
	if (flags & F_MINUS)
		emit_pad(s, ' ', pad);
}

static void emit_string(struct sink *s, const char *str, int flags, int width, int prec)
{
	size_t n = 0;
	int pad;

	if (!str)
		str = "(null)";
	while (str[n] && (prec < 0 || n < (size_t)prec))
		n++;
	pad = width - (int)n;
	if (!(flags & F_MINUS))
		emit_pad(s, ' ', pad);
	emit(s, str, n);
	if (flags & F_MINUS)
		emit_pad(s, ' ', pad);
}

enum { L_INT, L_CHAR, L_SHORT, L_LONG, L_LLONG, L_INTMAX, L_SIZE, L_PTRDIFF };

static int format(struct sink *s, const char *fmt, va_list ap)
{
	while (*fmt) {
		int flags = 0, width = 0, prec = -1, len = L_INT;
		const char *start;

		if (*fmt != '%') {
			const char *q = fmt;
			while (*q && *q != '%')
				q++;
			emit(s, fmt, (size_t)(q - fmt));
			fmt = q;
			continue;
		}
		start = fmt++;
		for (;; fmt++) {
			if (*fmt == '-')
				flags |= F_MINUS;
			else if (*fmt == '+')
				flags |= F_PLUS;
			else if (*fmt == ' ')
				flags |= F_SPACE;
			else if (*fmt == '#')
				flags |= F_HASH;
			else if (*fmt == '0')
				flags |= F_ZERO;
			else
				break;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				flags |= F_MINUS;
				width = -width;
			}
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				width = width * 10 + (*fmt++ - '0');
		}
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				if (prec < 0)
					prec = -1;
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					prec = prec * 10 + (*fmt++ - '0');
			}
		}
		switch (*fmt) {
		case 'h':
			len = L_SHORT;
			if (*++fmt == 'h') {
				len = L_CHAR;
				fmt++;
			}
			break;
		case 'l':
			len = L_LONG;
			if (*++fmt == 'l') {
				len = L_LLONG;
				fmt++;
			}
			break;
		case 'j':
			len = L_INTMAX;
			fmt++;
			break;
		case 'z':
			len = L_SIZE;
			fmt++;
			break;
		case 't':
			len = L_PTRDIFF;
			fmt++;
			break;
		case 'L':
			fmt++;
			break;
		}
		switch (*fmt) {
		case 'd':
		case 'i': {
			long long v;
			if (len == L_LONG || len == L_LLONG || len == L_INTMAX ||
			    len == L_SIZE || len == L_PTRDIFF)
				v = va_arg(ap, long long);
			else
				v = va_arg(ap, int);
			if (len == L_CHAR)
				v = (signed char)v;
			else if (len == L_SHORT)
				v = (short)v;
			emit_number(s, v < 0 ? -(unsigned long long)v : (unsigned long long)v,
				    v < 0, 10, 0, flags, width, prec);
			break;
		}
		case 'u':
		case 'o':
		case 'x':
		case 'X': {
			unsigned long long v;
			int base = *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16;
			if (len == L_LONG || len == L_LLONG || len == L_INTMAX ||
			    len == L_SIZE || len == L_PTRDIFF)
				v = va_arg(ap, unsigned long long);
			else
				v = va_arg(ap, unsigned int);
			if (len == L_CHAR)
				v = (unsigned char)v;
			else if (len == L_SHORT)
				v = (unsigned short)v;
			emit_number(s, v, 0, base, *fmt == 'X', flags & ~(F_PLUS | F_SPACE),
				    width, prec);
			break;
		}
		case 'p': {
			void *p = va_arg(ap, void *);
			if (p)
				emit_number(s, (uintptr_t)p, 0, 16, 0, flags | F_HASH, width, prec);
			else
				emit_string(s, "(nil)", flags, width, -1);
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);
			if (!(flags & F_MINUS))
				emit_pad(s, ' ', width - 1);
			emit(s, &c, 1);
			if (flags & F_MINUS)
				emit_pad(s, ' ', width - 1);
			break;
		}
		case 's':
			emit_string(s, va_arg(ap, const char *), flags, width, prec);
			break;
		case 'f':
		case 'F':
		case 'e':
		case 'E':
		case 'g':
		case 'G':
		case 'a':
		case 'A':
			(void)va_arg(ap, double);
			emit_string(s, "<float>", flags, width, -1);
			break;
		case 'n':
			*va_arg(ap, int *) = (int)s->count;
			break;
		case '%':
			emit(s, "%", 1);
			break;
		default:
			/* Unknown conversion: print it as written. */
			if (!*fmt)
				fmt--;
			emit(s, start, (size_t)(fmt + 1 - start));
			break;
		}
		fmt++;
	}
	return (int)s->count;
}

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
	struct sink s = { f, NULL, 0, 0 };

	return format(&s, fmt, ap);
}

int vprintf(const char *fmt, va_list ap)
{
	return vfprintf(&stdout_file, fmt, ap);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = { NULL, buf, size, 0 };
	int n = format(&s, fmt, ap);

	if (size)
		buf[s.count < size ? s.count : size - 1] = '\0';
	return n;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(&stdout_file, fmt, ap);
	va_end(ap);
	return n;
}

int fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(f, fmt, ap);
	va_end(ap);
	return n;
}

int sprintf(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, (size_t)-1 >> 1, fmt, ap);
	va_end(ap);
	return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int fputs(const char *str, FILE *f)
{
	file_write(f, str, strlen(str));
	return 0;
}

int puts(const char *str)
{
	file_write(&stdout_file, str, strlen(str));
	file_write(&stdout_file, "\n", 1);
	return 0;
}

int fputc(int c, FILE *f)
{
	char ch = (char)c;

	file_write(f, &ch, 1);
	return (unsigned char)ch;
}

int putc(int c, FILE *f)
{
	return fputc(c, f);
}

int putchar(int c)
{
	return fputc(c, &stdout_file);
}
