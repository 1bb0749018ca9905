// SPDX-License-Identifier: GPL-2.0
/*
 * pvcc_patch_run.c - run the kernel's boot-time patcher (pvcc_patch.c, the
 * same source the kernel builds) over a memory image outside the kernel:
 * natively on the build host, or as an IA-64 program in pvcc-sim.
 *
 *   pvcc_patch_run IMAGE OUT
 *
 * IMAGE (written by pvcc.kimage; all fields little-endian u64):
 *   "PVCCIMG1", mode (0 native, 1 retarget), nsegs, nimpls,
 *   table address, record count, .pvcc_native address (0: none),
 *   nsegs x { vaddr, size, size bytes padded to 8 },
 *   nimpls x { type, implementation address }.
 * The records are read where the table address lies in the segments, as the
 * kernel reads them between __start_pvcc_sites and __stop_pvcc_sites.
 * OUT gets the segments after patching, in the same layout as IMAGE.
 * stdout: one line per refused site, then the counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvcc_patch_harness.h"

struct seg {
	u64 vaddr, size;
	unsigned char *data;
};

static struct seg *segs;
static u64 nsegs, nimpls;
static u64 (*impls)[2];

static void *code_at(struct pvcc_patcher *p, u64 addr, u64 len)
{
	u64 i;

	(void)p;
	for (i = 0; i < nsegs; i++)
		if (addr >= segs[i].vaddr && len <= segs[i].size &&
		    addr - segs[i].vaddr <= segs[i].size - len)
			return segs[i].data + (addr - segs[i].vaddr);
	return NULL;
}

static u64 impl_of(struct pvcc_patcher *p, u32 type, u8 conv)
{
	(void)p;
	return pvcc_harness_impl(impls, nimpls, type, conv);
}

static int die(const char *what)
{
	fprintf(stderr, "pvcc_patch_run: error: %s\n", what);
	return 2;
}

static int get(FILE *f, void *buf, u64 n)
{
	return n == 0 || fread(buf, 1, n, f) == n;
}

/* As the kernel patches its own sites (pvcc_boot.c). */
static struct pvcc_memo memo[PVCC_MEMO_SLOTS];

int main(int argc, char **argv)
{
	u64 hdr[7], i, pad;
	struct pvcc_patcher p;
	const struct pvcc_site *sites;
	FILE *f, *o;

	if (argc != 3)
		return die("usage: pvcc_patch_run IMAGE OUT");
	f = fopen(argv[1], "rb");
	if (!f)
		return die("cannot open the image");
	if (!get(f, hdr, sizeof(hdr)) || memcmp(hdr, "PVCCIMG1", 8))
		return die("not a pvcc patch image");
	nsegs = hdr[2];
	nimpls = hdr[3];
	segs = calloc(nsegs + 1, sizeof(*segs));
	impls = calloc(nimpls + 1, sizeof(*impls));
	if (!segs || !impls)
		return die("out of memory");
	for (i = 0; i < nsegs; i++) {
		u64 vs[2];

		if (!get(f, vs, sizeof(vs)))
			return die("truncated segment header");
		segs[i].vaddr = vs[0];
		segs[i].size = vs[1];
		pad = (8 - vs[1] % 8) % 8;
		segs[i].data = malloc(vs[1] + pad + 1);
		if (!segs[i].data)
			return die("out of memory");
		if (!get(f, segs[i].data, vs[1] + pad))
			return die("truncated segment");
	}
	if (!get(f, impls, nimpls * sizeof(*impls)))
		return die("truncated implementation table");
	fclose(f);

	sites = code_at(NULL, hdr[4], hdr[5] * sizeof(struct pvcc_site));
	if (!sites && hdr[5])
		return die("the record table is outside the segments");
	memset(&p, 0, sizeof(p));
	p.code = code_at;
	p.memo = memo;
	p.refuse = pvcc_harness_refuse;
	p.impl = hdr[1] ? impl_of : NULL;
	if (hdr[6]) {
		p.native_code = code_at(NULL, hdr[6], hdr[5] * sizeof(struct pvcc_native));
		if (!p.native_code)
			return die("the .pvcc_native entries are outside the segments");
	}
	pvcc_patch_sites(&p, sites, sites + hdr[5]);
	pvcc_harness_report(&p);

	o = fopen(argv[2], "wb");
	if (!o)
		return die("cannot write the output");
	if (fwrite(hdr, 1, sizeof(hdr), o) != sizeof(hdr))
		return die("write failed");
	for (i = 0; i < nsegs; i++) {
		u64 vs[2] = { segs[i].vaddr, segs[i].size };

		pad = (8 - vs[1] % 8) % 8;
		if (fwrite(vs, 1, sizeof(vs), o) != sizeof(vs) ||
		    fwrite(segs[i].data, 1, vs[1] + pad, o) != vs[1] + pad)
			return die("write failed");
	}
	if (fclose(o))
		return die("write failed");
	return 0;
}
