// The minikernel's assembly: its entry, its interruption vector table (the
// External Interrupt and the Alternate TLB misses handled, anything else
// reported) and the PAL static-convention call.  See main.c for what the
// minikernel is.
//
// Entry state (docs/machine.md, "The boot loader"): physical mode, psr.ic and
// psr.i off, r28 = the boot parameter block, an empty frame.

	.section .text.head, "ax"
	.global _start
	.proc _start
_start:
	movl gp = __gp
	movl r2 = stack_top - 16
	movl r3 = rbs
	;;
	mov r12 = r2
	mov ar.rsc = 0			// enforced lazy while bspstore changes
	;;
	mov ar.bspstore = r3
	;;
	mov ar.rsc = 3			// eager, privilege level 0
	movl r2 = ivt
	;;
	mov cr.iva = r2
	;;
	srlz.i
	;;
	alloc r14 = ar.pfs, 0, 0, 1, 0
	;;
	mov out0 = r28
	;;
	br.call.sptk.many b0 = start_kernel
	;;
1:	br.sptk.many 1b			// start_kernel never returns
	;;
	.endp _start

// struct pal_ret pal_static(u64 entry, u64 index, u64 a1, u64 a2, u64 a3):
// PAL's static convention (SDM Vol. 2 Part I 11.10.2, arch/ia64/kernel/pal.S):
// r28 = index, r29-r31 the arguments, entered by a branch with b0 = the
// return address; the status and results come back in r8-r11, which is
// where a C function returns a 32-byte aggregate.
	.text
	.global pal_static
	.proc pal_static
pal_static:
	alloc loc0 = ar.pfs, 5, 2, 0, 0
	mov loc1 = b0
	mov r28 = in1
	mov r29 = in2
	mov r30 = in3
	mov r31 = in4
	mov b6 = in0
	movl r2 = 2f
	;;
	mov b0 = r2
	br.cond.sptk.many b6
	;;
2:	mov b0 = loc1
	mov ar.pfs = loc0
	;;
	br.ret.sptk.many b0
	;;
	.endp pal_static

// The interruption vector table (SDM Vol. 2 Part I 5.7): 20 vectors of 64
// bundles, then 48 of 16.  Every vector puts its offset in r16 (bank 0: the
// interrupted context's r16-r31 are in bank 1) and goes to `dispatch`.
	.section .text.ivt, "ax"
	.align 32768
	.global ivt
ivt:
	.macro vectors count, size
	.rept \count
	.org ivt + off
	{ .mlx
	nop.m 0
	movl r16 = off ;;
	}
	{ .mib
	nop.m 0
	nop.i 0
	br.sptk.many dispatch ;;
	}
	.set off, off + \size
	.endr
	.endm
	.set off, 0
	vectors 20, 0x400
	vectors 48, 0x100
	.org ivt + 0x8000

	.text
	.proc dispatch
dispatch:
	mov r17 = 0x3000
	mov r18 = 0x0c00
	mov r19 = 0x1000
	;;
	cmp.eq p6, p0 = r16, r18
	cmp.eq p7, p0 = r16, r19
(p6)	br.cond.sptk.many alt_tlb_miss
(p7)	br.cond.sptk.many alt_tlb_miss
	;;
	cmp.eq p6, p7 = r16, r17
(p7)	br.cond.spnt.many unexpected
	;;
// External Interrupt: acknowledge (cr.ivr), count the tick, re-arm the timer
// one period later, end the interrupt (cr.eoi) and resume.
	mov r17 = cr.ivr
	;;
	srlz.d
	movl r18 = ticks
	movl r20 = timer_period
	;;
	cmp.eq p6, p0 = 15, r17		// the spurious vector: nothing to end
(p6)	br.cond.spnt.few 9f
	ld8 r19 = [r18]
	ld8 r20 = [r20]
	movl r22 = last_vector
	;;
	adds r19 = 1, r19
	mov r21 = ar.itc
	st8 [r22] = r17
	;;
	st8 [r18] = r19
	add r21 = r20, r21
	;;
	mov cr.itm = r21
	;;
	srlz.d
	mov cr.eoi = r0
	;;
	srlz.d
9:	rfi
	;;
// Alternate Instruction/Data TLB (no VHPT walker): map the 16 MiB page
// around cr.ifa by identity, as physical mode addresses it (bit 63 of the
// address selects uncacheable), with one translation-cache insert.
alt_tlb_miss:
	mov r17 = cr.ifa
	movl r19 = 0x661		// present, accessed, dirty, pl 0, RWX, WB
	mov r20 = 24 << 2		// itir.ps: 16 MiB
	;;
	tbit.nz p8, p0 = r17, 63
	dep r18 = 0, r17, 50, 14	// the physical address
	mov cr.itir = r20
	;;
	dep r18 = 0, r18, 0, 24		// its 16 MiB page
(p8)	or r19 = 0x10, r19		// ma 4: uncacheable
	;;
	or r18 = r18, r19
	;;
(p6)	itc.i r18
	;;
(p7)	itc.d r18
	;;
	srlz.d
	rfi
	;;
// Any other interruption: keep the vector, cr.iip and cr.iim, and resume in
// interrupted_by() (main.c), which reports them and stops the machine.
unexpected:
	movl r17 = fault_state
	;;
	mov r18 = cr.iip
	mov r19 = cr.iim
	st8 [r17] = r16, 8
	;;
	st8 [r17] = r18, 8
	movl r20 = interrupted_by	// its code: gp is still the kernel's
	;;
	st8 [r17] = r19
	mov cr.iip = r20
	mov r21 = cr.ipsr
	;;
	dep r21 = 0, r21, 41, 2		// psr.ri = 0: the descriptor's first slot
	;;
	mov cr.ipsr = r21
	;;
	rfi
	;;
	.endp dispatch

	.bss
	.align 16
stack:
	.skip 16384
	.global stack_top
stack_top:
	.align 512
rbs:
	.skip 16384
