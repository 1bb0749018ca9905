// SPDX-License-Identifier: GPL-2.0
/*
 * pvcc_patch_sim.c - the kernel's boot-time patcher (pvcc_patch.c) as an
 * IA-64 program for pvcc-sim, patching in place like the kernel does.
 *
 * The harness (pvcc.kimage.run_sim) loads this program into the model, maps
 * the image's segments (a vmlinux's PT_LOAD segments) at their own virtual
 * addresses, fills in pvcc_sim_job, runs the program and reads the segments
 * back.  The records are read where they lie in those segments, as the
 * kernel reads them between __start_pvcc_sites and __stop_pvcc_sites, and
 * every site is rewritten at its own address.
 *
 * stdout: one line per refused site, then the counts (as pvcc_patch_run).
 */
#include <stdio.h>

#include "pvcc_patch_harness.h"

#define PVCC_SIM_MAX_SEGS 32
#define PVCC_SIM_MAX_IMPLS 512

struct pvcc_sim_job {
	u64 magic;		/* "PVCCJOB1" once filled in */
	u64 mode;		/* 0 native, 1 retarget */
	u64 table, count;	/* the records */
	u64 nsegs, nimpls;
	u64 segs[PVCC_SIM_MAX_SEGS][2];		/* vaddr, size */
	u64 impls[PVCC_SIM_MAX_IMPLS][2];	/* type, implementation */
	u64 native;		/* the records' .pvcc_native entries, 0: none */
};

struct pvcc_sim_job pvcc_sim_job = { 0 };

static void *code_at(struct pvcc_patcher *p, u64 addr, u64 len)
{
	const struct pvcc_sim_job *j = p->data;
	u64 i;

	for (i = 0; i < j->nsegs; i++)
		if (addr >= j->segs[i][0] && len <= j->segs[i][1] &&
		    addr - j->segs[i][0] <= j->segs[i][1] - len)
			return (void *)addr;
	return 0;
}

static u64 impl_of(struct pvcc_patcher *p, u32 type, u8 conv)
{
	struct pvcc_sim_job *j = p->data;

	return pvcc_harness_impl(j->impls, j->nimpls, type, conv);
}

/* As the kernel patches its own sites (pvcc_boot.c). */
static struct pvcc_memo memo[PVCC_MEMO_SLOTS];

int main(void)
{
	struct pvcc_sim_job *j = &pvcc_sim_job;
	struct pvcc_patcher p = { 0 };
	const struct pvcc_site *sites;

	if (j->magic != 0x31424f4a43435650ULL) {	/* "PVCCJOB1" */
		printf("pvcc_patch_sim: no job\n");
		return 2;
	}
	if (j->nsegs > PVCC_SIM_MAX_SEGS || j->nimpls > PVCC_SIM_MAX_IMPLS) {
		printf("pvcc_patch_sim: job too large\n");
		return 2;
	}
	p.code = code_at;
	p.in_place = 1;		/* as the kernel: the segments lie at their own addresses */
	p.memo = memo;
	p.refuse = pvcc_harness_refuse;
	p.impl = j->mode ? impl_of : 0;
	p.data = j;
	sites = code_at(&p, j->table, j->count * sizeof(struct pvcc_site));
	if (!sites && j->count) {
		printf("pvcc_patch_sim: the record table is outside the segments\n");
		return 2;
	}
	if (j->native) {
		p.native_code = code_at(&p, j->native, j->count * sizeof(struct pvcc_native));
		if (!p.native_code) {
			printf("pvcc_patch_sim: the .pvcc_native entries are outside the segments\n");
			return 2;
		}
	}
	pvcc_patch_sites(&p, sites, sites + j->count);
	pvcc_harness_report(&p);
	return 0;
}
