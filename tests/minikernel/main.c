/*
 * The minikernel: the smallest kernel pvcc-sim boots, built by the tests
 * with the real cross GCC in a second so that the default suite boots the
 * machine on a fresh clone, before any Linux is built.
 *
 * It walks the boot path a Linux kernel takes, reading everything from the
 * tables as the firmware specifications lay them out (docs/machine.md says
 * what the machine puts there; the test compares): the boot parameter block
 * in r28, the command line, the EFI system table and its configuration
 * tables, the memory map, ACPI's RSDP and XSDT, the SAL system table's
 * entry point, PAL_FREQ_RATIOS (static convention) and SAL_FREQ_BASE (a C
 * call through a descriptor) for the ITC's rate, EFI GetTime, then the
 * switch to virtual mode: region registers, the image's 64 MiB page in
 * instruction and data translation registers, everything else (firmware,
 * UART) mapped on demand by its Alternate TLB miss handlers; then the
 * interval timer: cr.itv, cr.itm, three External Interrupts through its
 * vector table (head.S), idling in PAL_HALT_LIGHT (called at its virtual
 * address) between them.  Everything goes to the 16550 UART, polled.  EFI
 * is called in physical mode, as Linux does.  It ends as the command line
 * says:
 *
 *   (default)  EFI ResetSystem(EfiResetShutdown, EFI_SUCCESS)  -> status 0
 *   halt       PAL_HALT                                        -> status 0
 *   fail       EFI ResetSystem(EfiResetCold, EFI_DEVICE_ERROR) -> status 1
 *   panic      Linux's panic line, then a loop                 -> status 3
 *   loop       a loop                                          -> status 124 (--max-insns)
 *   idle       PAL_HALT_LIGHT forever with the timer masked    -> status 125
 *   break      `break 0x1234`: an unexpected interruption, reported, then fail
 *
 * With `echo` it first reads one line from the UART (pvcc-sim boot --stdin)
 * and prints it back; an initrd, when there is one, is described.
 *
 * Freestanding: no libc, no libgcc (so no division: udiv below).
 */
typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

/* Linux's struct ia64_boot_param (arch/ia64/include/uapi/asm/setup.h) */
struct boot_param {
	u64 command_line, efi_systab, efi_memmap, efi_memmap_size, efi_memdesc_size;
	u32 efi_memdesc_version;
	struct { u16 num_cols, num_rows, orig_x, orig_y; } console_info;
	u64 fpswa, initrd_start, initrd_size;
};

/* EFI's 64-bit tables, as Linux's include/linux/efi.h declares them */
struct efi_table_hdr { u64 signature; u32 revision, headersize, crc32, reserved; };
struct efi_system_table {
	struct efi_table_hdr hdr;
	u64 fw_vendor;
	u32 fw_revision, pad;
	u64 con_in_handle, con_in, con_out_handle, con_out, stderr_handle, stderr_;
	u64 runtime, boottime, nr_tables, tables;
};
struct efi_config_table { u64 guid_lo, guid_hi, table; };
struct efi_runtime_services {
	struct efi_table_hdr hdr;
	u64 get_time, set_time, get_wakeup_time, set_wakeup_time;
	u64 set_virtual_address_map, convert_pointer, get_variable;
	u64 get_next_variable, set_variable, get_next_high_mono_count, reset_system;
};
struct efi_time {
	u16 year; u8 month, day, hour, minute, second, pad1;
	u32 nanosecond; short timezone; u8 daylight, pad2;
};
struct efi_memory_desc { u32 type, pad; u64 phys_addr, virt_addr, num_pages, attribute; };
#define EFI_MEMORY_WB 0x8
#define EFI_SUCCESS 0
#define EFI_DEVICE_ERROR 0x8000000000000007UL
#define EFI_RESET_COLD 0
#define EFI_RESET_SHUTDOWN 2
/* the GUIDs in memory order, as two little-endian words */
#define SAL_SYSTEM_TABLE_GUID 0x11d32d88eb9d2d32UL, 0x4dc13f279000169aUL
#define ACPI_20_TABLE_GUID 0x11d3e4f18868e871UL, 0x81883cc7800022bcUL

