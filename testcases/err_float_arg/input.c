extern void fp(double d) __attribute__((paravirt_intrinsic(1)));
