extern void two(unsigned long a, unsigned long b) __attribute__((paravirt_intrinsic(1)));
extern void noresult(unsigned long a) __attribute__((paravirt_intrinsic(2)));
