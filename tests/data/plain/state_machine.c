enum state { IDLE, RUNNING, BLOCKED, DONE };

struct machine { enum state st; int ticks; int budget; };

enum state step(struct machine *m, int event)
{
	switch (m->st) {
	case IDLE:
		if (event == 1) { m->st = RUNNING; m->ticks = 0; }
		break;
	case RUNNING:
		if (++m->ticks >= m->budget)
			m->st = DONE;
		else if (event == 2)
			m->st = BLOCKED;
		break;
	case BLOCKED:
		if (event == 3)
			m->st = RUNNING;
		break;
	case DONE:
		break;
	}
	return m->st;
}

int run(struct machine *m, const int *events, int n)
{
	int i;
	for (i = 0; i < n && m->st != DONE; i++)
		step(m, events[i]);
	return i;
}
