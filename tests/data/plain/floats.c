#include <float.h>

double poly(double x)
{
	return ((3.0 * x + 2.0) * x - 7.5) * x + 1.25;
}

float lerp(float a, float b, float t)
{
	return a + (b - a) * t;
}

double dot(const double *a, const double *b, int n)
{
	double s = 0.0;
	for (int i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

long double ext(long double a, long double b)
{
	return a / b + LDBL_EPSILON;
}

int to_int(double d)
{
	return d > (double)__INT_MAX__ ? __INT_MAX__ : (int)d;
}

double divide(double a, double b)
{
	return b != 0.0 ? a / b : DBL_MAX;
}
