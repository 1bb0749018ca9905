extern void var(unsigned long a, ...) __attribute__((paravirt_intrinsic(1)));
