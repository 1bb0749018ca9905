unsigned long fib(unsigned int n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

unsigned long ackermann(unsigned long m, unsigned long n)
{
	if (m == 0)
		return n + 1;
	if (n == 0)
		return ackermann(m - 1, 1);
	return ackermann(m - 1, ackermann(m, n - 1));
}

struct node { struct node *left, *right; int key; };

int tree_depth(const struct node *t)
{
	if (!t)
		return 0;
	int l = tree_depth(t->left), r = tree_depth(t->right);
	return 1 + (l > r ? l : r);
}

static int is_even(unsigned n);
static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }
static int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }
int parity(unsigned n) { return is_odd(n); }
