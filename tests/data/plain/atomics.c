long counter;
int lock_word;

long inc_return(void) { return __sync_add_and_fetch(&counter, 1); }

int try_lock(void) { return __sync_bool_compare_and_swap(&lock_word, 0, 1); }

void unlock(void) { __atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE); }

long load_acquire(const long *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }

long xchg(long *p, long v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }

void fence(void) { __sync_synchronize(); }
