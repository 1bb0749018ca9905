/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvcc_patch_harness.h - what the two harnesses that run the kernel's
 * boot-time patcher outside the kernel share: pvcc_patch_run.c (on the build
 * host) and pvcc_patch_sim.c (as an IA-64 program in pvcc-sim).  Both print
 * the same lines on stdout, which pvcc.kimage reads.  Not part of the kernel.
 */
#ifndef PVCC_PATCH_HARNESS_H
#define PVCC_PATCH_HARNESS_H

#include <stdio.h>

#include "pvcc_patch.h"

/* The implementation of TYPE under calling convention CONV in IMPLS, or 0. */
static u64 pvcc_harness_impl(u64 (*impls)[2], u64 nimpls, u32 type, u8 conv)
{
	u64 key = (u64)conv << 32 | type;
	u64 i;

	for (i = 0; i < nimpls; i++)
		if (impls[i][0] == key)
			return impls[i][1];
	return 0;
}

/* ->refuse: one line per site left unpatched. */
static void pvcc_harness_refuse(struct pvcc_patcher *p, const struct pvcc_site *s,
				enum pvcc_refusal why, u64 detail)
{
	(void)p;
	printf("site %#llx (function %#llx, type %#x): %s (%#llx), left unpatched\n",
	       (unsigned long long)s->start, (unsigned long long)s->func, s->type,
	       pvcc_patch_reason(why), (unsigned long long)detail);
}

/* The last line: the counts. */
static void pvcc_harness_report(const struct pvcc_patcher *p)
{
	printf("native %lu retargeted %lu kept %lu refused %lu\n",
	       p->native, p->retargeted, p->kept, p->refused);
}

#endif
