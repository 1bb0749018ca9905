#include <pvcc/paravirt.h>

struct node { struct node *next; long v; };

static long sum(const struct node *n)
{
	long s = 0;
	for (; n; n = n->next)
		s += n->v;
	return s;
}

long walk(struct node *head, long (*f)(long))
{
	return f(sum(head));
}

long leafy(long a, long b) { return a * b + (a >> 3); }