/* the SAL system table, as Linux's arch/ia64/include/asm/sal.h declares it */
struct sal_systab {
	u8 signature[4]; u32 size;
	u8 sal_rev_minor, sal_rev_major; u16 entry_count;
	u8 checksum, reserved1[7];
	u8 sal_a_rev_minor, sal_a_rev_major, sal_b_rev_minor, sal_b_rev_major;
	u8 oem_id[32], product_id[32], reserved2[8];
};
struct sal_entry_point { u8 type, reserved1[7]; u64 pal_proc, sal_proc, gp; u8 reserved2[16]; };
#define SAL_FREQ_BASE 0x01000012
#define SAL_FREQ_BASE_PLATFORM 0

/* PAL (SDM Vol. 2 Part I 11.10) */
#define PAL_FREQ_RATIOS 14
#define PAL_HALT 28
#define PAL_HALT_LIGHT 29

/* ACPI's RSDP and table header, as Linux's include/acpi/actbl.h declares them */
struct acpi_rsdp { char signature[8]; u8 checksum; char oem_id[6]; u8 revision;
		   u32 rsdt; u32 length; u64 xsdt; u8 xchecksum, reserved[3]; };
struct acpi_header { char signature[4]; u32 length; u8 revision, checksum;
		     char oem_id[6], oem_table_id[8]; u32 oem_revision, creator_id, creator_revision; };

struct fw_ret { long status; u64 v0, v1, v2; };	/* r8-r11 */
struct fw_ret pal_static(u64 entry, u64 index, u64 a1, u64 a2, u64 a3);
typedef struct fw_ret (*sal_fn)(u64, u64, u64, u64, u64, u64, u64, u64);
typedef u64 (*efi_get_time_fn)(struct efi_time *, void *);
typedef u64 (*efi_reset_fn)(u64, u64, u64, void *);

#define TIMER_VECTOR 0xef	/* Linux's IA64_TIMER_VECTOR */
#define TICKS 3
#define UART uart()

/* The 16550 (bit 63: uncacheable); through an asm so that no GCC version
 * takes the constant address for an object it can bound-check. */
static volatile u8 *uart(void)
{
	u64 p = 0x80000000ff5e0000UL;

	asm("" : "+r"(p));
	return (volatile u8 *)p;
}

u64 ticks, last_vector, timer_period;
u64 fault_state[3];		/* vector offset, cr.iip, cr.iim (head.S) */
static u64 pal_proc, sal_desc[2];
static struct efi_runtime_services *rt;

static void putc(char c)
{
	if (c == '\n')
		putc('\r');
	while (!(UART[5] & 0x20))	/* LSR.THRE */
		;
	UART[0] = c;
}

static int getc(void)
{
	u64 spins = 0;

	while (!(UART[5] & 0x01))	/* LSR.DR */
		if (++spins == 100000)
			return -1;
	return UART[0];
}

static void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

/* n / d by shifts and subtractions: no libgcc here (IA-64 has no divide) */
static u64 udiv(u64 n, u64 d, u64 *rem)
{
	u64 q = 0, r = 0;

	for (int i = 63; i >= 0; i--) {
		r = (r << 1) | ((n >> i) & 1);
		if (r >= d) {
			r -= d;
			q |= 1UL << i;
		}
	}
	if (rem)
		*rem = r;
	return q;
}

static void putu(u64 n)
{
	char buf[24];
	int i = sizeof(buf);
	u64 d;

	buf[--i] = 0;
	do {
		n = udiv(n, 10, &d);
		buf[--i] = '0' + d;
	} while (n);
	puts(buf + i);
}

static void putu2(u64 n)
{
	u64 d, t = udiv(n, 10, &d);

	putc('0' + t);
	putc('0' + d);
}

static void putx(u64 n)
{
	int shift = 60;

	puts("0x");
	while (shift > 0 && !(n >> shift))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		putc("0123456789abcdef"[(n >> shift) & 0xf]);
}

static void putn(const char *s, int n)
{
	while (n--)
		putc(*s++);
}

/* WORD is one of the command line's space-separated words */
static int contains(const char *line, const char *word)
{
	for (const char *s = line; *s; s++) {
		const char *a = s, *b = word;
		if (s != line && s[-1] != ' ')
			continue;
		while (*b && *a == *b)
			a++, b++;
		if (!*b && (*a == 0 || *a == ' '))
			return 1;
	}
	return 0;
}

