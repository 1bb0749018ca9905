/* <math.h> of pvcc-sim's freestanding runtime: the declarations and macros
 * C programs (csmith's headers among them) include.  The model runs integer
 * code; only fabs/fabsf/fabsl have bodies (sign-bit operations). */
#ifndef _PVCC_SIM_MATH_H
#define _PVCC_SIM_MATH_H

#define HUGE_VAL (__builtin_huge_val())
#define HUGE_VALF (__builtin_huge_valf())
#define HUGE_VALL (__builtin_huge_vall())
#define INFINITY (__builtin_inff())
#define NAN (__builtin_nanf(""))
#define isnan(x) __builtin_isnan(x)
#define isinf(x) __builtin_isinf(x)
#define isfinite(x) __builtin_isfinite(x)
#define signbit(x) __builtin_signbit(x)

double fabs(double);
float fabsf(float);
long double fabsl(long double);
double sqrt(double);
float sqrtf(float);
double floor(double);
double ceil(double);
double fmod(double, double);
double pow(double, double);
double exp(double);
double log(double);
double sin(double);
double cos(double);

#endif
