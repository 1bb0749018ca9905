/* Shared by several plain test files (makes the dependency files non-trivial). */
#ifndef PLAIN_COMMON_H
#define PLAIN_COMMON_H
#include <stddef.h>

typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

static inline u64 min_u64(u64 a, u64 b) { return a < b ? a : b; }

#endif