static u64 read_itc(void)
{
	u64 v;

	asm volatile("mov %0 = ar.itc" : "=r"(v) :: "memory");
	return v;
}

static void translation(u64 on);

static void __attribute__((noreturn)) efi_reset(u64 type, u64 status)
{
	translation(0);		/* EFI runs in physical mode */
	((efi_reset_fn)rt->reset_system)(type, status, 0, 0);
	puts("minikernel: ResetSystem returned\n");
	for (;;)
		;
}

void __attribute__((noreturn)) interrupted_by(void)
{
	puts("minikernel: unexpected interruption ");
	putx(fault_state[0]);
	puts(" at ip=");
	putx(fault_state[1]);
	puts(" iim=");
	putx(fault_state[2]);
	puts("\n");
	efi_reset(EFI_RESET_COLD, EFI_DEVICE_ERROR);
}

static void *find_table(struct efi_system_table *st, u64 lo, u64 hi)
{
	struct efi_config_table *t = (struct efi_config_table *)st->tables;

	for (u64 i = 0; i < st->nr_tables; i++)
		if (t[i].guid_lo == lo && t[i].guid_hi == hi)
			return (void *)t[i].table;
	return 0;
}

static void memory_map(struct boot_param *bp)
{
	u64 n = 0, wb = 0;

	for (u64 off = 0; off < bp->efi_memmap_size; off += bp->efi_memdesc_size, n++) {
		struct efi_memory_desc *d = (void *)(bp->efi_memmap + off);
		if (d->attribute & EFI_MEMORY_WB)
			wb += d->num_pages << 12;
	}
	puts("memory: ");
	putu(n);
	puts(" descriptors, ");
	putu(wb >> 20);
	puts(" MiB write-back\n");
}

static void acpi(struct acpi_rsdp *rsdp)
{
	struct acpi_header *xsdt = (void *)rsdp->xsdt;
	/* the XSDT's 8-byte entries start at offset 36: unaligned */
	struct __attribute__((packed)) xsdt_entry { u64 table; } *entry = (void *)(xsdt + 1);
	u64 n = (xsdt->length - sizeof(*xsdt)) >> 3;

	puts("acpi: RSDP revision ");
	putu(rsdp->revision);
	puts(" at ");
	putx((u64)rsdp);
	puts(", XSDT:");
	for (u64 i = 0; i < n; i++) {
		putc(' ');
		putn(((struct acpi_header *)entry[i].table)->signature, 4);
	}
	puts("\n");
}

static int sal_entry(struct sal_systab *sst)
{
	u8 *p = (u8 *)(sst + 1);
	/* the sizes of entry types 0-5 (SAL_DESC_SIZE in asm/sal.h) */
	static const u8 size[] = { 48, 32, 16, 32, 16, 16 };

	if (sst->signature[0] != 'S' || sst->signature[3] != '_')
		return 0;
	for (int i = 0; i < sst->entry_count && *p < sizeof(size); i++, p += size[*p]) {
		if (*p == 0) {
			struct sal_entry_point *ep = (void *)p;
			pal_proc = ep->pal_proc;
			sal_desc[0] = ep->sal_proc;
			sal_desc[1] = ep->gp;
			puts("sal: revision ");
			if (sst->sal_rev_major >> 4)
				putu(sst->sal_rev_major >> 4);
			putu(sst->sal_rev_major & 15);
			puts(".");
			putu(sst->sal_rev_minor >> 4);
			putu(sst->sal_rev_minor & 15);
			puts(", PAL at ");
			putx(pal_proc);
			puts(", SAL at ");
			putx(sal_desc[0]);
			puts(" gp ");
			putx(sal_desc[1]);
			puts("\n");
			return 1;
		}
	}
	return 0;
}

