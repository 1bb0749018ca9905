#include "common.h"

union word { u64 q; u32 d[2]; u16 w[4]; u8 b[8]; double f; };

u8 byte_of(u64 v, int i)
{
	union word w = { .q = v };
	return w.b[i & 7];
}

u64 bits_of(double f)
{
	union word w;
	w.f = f;
	return w.q;
}

struct msg {
	int kind;
	union { long num; const char *str; struct { short a, b; } pair; };
};

long msg_value(const struct msg *m)
{
	switch (m->kind) {
	case 0: return m->num;
	case 1: return m->str ? m->str[0] : 0;
	default: return m->pair.a + m->pair.b;
	}
}
