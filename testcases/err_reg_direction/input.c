#include <pvcc/paravirt.h>

/* ar50 does not exist: no native instruction could replace this site. */
unsigned long no_such_ar(void)
{
	return paravirt_getreg(3122);
}

/* cr.ivr may be read, never written. */
void write_ivr(unsigned long v)
{
	paravirt_setreg(4161, v);
}

/* cr.irr0 may be read, never written. */
void write_irr0(unsigned long v)
{
	paravirt_setreg(4164, v);
}

/* Reading them is fine. */
unsigned long read_both(void)
{
	return paravirt_getreg(4161) + paravirt_getreg(4164);
}