static u64 itc_frequency(void)
{
	struct fw_ret pal = pal_static(pal_proc, PAL_FREQ_RATIOS, 0, 0, 0);
	sal_fn sal_call = (sal_fn)sal_desc;
	struct fw_ret sal;

	/* a C call through the descriptor; GCC would turn a call of the
	 * object's own address into a direct branch to it */
	asm("" : "+r"(sal_call));
	sal = sal_call(SAL_FREQ_BASE, SAL_FREQ_BASE_PLATFORM, 0, 0, 0, 0, 0, 0);
	u64 num = pal.v2 >> 32, den = pal.v2 & 0xffffffff, base = sal.v0, q;

	if (pal.status || sal.status || !den)
		return 0;
	q = udiv(base * num, den, 0);
	puts("freq: platform ");
	putu(base);
	puts(" Hz, ITC ratio ");
	putu(num);
	puts("/");
	putu(den);
	puts(", ITC ");
	putu(q);
	puts(" Hz\n");
	return q;
}

static void efi_time(void)
{
	struct efi_time t;
	u64 status = ((efi_get_time_fn)rt->get_time)(&t, 0);

	if (status != EFI_SUCCESS) {
		puts("efi: GetTime failed\n");
		return;
	}
	puts("efi: GetTime ");
	putu(t.year);
	puts("-");
	putu2(t.month);
	puts("-");
	putu2(t.day);
	puts(" ");
	putu2(t.hour);
	puts(":");
	putu2(t.minute);
	puts(":");
	putu2(t.second);
	puts("\n");
}

#define IMAGE 0x4000000UL		/* its physical (and virtual) address */
#define RR_VALUE(rid) ((rid) << 8 | 14 << 2)	/* 16 KiB preferred pages, no VHPT */

/*
 * Translation on or off (psr.it, dt, rt; psr.ic on, so that a TLB miss
 * reaches its handler with cr.ifa) with an rfi to the next bundle of this
 * function (cr.ifs invalid: the frame stays).  Virtual addresses are
 * the physical ones (region 0 by identity; region 4 for what bit 63 makes
 * uncacheable), so code, stack and pointers stay valid on both sides.
 */
static void translation(u64 on)
{
	asm volatile("mov r16 = psr\n"
		     "movl r17 = 1f\n"
		     ";;\n"
		     "rsm 0x6000\n"			/* psr.i, psr.ic */
		     ";;\n"
		     "srlz.d\n"
		     "dep r16 = %0, r16, 17, 1\n"	/* dt */
		     ";;\n"
		     "dep r16 = %0, r16, 27, 1\n"	/* rt */
		     ";;\n"
		     "dep r16 = %0, r16, 36, 1\n"	/* it */
		     ";;\n"
		     "dep r16 = -1, r16, 44, 1\n"	/* bn */
		     ";;\n"
		     "dep r16 = -1, r16, 13, 1\n"	/* ic: TLB misses are collected */
		     "mov cr.iip = r17\n"
		     "mov cr.ifs = r0\n"
		     ";;\n"
		     "mov cr.ipsr = r16\n"
		     ";;\n"
		     "{ .mib\n nop.m 0\n nop.i 0\n rfi\n ;;\n}\n"
		     "1:\n"
		     :: "r"(on) : "r16", "r17", "memory");
}

static void virtual_mode(void)
{
	u64 pte = IMAGE | 0x661;	/* present, accessed, dirty, pl 0, RWX, WB */

	asm volatile("mov rr[%0] = %1\n"
		     ";;\n"
		     "mov rr[%2] = %3\n"
		     ";;\n"
		     "srlz.d\n"
		     ";;\n"
		     "rsm 0x6000\n"
		     ";;\n"
		     "srlz.d\n"
		     "mov cr.ifa = %4\n"
		     "mov cr.itir = %5\n"
		     ";;\n"
		     "itr.i itr[r0] = %6\n"
		     ";;\n"
		     "itr.d dtr[r0] = %6\n"
		     ";;\n"
		     "srlz.i\n"
		     ";;\n"
		     :: "r"(0UL), "r"(RR_VALUE(0x100UL)), "r"(4UL << 61), "r"(RR_VALUE(0x104UL)),
			"r"(IMAGE), "r"(26UL << 2), "r"(pte) : "memory");
	translation(1);
	puts("virtual: translation on; the image's 64 MiB page in itr/dtr 0, the rest by the miss handlers\n");
}

