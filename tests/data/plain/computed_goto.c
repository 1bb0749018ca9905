int interp(const unsigned char *code, int acc)
{
	static const void *dispatch[] = { &&op_halt, &&op_inc, &&op_dec, &&op_dbl };
	const unsigned char *pc = code;
#define NEXT goto *dispatch[*pc++ & 3]
	NEXT;
op_inc:
	acc++;
	NEXT;
op_dec:
	acc--;
	NEXT;
op_dbl:
	acc *= 2;
	NEXT;
op_halt:
	return acc;
#undef NEXT
}

int retry(int (*f)(void))
{
	int tries = 0;
again:
	if (f() < 0 && ++tries < 5)
		goto again;
	return tries;
}
