/*
 * hv.c - pvcc-sim's C hypervisor layer: every intrinsic of <pvcc/paravirt.h>
 * written the way a hypervisor's paravirt layer would be, in ordinary C that
 * executes no privileged instruction.
 *
 * The guest's privileged state is virtual and lives in memory: the PSR (so
 * psr.i), the control registers, the region registers, ar.k0-k7 and the
 * performance data registers.  It starts as the machine's (read once, at the
 * first intrinsic, through the model's hypercalls, or for ar.k0-k7 with the
 * unprivileged read), so a program sees the same values through this layer
 * as through the native instructions.  What only the machine knows is asked
 * for on every use: CPUID, the interval time counter, cr.ivr and cr.irr0-3.
 * thash is computed here from the virtual pta and region registers with the
 * model's formula (machine.py), since the machine's own are never written.
 * Cache flushes, purges, serializations and writes of cr.eoi/cr.itm go to
 * the model's effect log through the log hypercall.
 *
 * The layer is deliberately heavy: every intrinsic goes through hv_enter(),
 * which works on a large local array and runs a recursive mixing function
 * with many live values, so the caller's register frame is spilled by the
 * RSE and the memory stack is used well below the caller's frame.  The
 * assembly entry points (hv_entry.S) call these functions and, on the way
 * back, have the model overwrite every scratch register a callee may change.
 */
#include <pvcc/paravirt.h>

#include <pvcc-sim/hypercalls.h>	/* generated: pvcc.sim.hypercalls */

#define PSR_I (1UL << 14)
#define PSR_READ 0x1FFFFFFFFFUL	/* what mov r=psr reads: PSR{36:0} */
#define REG_PSR 1019
#define REG_AR_KR0 3072
#define REG_AR_ITC (3072 + 44)
#define REG_CR_DCR 4096
#define CR_PTA 8
#define CR_IVR 65
#define CR_EOI 67
#define CR_ITM 1

#define HYPERCALL(imm, a0, a1, a2) ({ \
	register unsigned long __r8 asm("r8") = (a0); \
	register unsigned long __r9 asm("r9") = (a1); \
	register unsigned long __r10 asm("r10") = (a2); \
	asm volatile ("break %3" : "+r"(__r8) : "r"(__r9), "r"(__r10), "i"(imm) : "memory"); \
	__r8; })

/* The control registers that exist (as in pvcc's catalog). */
static const unsigned char cr_numbers[] = {
	0, 1, 2, 8, 16, 17, 19, 20, 21, 22, 23, 24, 25,
	64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 80, 81,
};

struct vcpu {
	int ready;
	unsigned long psr;
	unsigned long cr[128];
	unsigned long rr[8];
	unsigned long kr[8];
	unsigned long pmd[256];
	unsigned long entries;	/* intrinsic calls served */
	unsigned long work;	/* what hv_enter computed, so it is not optimized away */
};

static struct vcpu vcpu;

static unsigned long read_kr(int n)
{
	unsigned long v = 0;

	switch (n) {
	case 0: asm volatile ("mov %0=ar.k0" : "=r"(v)); break;
	case 1: asm volatile ("mov %0=ar.k1" : "=r"(v)); break;
	case 2: asm volatile ("mov %0=ar.k2" : "=r"(v)); break;
	case 3: asm volatile ("mov %0=ar.k3" : "=r"(v)); break;
	case 4: asm volatile ("mov %0=ar.k4" : "=r"(v)); break;
	case 5: asm volatile ("mov %0=ar.k5" : "=r"(v)); break;
	case 6: asm volatile ("mov %0=ar.k6" : "=r"(v)); break;
	case 7: asm volatile ("mov %0=ar.k7" : "=r"(v)); break;
	}
	return v;
}

static __attribute__((noinline)) void vcpu_init(void)
{
	unsigned int i;

	vcpu.psr = HYPERCALL(HYPERCALL_PSR, 0, 0, 0);
	for (i = 0; i < sizeof(cr_numbers); i++)
		vcpu.cr[cr_numbers[i]] = HYPERCALL(HYPERCALL_CR, cr_numbers[i], 0, 0);
	for (i = 0; i < 8; i++)
		vcpu.rr[i] = HYPERCALL(HYPERCALL_RR, (unsigned long)i << 61, 0, 0);
	for (i = 0; i < 8; i++)
		vcpu.kr[i] = read_kr((int)i);
	vcpu.ready = 1;
}

