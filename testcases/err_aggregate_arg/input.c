struct pair { long a, b; };
extern void agg(struct pair p) __attribute__((paravirt_intrinsic(1)));
