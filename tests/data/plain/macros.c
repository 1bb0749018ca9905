#include "common.h"
#include "list.h"
#include <limits.h>
#include <stdbool.h>

#define STR(x) #x
#define XSTR(x) STR(x)
#define CAT(a, b) a##b
#define DEFINE_GETTER(field) \
	static inline long CAT(get_, field)(const struct obj *o) { return o->field; }
#define MAX(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); _a > _b ? _a : _b; })

struct obj { long size, count, flags; struct list_head link; };

DEFINE_GETTER(size)
DEFINE_GETTER(count)
DEFINE_GETTER(flags)

const char version[] = "plain-" XSTR(__LINE__);

long weight(const struct obj *o)
{
	return MAX(get_size(o), get_count(o)) + (get_flags(o) & 1);
}

bool fits(long v) { return v <= INT_MAX && v >= INT_MIN; }

#if defined(__ia64__) && __SIZEOF_LONG__ == 8
int target_ok = 1;
#else
int target_ok = 0;
#endif
