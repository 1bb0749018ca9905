/*
 * kernel/init/init.c - /init of the sim kernels (kernel/sim.config), and an
 * ordinary pvcc-sim program.
 *
 * Built with `pvcc-sim cc` (docs/sim-programs.md), the runtime every model
 * program uses: printf to standard output (fd 1; under the kernel, the
 * /dev/console the kernel opens for init).  Every other kernel service is a
 * raw Linux ia64 system call through init_syscall (syscall.S).  It exercises
 * the kernel, then powers the machine off:
 *
 *   uname            sysname, release series (major.minor), machine
 *   getpid           LOOPS calls, their sum
 *   clock_gettime    a busy loop until CLOCK_MONOTONIC_COARSE, the clock the
 *                    timer tick advances, has moved TICK_MS: under the kernel
 *                    that takes timer interrupts, several of them in user mode
 *   gettimeofday     succeeds with a valid tv_usec
 *   open             of a missing path: errno ENOENT
 *   reboot           LINUX_REBOOT_CMD_POWER_OFF
 *
 * Nothing printed depends on time, pids other than init's own, or the
 * kernel's exact release, so that every kernel and `pvcc-sim run` (whose
 * harness serves these calls, wrapper/pvcc/sim/syscalls.py) print the same
 * lines.  The kernel's full release is in its own banner.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

long init_syscall(long a0, long a1, long a2, long a3, long a4, long a5, long nr);

/* arch/ia64/kernel/syscalls/syscall.tbl, plus 1024 */
#define NR_open 1028
#define NR_getpid 1041
#define NR_gettimeofday 1087
#define NR_reboot 1096
#define NR_uname 1130
#define NR_clock_gettime 1254

#define CLOCK_MONOTONIC 1
#define CLOCK_MONOTONIC_COARSE 6
#define O_RDONLY 0
#define ENOENT 2

/* include/uapi/linux/reboot.h */
#define LINUX_REBOOT_MAGIC1 0xfee1deadL
#define LINUX_REBOOT_MAGIC2 672274793L
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedcL

#define LOOPS 1000              /* getpid calls */
#define TICK_MS 20              /* two ticks at HZ=100 */
#define SPIN 1000               /* busy iterations between clock reads */
#define GIVE_UP_MS 1000         /* CLOCK_MONOTONIC time after which no tick came */

struct utsname {                /* include/uapi/linux/utsname.h: new_utsname */
	char sysname[65], nodename[65], release[65], version[65], machine[65],
	     domainname[65];
};

struct timespec {
	long tv_sec, tv_nsec;
};

struct timeval {
	long tv_sec, tv_usec;
};

/* One line, written out at once: the kernel may stop at any point after it. */
static __attribute__((__format__(__printf__, 1, 2))) void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static const char *errno_name(long e)
{
	switch (e) {
	case 1: return "EPERM";
	case 2: return "ENOENT";
	case 9: return "EBADF";
	case 14: return "EFAULT";
	case 22: return "EINVAL";
	case 38: return "ENOSYS";
	default: return "?";
	}
}

static long ms_of(long clock)
{
	struct timespec ts;
	long r = init_syscall(clock, (long)&ts, 0, 0, 0, 0, NR_clock_gettime);

	if (r < 0) {
		say("clock_gettime(%ld): errno %ld (%s)\n", clock, -r, errno_name(-r));
		return -1;
	}
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static volatile unsigned long sink;

static int timer(void)
{
	long c0 = ms_of(CLOCK_MONOTONIC_COARSE), m0 = ms_of(CLOCK_MONOTONIC);
	long c = c0, m = m0;
	unsigned long k;

	if (c0 < 0 || m0 < 0)
		return 1;
	while (c - c0 < TICK_MS) {
		for (k = 0; k < SPIN; k++)
			sink += k;
		c = ms_of(CLOCK_MONOTONIC_COARSE);
		m = ms_of(CLOCK_MONOTONIC);
		if (c < 0 || m < 0)
			return 1;
		if (m - m0 >= GIVE_UP_MS) {
			say("timer: CLOCK_MONOTONIC_COARSE did not move %d ms in %d ms of busy loop\n",
			    TICK_MS, GIVE_UP_MS);
			return 1;
		}
	}
	/* The coarse clock stands at the last tick, up to a tick behind the
	 * precise one, so MONOTONIC may have moved less than TICK_MS here: it
	 * must only have moved. */
	if (m <= m0) {
		say("timer: CLOCK_MONOTONIC did not advance\n");
		return 1;
	}
	say("timer: a busy loop until the tick clock moved %d ms; both clocks advanced\n", TICK_MS);
	return 0;
}

int main(void)
{
	struct utsname u;
	struct timeval tv;
	long r, i, pid = 0, sum = 0;
	int bad = 0;
	size_t n;

	say("init: pvcc sim /init\n");

	memset(&u, 0, sizeof(u));
	r = init_syscall((long)&u, 0, 0, 0, 0, 0, NR_uname);
	if (r < 0) {
		say("uname: errno %ld (%s)\n", -r, errno_name(-r));
		bad = 1;
	} else {
		/* the release series: up to the second '.' ("6.1" of "6.1.176") */
		const char *dot = strchr(u.release, '.');
		n = dot && strchr(dot + 1, '.') ? (size_t)(strchr(dot + 1, '.') - u.release)
						: strlen(u.release);
		say("uname: %s %.*s %s\n", u.sysname, (int)n, u.release, u.machine);
	}

	for (i = 0; i < LOOPS; i++) {
		pid = init_syscall(0, 0, 0, 0, 0, 0, NR_getpid);
		sum += pid;
	}
	say("getpid: pid %ld, %d calls, sum %ld\n", pid, LOOPS, sum);

	bad |= timer();

	r = init_syscall((long)&tv, 0, 0, 0, 0, 0, NR_gettimeofday);
	if (r == 0 && tv.tv_usec >= 0 && tv.tv_usec < 1000000) {
		say("gettimeofday: ok\n");
	} else {
		say("gettimeofday: returned %ld, tv_usec %ld\n", r, tv.tv_usec);
		bad = 1;
	}

	r = init_syscall((long)"/nonexistent/init", O_RDONLY, 0, 0, 0, 0, NR_open);
	say("open /nonexistent/init: %s%ld (%s)\n", r < 0 ? "errno " : "fd ", r < 0 ? -r : r,
	    r < 0 ? errno_name(-r) : "opened");
	if (r != -ENOENT)
		bad = 1;

	say("init: %s, powering off\n", bad ? "FAILED" : "all checks passed");
	r = init_syscall(LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF, 0, 0,
			 0, NR_reboot);
	say("reboot: returned %ld (%s)\n", r, r < 0 ? errno_name(-r) : "?");
	return 1;
}
