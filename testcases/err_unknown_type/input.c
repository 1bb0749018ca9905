extern void unknown(unsigned long a) __attribute__((paravirt_intrinsic(77)));
extern int n;
extern void nonconst(unsigned long a) __attribute__((paravirt_intrinsic(n)));
