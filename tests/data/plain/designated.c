#include "common.h"

struct cfg { const char *name; int level; u8 flags[4]; struct { int lo, hi; } range; };

static const struct cfg defaults[] = {
	{ .name = "low", .level = 1, .range = { .lo = 0, .hi = 10 } },
	{ .name = "mid", .level = 5, .flags = { [2] = 1 }, .range.hi = 50 },
	{ .level = 9, .name = "high" },
};

int level_of(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(defaults); i++) {
		const char *a = defaults[i].name, *b = name;
		while (*a && *a == *b)
			a++, b++;
		if (*a == *b)
			return defaults[i].level;
	}
	return -1;
}

struct cfg make_cfg(int level)
{
	return (struct cfg){ .name = "custom", .level = level, .range = { -level, level } };
}

int compound_sum(void)
{
	int *p = (int[]){ 1, 2, 3, 4 };
	return p[0] + p[3];
}