static void timer(u64 itc_hz)
{
	u64 start;

	timer_period = udiv(itc_hz, 100, 0);	/* 100 Hz */
	asm volatile("mov cr.tpr = r0 ;; srlz.d" ::: "memory");
	asm volatile("mov cr.itv = %0 ;; srlz.d" :: "r"((u64)TIMER_VECTOR) : "memory");
	start = read_itc();
	asm volatile("mov cr.itm = %0 ;; srlz.d" :: "r"(start + timer_period) : "memory");
	asm volatile("ssm psr.ic ;; srlz.d ;; ssm psr.i ;; srlz.d" ::: "memory");
	while (*(volatile u64 *)&ticks < TICKS)
		pal_static(pal_proc, PAL_HALT_LIGHT, 0, 0, 0);
	asm volatile("rsm psr.i ;; srlz.d" ::: "memory");
	asm volatile("mov cr.itv = %0 ;; srlz.d" :: "r"(1UL << 16) : "memory");	/* masked */
	puts("timer: ");
	putu(ticks);
	puts(" ticks of ");
	putu(timer_period);
	puts(" at vector ");
	putx(last_vector);
	puts(read_itc() - start >= TICKS * timer_period ? ", the ITC moved past them\n"
	     : ", the ITC did not move past them\n");
}

void __attribute__((noreturn)) start_kernel(struct boot_param *bp)
{
	struct efi_system_table *st = (void *)bp->efi_systab;
	const char *cmdline = (const char *)bp->command_line;
	u16 *vendor;
	void *sst, *rsdp;

	puts("minikernel: boot parameters at ");
	putx((u64)bp);
	puts("\ncommand line: ");
	puts(cmdline);
	puts("\n");
	if (st->hdr.signature != 0x5453595320494249UL) {	/* "IBI SYST" */
		puts("minikernel: no EFI system table\n");
		for (;;)
			;
	}
	rt = (void *)st->runtime;
	puts("efi: revision ");
	putu(st->hdr.revision >> 16);
	puts(".");
	putu2(st->hdr.revision & 0xffff);
	puts(" by ");
	for (vendor = (u16 *)st->fw_vendor; *vendor; vendor++)
		putc(*vendor);
	puts(", ");
	putu(st->nr_tables);
	puts(" configuration tables\n");
	memory_map(bp);
	rsdp = find_table(st, ACPI_20_TABLE_GUID);
	if (rsdp)
		acpi(rsdp);
	sst = find_table(st, SAL_SYSTEM_TABLE_GUID);
	if (!sst || !sal_entry(sst)) {
		puts("minikernel: no SAL entry point\n");
		efi_reset(EFI_RESET_COLD, EFI_DEVICE_ERROR);
	}
	efi_time();
	u64 itc_hz = itc_frequency();

	virtual_mode();
	timer(itc_hz);
	if (bp->initrd_size) {
		const char *p = (const char *)bp->initrd_start;
		puts("initrd: ");
		putu(bp->initrd_size);
		puts(" bytes at ");
		putx(bp->initrd_start);
		puts(", magic ");
		putn(p, 6);
		puts("\n");
	}
	if (contains(cmdline, "echo")) {
		char line[80];
		int n = 0, c;

		while (n < (int)sizeof(line) && (c = getc()) >= 0 && c != '\n')
			line[n++] = c;
		puts("uart: received \"");
		putn(line, n);
		puts(c < 0 ? "\" and then nothing\n" : "\"\n");
	}

	if (contains(cmdline, "panic")) {
		puts("Kernel panic - not syncing: minikernel: asked to panic\n");
		for (;;)
			;
	}
	if (contains(cmdline, "loop"))
		for (;;)
			;
	if (contains(cmdline, "idle"))	/* nothing will ever wake it */
		for (;;)
			pal_static(pal_proc, PAL_HALT_LIGHT, 0, 0, 0);
	if (contains(cmdline, "break"))
		asm volatile("break.m 0x1234" ::: "memory");
	if (contains(cmdline, "halt")) {
		puts("minikernel: PAL_HALT\n");
		pal_static(pal_proc, PAL_HALT, 0, 0, 0);
	}
	if (contains(cmdline, "fail")) {
		puts("minikernel: resetting with EFI_DEVICE_ERROR\n");
		efi_reset(EFI_RESET_COLD, EFI_DEVICE_ERROR);
	}
	puts("minikernel: powering off\n");
	efi_reset(EFI_RESET_SHUTDOWN, EFI_SUCCESS);
}
