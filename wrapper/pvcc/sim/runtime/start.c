/* start.c - __pvcc_start: run main and exit with its status. */
#include <stdlib.h>

#include "rt.h"

int main(int argc, char **argv, char **envp);
void __pvcc_start(long argc, char **argv) __attribute__((__noreturn__));

void __pvcc_start(long argc, char **argv)
{
	exit(main((int)argc, argv, argv + argc + 1));
}
