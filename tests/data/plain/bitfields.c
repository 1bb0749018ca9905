struct pte {
	unsigned long present : 1;
	unsigned long rsvd : 1;
	unsigned long ma : 3;
	unsigned long accessed : 1;
	unsigned long dirty : 1;
	unsigned long pl : 2;
	unsigned long ar : 3;
	unsigned long ppn : 38;
	unsigned long ign : 2;
	unsigned long ed : 1;
	unsigned long ignored : 11;
};

unsigned long pte_ppn(struct pte p) { return p.ppn; }

struct pte pte_mkdirty(struct pte p)
{
	p.dirty = 1;
	p.accessed = 1;
	return p;
}

int pte_is_kernel(const struct pte *p) { return p->pl == 0 && p->present; }

struct flags { signed int s : 3; unsigned int u : 5; _Bool b : 1; };

int flags_sum(struct flags f) { return f.s + f.u + f.b; }
