__thread int per_thread_counter;
__thread long per_thread_buf[8];

static int file_local = 3;
int global_init = 42;
int global_bss;
extern int external_var;
const int const_table[] = { 1, 1, 2, 3, 5, 8, 13, 21 };

int bump(void)
{
	per_thread_counter++;
	per_thread_buf[per_thread_counter & 7] = global_init + file_local;
	return per_thread_counter + external_var + global_bss;
}

int *address_of_tls(void) { return &per_thread_counter; }