/* Many values live across a recursive call: a large register frame per level. */
static __attribute__((noinline)) unsigned long hv_mix(unsigned long a, unsigned long b, int depth)
{
	unsigned long v0 = a ^ b, v1 = a + 3 * b, v2 = a - b, v3 = (a << 7) | (b >> 57);
	unsigned long v4 = v0 * 0x9E3779B97F4A7C15UL, v5 = v1 ^ (v2 >> 3), v6 = v3 + v4;
	unsigned long v7 = v5 * v6, v8 = v7 ^ a, v9 = v8 + b, v10 = v9 ^ (v0 << 11);
	unsigned long v11 = v10 - v1, v12 = v11 ^ v2, v13 = v12 + v3, v14 = v13 ^ v4;
	unsigned long v15 = v14 + v5, v16 = v15 ^ v6, v17 = v16 + v7;
	unsigned long r = 0;

	if (depth > 0)
		r = hv_mix(v17, v16 ^ v15, depth - 1);
	return r + (v0 ^ v1 ^ v2 ^ v3 ^ v4 ^ v5 ^ v6 ^ v7 ^ v8 ^ v9 ^ v10 ^ v11 ^ v12 ^ v13 ^
		    v14 ^ v15 ^ v16 ^ v17);
}

/* Every intrinsic starts here: lazy set-up, then deliberate weight. */
static __attribute__((noinline)) void hv_enter(unsigned long what, unsigned long a,
					       unsigned long b)
{
	volatile unsigned long scratch[96];
	unsigned long sum = 0;
	int i;

	if (!vcpu.ready)
		vcpu_init();
	vcpu.entries++;
	for (i = 0; i < 96; i++)
		scratch[i] = what * 0x100000001UL + a + (unsigned long)i * b;
	for (i = 0; i < 96; i += 7)
		sum += scratch[i];
	vcpu.work += hv_mix(sum, what ^ a, 8);
}

static void hv_log(unsigned long effect, unsigned long a, unsigned long b)
{
	HYPERCALL(HYPERCALL_LOG, effect, a, b);
}

void __pvcc_hv_fc(unsigned long addr)
{
	hv_enter(PARAVIRT_PATCH_TYPE_FC, addr, 0);
	hv_log(EFFECT_FC, addr, 0);
}

/* The model's VHPT hash (wrapper/pvcc/sim/machine.py), on the virtual pta and rr. */
unsigned long __pvcc_hv_thash(unsigned long va)
{
	unsigned long pta, rr, vrn, ps, size, mask, base, vpn, rid;

	hv_enter(PARAVIRT_PATCH_TYPE_THASH, va, 0);
	pta = vcpu.cr[CR_PTA];
	vrn = va >> 61;
	rr = vcpu.rr[vrn];
	ps = (rr >> 2) & 0x3F;
	size = (pta >> 2) & 0x3F;
	mask = size >= 64 ? ~0UL : (1UL << size) - 1;
	base = pta & ~0x7FFFUL & ((1UL << 61) - 1) & ~mask;
	vpn = (va & ((1UL << 61) - 1)) >> ps;
	if ((pta >> 8) & 1) {
		rid = (rr >> 8) & 0xFFFFFF;
		return (vrn << 61) | base | (((vpn ^ rid) << 5) & mask);
	}
	return (vrn << 61) | base | ((vpn << 3) & mask);
}

unsigned long __pvcc_hv_get_cpuid(int index)
{
	hv_enter(PARAVIRT_PATCH_TYPE_GET_CPUID, (unsigned long)index, 0);
	return HYPERCALL(HYPERCALL_CPUID, (unsigned long)index, 0, 0);
}

unsigned long __pvcc_hv_get_pmd(int index)
{
	hv_enter(PARAVIRT_PATCH_TYPE_GET_PMD, (unsigned long)index, 0);
	return vcpu.pmd[index & 0xFF];
}

void __pvcc_hv_ptcga(unsigned long addr, unsigned long size)
{
	hv_enter(PARAVIRT_PATCH_TYPE_PTCGA, addr, size);
	hv_log(EFFECT_PTC_GA, addr, size);
}

unsigned long __pvcc_hv_get_rr(unsigned long index)
{
	hv_enter(PARAVIRT_PATCH_TYPE_GET_RR, index, 0);
	return vcpu.rr[index >> 61];
}

void __pvcc_hv_set_rr(unsigned long index, unsigned long val)
{
	hv_enter(PARAVIRT_PATCH_TYPE_SET_RR, index, val);
	vcpu.rr[index >> 61] = val;
}

