#include "list.h"

struct task { int prio; struct list_head node; };

static inline struct task *task_of(struct list_head *n)
{
	return container_of(n, struct task, node);
}

int max_prio(struct list_head *head)
{
	int best = -1;
	for (struct list_head *p = head->next; p != head; p = p->next)
		if (task_of(p)->prio > best)
			best = task_of(p)->prio;
	return best;
}

void enqueue(struct list_head *head, struct task *t)
{
	list_add(&t->node, head);
}

void dequeue(struct task *t)
{
	list_del(&t->node);
	list_init(&t->node);
}
