// Paravirt implementations and an ordinary callee, so the fixtures link (ld -e foo).
	.text
	.macro STUB name
	.align 16
	.global \name
	.proc \name
	.type \name, @function
\name:
	.mib
	nop.m 0
	nop.i 0
	br.ret.sptk.many b0 ;;
	.endp \name
	.size \name, .-\name
	.endm
	STUB paravirt_get_cpuid
	STUB paravirt_ssm_i
	STUB paravirt_set_rr0_to_rr4
	STUB paravirt_intrin_local_irq_restore
	STUB paravirt_getreg
	STUB helper
