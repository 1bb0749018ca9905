typedef int (*binop)(int, int);

static int add(int a, int b) { return a + b; }
static int sub(int a, int b) { return a - b; }
static int mul(int a, int b) { return a * b; }

static const binop ops[] = { add, sub, mul };

int apply(unsigned i, int a, int b)
{
	return i < 3 ? ops[i](a, b) : 0;
}

struct ops_table { void (*open)(void *); int (*read)(void *, char *, int); };

int do_read(const struct ops_table *t, void *f, char *buf, int n)
{
	if (t->open)
		t->open(f);
	return t->read ? t->read(f, buf, n) : -1;
}

int fold(binop f, const int *a, int n, int init)
{
	for (int i = 0; i < n; i++)
		init = f(init, a[i]);
	return init;
}
