extern void a(void) __attribute__((paravirt_intrinsic(9, 2)));
extern void b(void) __attribute__((paravirt_intrinsic(9, -1)));
int conv;
extern void c(void) __attribute__((paravirt_intrinsic(9, conv)));
extern void d(void) __attribute__((paravirt_intrinsic(9, 1, 0)));
