#include <pvcc/paravirt.h>

extern void release(unsigned long *p);
extern void may_throw(unsigned long v);

unsigned long guarded(unsigned long a)
{
	unsigned long v __attribute__((cleanup(release))) = paravirt_get_rr(a);
	may_throw(v);
	paravirt_fc(v);
	return v;
}
