int var __attribute__((paravirt_intrinsic(1)));
typedef void fn_t(unsigned long) __attribute__((paravirt_intrinsic(1)));
struct s { int field __attribute__((paravirt_intrinsic(1))); };