void __pvcc_hv_set_rr0_to_rr4(unsigned long val0, unsigned long val1, unsigned long val2,
			      unsigned long val3, unsigned long val4)
{
	hv_enter(PARAVIRT_PATCH_TYPE_SET_RR0_TO_RR4, val0, val4);
	vcpu.rr[0] = val0;
	vcpu.rr[1] = val1;
	vcpu.rr[2] = val2;
	vcpu.rr[3] = val3;
	vcpu.rr[4] = val4;
}

void __pvcc_hv_ssm_i(void)
{
	hv_enter(PARAVIRT_PATCH_TYPE_SSM_I, 0, 0);
	vcpu.psr |= PSR_I;
}

void __pvcc_hv_rsm_i(void)
{
	hv_enter(PARAVIRT_PATCH_TYPE_RSM_I, 0, 0);
	vcpu.psr &= ~PSR_I;
}

unsigned long __pvcc_hv_get_psr_i(void)
{
	hv_enter(PARAVIRT_PATCH_TYPE_GET_PSR_I, 0, 0);
	return vcpu.psr & PSR_I;
}

void __pvcc_hv_intrin_local_irq_restore(unsigned long flags)
{
	hv_enter(PARAVIRT_PATCH_TYPE_INTRIN_LOCAL_IRQ_RESTORE, flags, 0);
	if (flags) {
		vcpu.psr |= PSR_I;
		hv_log(EFFECT_SRLZ_D, 0, 0);
	} else {
		vcpu.psr &= ~PSR_I;
	}
}

unsigned long __pvcc_hv_intrin_local_irq_save(void)
{
	unsigned long psr;

	hv_enter(PARAVIRT_PATCH_TYPE_INTRIN_LOCAL_IRQ_SAVE, 0, 0);
	psr = vcpu.psr & PSR_READ;
	vcpu.psr &= ~PSR_I;
	return psr;
}

/* The registers kernel/pvcc_native.c's getreg/setreg serve; anything else traps there too. */
unsigned long __pvcc_hv_getreg(int reg)
{
	int n;

	hv_enter(PARAVIRT_PATCH_TYPE_GETREG, (unsigned long)reg, 0);
	if (reg == REG_PSR)
		return vcpu.psr & PSR_READ;
	if (reg >= REG_AR_KR0 && reg < REG_AR_KR0 + 8)
		return vcpu.kr[reg - REG_AR_KR0];
	if (reg == REG_AR_ITC)
		return HYPERCALL(HYPERCALL_ITC, 0, 0, 0);
	n = reg - REG_CR_DCR;
	switch (n) {
	case CR_IVR:
	case 68: case 69: case 70: case 71:	/* irr0-3 */
		return HYPERCALL(HYPERCALL_CR, (unsigned long)n, 0, 0);
	case 0: case 1: case 2: case 8: case 16: case 17: case 19: case 20: case 21: case 22:
	case 23: case 24: case 25: case 64: case 66: case 67: case 72: case 73: case 74:
	case 80: case 81:
		return vcpu.cr[n];
	}
	__builtin_trap();
}

void __pvcc_hv_setreg(int reg, unsigned long val)
{
	int n;

	hv_enter(PARAVIRT_PATCH_TYPE_SETREG, (unsigned long)reg, val);
	if (reg == REG_PSR) {	/* psr.l, then srlz.d as the native table does */
		vcpu.psr = (vcpu.psr & ~0xFFFFFFFFUL) | (val & 0xFFFFFFFFUL);
		hv_log(EFFECT_SRLZ_D, 0, 0);
		return;
	}
	if (reg >= REG_AR_KR0 && reg < REG_AR_KR0 + 8) {
		vcpu.kr[reg - REG_AR_KR0] = val;
		return;
	}
	if (reg == REG_AR_ITC) {
		HYPERCALL(HYPERCALL_SET_ITC, val, 0, 0);
		return;
	}
	n = reg - REG_CR_DCR;
	switch (n) {
	case CR_EOI:
		hv_log(EFFECT_MOV_TO_EOI, val, 0);
		vcpu.cr[n] = val;
		return;
	case CR_ITM:
		hv_log(EFFECT_MOV_TO_ITM, val, 0);
		vcpu.cr[n] = val;
		return;
	case 0: case 2: case 8: case 16: case 17: case 19: case 20: case 21: case 22:
	case 23: case 24: case 25: case 64: case 66: case 72: case 73: case 74: case 80: case 81:
		vcpu.cr[n] = val;
		return;
	}
	__builtin_trap();
}
