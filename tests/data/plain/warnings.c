/* Deliberately warns under -Wall -Wextra: stderr must be the compiler's own. */
int unused_var(int x)
{
	int unused;
	int y = x;
	return y;
}

int sign_compare(unsigned a, int b)
{
	return a < b;
}

int missing_return(int x)
{
	if (x)
		return 1;
}
