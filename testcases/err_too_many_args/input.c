extern void nine(long a, long b, long c, long d, long e, long f, long g, long h, long i)
	__attribute__((paravirt_intrinsic(8)));
