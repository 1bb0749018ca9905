// SPDX-License-Identifier: GPL-2.0
/*
 * pvcc_patch.c - rewrite pvcc's paravirt call sites (see pvcc_patch.h).
 *
 * Shipped by pvcc (kernel/pvcc_patch.c).  For every record the patcher
 * checks version, convention and type, finds the site's registers (an
 * argument "out k" of the holding function is r(32 + sol + k), a static one
 * is rN) and writes, over the whole region:
 *
 *   bare metal   the native code of the type from pvcc_patch_table.h with
 *                the registers filled in, then nop bundles;
 *   hypervisor   a transfer to the implementation registered for the type
 *                and convention, nops in the rest of the region: a C site
 *                gets br.call b0 in its first bundle (MLX brl.call b0 beyond
 *                the 21-bit displacement), a light site its transfer bundle
 *                "mov r2 = ip; br.cond" as its last; a type without a
 *                registered implementation keeps its call.
 *
 * Each rewritten bundle goes through ->flush (fc.i in the kernel).  A record
 * the patcher does not understand leaves its site as it is - a correct call
 * of the C implementation - and is reported through ->refuse.
 */
#include "pvcc_patch.h"

struct pvcc_field {
	u8 operand;		/* 0..7 argument, 8 result, 9 displacement */
	u8 bundle;		/* index within the code */
	u8 bit;			/* lowest bit within the 128-bit bundle */
	u8 width;
	u8 shift;		/* lowest operand bit placed there */
};

struct pvcc_code {
	u32 type;
	u8 nargs;		/* arguments the type takes */
	u8 returns;
	u8 nbundles;		/* bundles of code (the region may be longer) */
	u8 guard;		/* operand that selects this variant, or PVCC_NO_GUARD */
	u8 guard_reg;
	u8 nfields;
	u16 operands;		/* bit o: the code uses operand o */
	u16 bundle;		/* first bundle in pvcc_table_bundles */
	u16 field;		/* first field in pvcc_table_fields */
	u64 refuse[2];		/* registers no operand may be */
};

#include "pvcc_patch_table.h"

#define NOPERANDS (PVCC_DISP_OPERAND + 1)

_Static_assert(PVCC_TABLE_MAX_BUNDLES <= PVCC_MEMO_BUNDLES,
	       "a native code longer than a memo entry holds");
_Static_assert(sizeof(struct pvcc_native) == 80, "a .pvcc_native entry is 80 bytes");

_Static_assert(PVCC_SITE_C_CALL == PVCC_CONV_C_CALL && PVCC_SITE_LIGHT == PVCC_CONV_LIGHT,
	       "pvcc_patch.h and pvcc_patch_table.h disagree on the conventions");

static const char *const reasons[] = {
	[PVCC_OK] = "patched",
	[PVCC_BAD_VERSION] = "unknown record version",
	[PVCC_BAD_CONV] = "unknown calling convention",
	[PVCC_BAD_TYPE] = "unknown type",
	[PVCC_BAD_REGION] = "malformed region",
	[PVCC_BAD_ARGS] = "wrong argument count",
	[PVCC_BAD_ARG] = "argument names no register",
	[PVCC_BAD_REG] = "register the native code cannot use",
	[PVCC_NO_ROOM] = "region too small for the native code",
	[PVCC_BAD_IMPL] = "misaligned implementation address",
	[PVCC_NO_MAPPING] = "region not writable",
	[PVCC_OUT_OF_REACH] = "implementation beyond the light transfer's reach",
};

const char *pvcc_patch_reason(enum pvcc_refusal why)
{
	if ((unsigned int)why < sizeof(reasons) / sizeof(reasons[0]) && reasons[why])
		return reasons[why];
	return "?";
}

/*
 * The table key of a site's native code: its type, with PVCC_SRLZ_KEY when
 * the plugin folded the srlz.d after it into the site (PVCC_FLAG_SRLZ_D,
 * docs/records.md): then the code ends with `;; srlz.d`.
 */
static inline u32 code_key(const struct pvcc_site *s)
{
	return s->type | (u32)(s->flags & PVCC_FLAG_SRLZ_D) * (PVCC_SRLZ_KEY / PVCC_FLAG_SRLZ_D);
}

/* Slot 0 of a bundle: bits 5-45, all in its low word (template in bits 0-4). */
#define PVCC_SLOT0_MASK (((1ULL << 41) - 1) << 5)

/* The entry for TYPE whose guard the registers meet, or NULL. */
static const struct pvcc_code *find_code(u32 type, const u64 *regs)
{
	unsigned int lo = 0, hi = PVCC_TABLE_ENTRIES;

	while (lo < hi) {	/* first entry with type >= TYPE */
		unsigned int mid = lo + (hi - lo) / 2;

		if (pvcc_table_native[mid].type < type)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < PVCC_TABLE_ENTRIES && pvcc_table_native[lo].type == type; lo++) {
		const struct pvcc_code *c = &pvcc_table_native[lo];

		if (c->guard == PVCC_NO_GUARD || regs[c->guard] == c->guard_reg)
			return c;
	}
	return 0;
}

static void put(struct pvcc_bundle *b, unsigned int bit, unsigned int width, u64 v)
{
	v &= (1ULL << width) - 1;	/* width < 64 */
	if (bit >= 64) {
		b->hi |= v << (bit - 64);
		return;
	}
	b->lo |= v << bit;
	if (bit + width > 64)
		b->hi |= v >> (64 - bit);
}

/* Writable memory for a site's region (->in_place: the region itself). */
static inline u64 *region(struct pvcc_patcher *p, int in_place, u64 addr, u64 len)
{
#ifdef __ia64__
	if (in_place)
		return (u64 *)addr;
#else
	(void)in_place;
#endif
	return p->code(p, addr, len);
}

static inline void store_words(struct pvcc_patcher *p, int in_place, u64 *dst, u64 lo, u64 hi)
{
	dst[0] = lo;
	dst[1] = hi;
#ifdef __ia64__
	if (in_place) {
		/* after the two stores (its memory operand), before nothing else */
		asm volatile ("fc.i %1" :: "m"(*(const struct pvcc_bundle *)dst), "r"(dst));
		return;
	}
#else
	(void)in_place;
#endif
	if (p->flush)
		p->flush(p, dst);
}

/* Both halves loaded before the stores (which might alias B, for all GCC knows). */
static inline void store_bundle(struct pvcc_patcher *p, int in_place, u64 *dst,
				const struct pvcc_bundle *b)
{
	store_words(p, in_place, dst, b->lo, b->hi);
}

static void write_bundle(struct pvcc_patcher *p, u64 *dst, const struct pvcc_bundle *b)
{
	store_bundle(p, p->in_place, dst, b);
}

/* A region of N bundles at DST: the NB bundles of CODE, then nop bundles. */
static inline void store_code(struct pvcc_patcher *p, int in_place, u64 *dst,
			      const struct pvcc_bundle *code, u64 nb, u64 n)
{
	u64 i;

	for (i = 0; i < nb; i++)
		store_bundle(p, in_place, dst + 2 * i, &code[i]);
	for (; i < n; i++)
		store_bundle(p, in_place, dst + 2 * i, &pvcc_table_nop);
}

/*
 * NBUNDLES bundles at DST: nops, with code C (operands filled in) from bundle
 * AT; the bits KEEP of bundle AT's low word stay what DST has there.
 */
static void emit(struct pvcc_patcher *p, u64 *dst, unsigned int nbundles,
		 const struct pvcc_code *c, const u64 *regs, unsigned int at, u64 keep)
{
	unsigned int i, f;

	for (i = 0; i < nbundles; i++) {
		struct pvcc_bundle b = pvcc_table_nop;

		if (i >= at && i - at < c->nbundles) {
			b = pvcc_table_bundles[c->bundle + i - at];
			for (f = c->field; f < c->field + c->nfields; f++) {
				const struct pvcc_field *fd = &pvcc_table_fields[f];

				if (fd->bundle == i - at)
					put(&b, fd->bit, fd->width, regs[fd->operand] >> fd->shift);
			}
			if (i == at)
				b.lo = (b.lo & ~keep) | (dst[2 * i] & keep);
		}
		write_bundle(p, dst + 2 * i, &b);
	}
}

static int refused_reg(const struct pvcc_code *c, u64 reg)
{
	return reg > 127 || (c->refuse[reg / 64] >> (reg % 64) & 1);
}

/*
 * The memo (pvcc_patch.h).  A record's key is its words at bytes 32 (type,
 * version, conv, nargs, result; the type as code_key() has it) and 48 (args),
 * and its frame (sol, sof) when an argument is an output register ("out k"
 * is r(32 + sol + k)).  The records are 8-byte aligned: read as words, not
 * byte by byte.
 */
typedef u64 __attribute__((__may_alias__)) pvcc_word;

struct memo_key {
	u64 k0, k1, k2;
};

static inline struct memo_key memo_key(const struct pvcc_site *s)
{
	const pvcc_word *w = (const pvcc_word *)s;
	u64 k1 = w[6], out = k1 & 0x8080808080808080ULL;
	/* the frame counts when an argument is an out register: all ones, else 0 */
	u64 frame = -((out | -out) >> 63);
	struct memo_key k = { w[4] | code_key(s), k1,
			      (1 << 16 | (u64)s->sof << 8 | s->sol) & frame };

	return k;
}

static inline struct pvcc_memo *memo_slot(struct pvcc_memo *memo, struct memo_key k)
{
	/* type (the getreg/setreg base at bit 28), conv (bit 40), the frame */
	u64 h = k.k0 ^ k.k0 >> 28 ^ k.k0 >> 40 ^ k.k2 ^ k.k2 >> 6;

	return &memo[h & (PVCC_MEMO_SLOTS - 1)];
}

/*
 * Nonzero when NB code bundles cannot be copied into the region [START,
 * START + LEN): the region is not 1 to 255 whole bundles, or NB is 0 (an
 * empty memo slot, an unfilled entry) or more than the region (n and nb are
 * below 256: the differences' sign bits).  One word, without a branch or a
 * predicate per test: the fast ways' check (pvcc_patch_site's long way says
 * which test failed).
 */
static inline u64 copy_unfit(u64 start, u64 len, u64 nb)
{
	u64 n = len / 16;

	return ((start | len) & 15) | (n - 1) >> 8 | (n - nb) >> 63 | (nb - 1) >> 63;
}

/*
 * Bare metal: from S on, every site whose record agrees with one patched
 * before gets that one's code, then nops, when its region is sound and long
 * enough.  Returns the first site that needs the long way (which refuses
 * what is wrong with it), or END.  The loop the kernel's boot spends its
 * patching time in: a copy per site.
 */
static const struct pvcc_site *memo_run(struct pvcc_patcher *p, const struct pvcc_site *s,
					const struct pvcc_site *end)
{
	struct pvcc_memo *memo = p->memo;
	int in_place = p->in_place;
	unsigned long native = 0;

	for (; s < end; s++) {
		struct memo_key k = memo_key(s);
		const struct pvcc_memo *m = memo_slot(memo, k);
		u64 start = s->start, len = s->end - start, n = len / 16, nb = m->nbundles;
		u64 *dst;

		/* the long way when the key differs, or the copy does not fit */
		if ((m->key[0] ^ k.k0) | (m->key[1] ^ k.k1) | (m->key[2] ^ k.k2) |
		    copy_unfit(start, len, nb))
			break;
		dst = region(p, in_place, start, len);
		if (!dst)
			break;
		store_code(p, in_place, dst, m->code, nb, n);
		native++;
	}
	p->native += native;
	return s;
}

/*
 * Bare metal with .pvcc_native: from S on, every site whose entry E is filled
 * gets the entry's code, then nops, when its region is sound and long
 * enough.  Returns the first site that needs the long way, or END.  Inlined
 * twice, IN_PLACE a constant in each: the kernel's loop has no callback and
 * no test of it per site.
 */
static inline __attribute__((__always_inline__)) const struct pvcc_site *
native_loop(struct pvcc_patcher *p, const struct pvcc_native *e,
	    const struct pvcc_site *s, const struct pvcc_site *end, int in_place)
{
	unsigned long native = 0;

	for (; s < end; s++, e++) {
		u64 w = *(const pvcc_word *)e, start, len, n, nb;
		u64 *dst;

		/*
		 * Most sites: an entry of one or two bundles that fill the region.
		 * pvcc-check's rule native-table proved nregion the record's region
		 * at link time, so the entry's first word alone says so.
		 */
		if (w == PVCC_NATIVE_FILLS(1) || w == PVCC_NATIVE_FILLS(2)) {
			u64 lo = e->code[0].lo, hi = e->code[0].hi;

			dst = region(p, in_place, s->start, 16 * (w >> 32 & 0xff));
			if (!in_place && !dst)	/* in place: the text is there */
				break;
			store_words(p, in_place, dst, lo, hi);
			if (w == PVCC_NATIVE_FILLS(2))
				store_bundle(p, in_place, dst + 2, &e->code[1]);
			native++;
			continue;
		}
		/* an unfilled entry, or a copy that does not fit: the long way */
		start = s->start;
		len = s->end - start;
		n = len / 16;
		nb = e->nbundles;
		if ((e->magic ^ PVCC_NATIVE_MAGIC) | copy_unfit(start, len, nb) |
		    (PVCC_MEMO_BUNDLES - nb) >> 63)
			break;
		dst = region(p, in_place, start, len);
		if (!dst)
			break;
		store_code(p, in_place, dst, e->code, nb, n);
		native++;
	}
	p->native += native;
	return s;
}

static const struct pvcc_site *native_run(struct pvcc_patcher *p,
					  const struct pvcc_site *begin,
					  const struct pvcc_site *s,
					  const struct pvcc_site *end)
{
	const struct pvcc_native *e = p->native_code + (s - begin);

#ifdef __ia64__
	if (p->in_place)
		return native_loop(p, e, s, end, 1);
#endif
	return native_loop(p, e, s, end, 0);
}

/* The native code just written at DST for site S, for the sites that agree. */
static void memo_keep(struct pvcc_patcher *p, const struct pvcc_site *s,
		      const u64 *dst, unsigned int nbundles)
{
	struct memo_key k = memo_key(s);
	struct pvcc_memo *m = memo_slot(p->memo, k);
	unsigned int i;

	m->key[0] = k.k0;
	m->key[1] = k.k1;
	m->key[2] = k.k2;
	m->nbundles = nbundles;
	for (i = 0; i < nbundles; i++) {
		m->code[i].lo = dst[2 * i];
		m->code[i].hi = dst[2 * i + 1];
	}
}

enum pvcc_refusal pvcc_patch_site(struct pvcc_patcher *p, const struct pvcc_site *s,
				  u64 *detail)
{
	u64 regs[NOPERANDS] = { 0 };
	const struct pvcc_code *c;
	u64 len = s->end - s->start, impl = 0;
	unsigned int i, nbundles;
	u64 *dst;

	*detail = 0;
	if (s->version != PVCC_RECORD_VERSION) {
		*detail = s->version;
		return PVCC_BAD_VERSION;
	}
	if (s->conv >= 64 || !(PVCC_KNOWN_CONVS >> s->conv & 1)) {
		*detail = s->conv;
		return PVCC_BAD_CONV;
	}
	if (s->start % 16 || s->end % 16 || s->end <= s->start || len / 16 > 255) {
		*detail = len;
		return PVCC_BAD_REGION;
	}
	nbundles = len / 16;
	if (s->nargs > 8) {
		*detail = s->nargs;
		return PVCC_BAD_ARGS;
	}
	for (i = 0; i < s->nargs; i++) {	/* where each argument is at the site */
		u8 a = s->args[i];

		if (a & 0x80) {
			u64 reg = 32 + (u64)s->sol + (a & 0x7f);

			if ((a & 0x7f) > 7 || reg >= 32 + (u64)s->sof) {
				*detail = i << 8 | a;
				return PVCC_BAD_ARG;
			}
			regs[i] = reg;
		} else {
			/*
			 * rN: a static register, a light site's moved argument
			 * (any register, r0 for a zero), or 0 for a light
			 * getreg/setreg's register number, which is in the type
			 * only (its native code does not read it).
			 */
			regs[i] = a;
		}
	}
	regs[PVCC_RESULT_OPERAND] = s->result;
	c = find_code(code_key(s), regs);
	if (!c) {
		*detail = s->type;
		return PVCC_BAD_TYPE;
	}
	if (s->nargs < c->nargs) {
		*detail = s->nargs;
		return PVCC_BAD_ARGS;
	}
	if (p->impl) {
		impl = p->impl(p, s->type, s->conv);
		if (!impl) {
			p->kept++;
			return PVCC_OK;
		}
		if (impl % 16) {
			*detail = impl;
			return PVCC_BAD_IMPL;
		}
		if (s->conv == PVCC_SITE_LIGHT) {	/* br.cond has no long form here */
			s64 disp = (s64)(impl - (s->end - 16)) >> 4;

			if (disp < -(1LL << (PVCC_NEAR_BITS - 1)) ||
			    disp >= (1LL << (PVCC_NEAR_BITS - 1))) {
				*detail = impl;
				return PVCC_OUT_OF_REACH;
			}
		}
	} else {
		for (i = 0; i < NOPERANDS; i++) {
			if (!(c->operands >> i & 1))
				continue;
			if (refused_reg(c, regs[i]) ||
			    (i == PVCC_RESULT_OPERAND && regs[i] == 0)) {
				*detail = (u64)i << 8 | regs[i];
				return PVCC_BAD_REG;
			}
		}
		if (c->nbundles > nbundles) {
			*detail = c->nbundles;
			return PVCC_NO_ROOM;
		}
	}
	dst = region(p, p->in_place, s->start, len);
	if (!dst) {
		*detail = s->start;
		return PVCC_NO_MAPPING;
	}
	if (impl && s->conv == PVCC_SITE_LIGHT) {
		/*
		 * The transfer is the last bundle; its link r2 + 16 is the region's
		 * end.  Its M slot (bits 5-45) keeps what the site has there: the
		 * move of the moved argument into its static register, or a nop.
		 */
		u64 at = s->start + 16 * (nbundles - 1);
		s64 disp = (s64)(impl - at) >> 4;

		regs[PVCC_DISP_OPERAND] = (u64)disp;
		emit(p, dst, nbundles, &pvcc_table_light, regs, nbundles - 1, PVCC_SLOT0_MASK);
		p->retargeted++;
	} else if (impl) {
		s64 disp = (s64)(impl - s->start) >> 4;	/* in bundles */
		int near = disp >= -(1LL << (PVCC_NEAR_BITS - 1)) &&
			   disp < (1LL << (PVCC_NEAR_BITS - 1));

		regs[PVCC_DISP_OPERAND] = (u64)disp;
		emit(p, dst, nbundles, near ? &pvcc_table_near : &pvcc_table_far, regs, 0, 0);
		p->retargeted++;
	} else {
		emit(p, dst, nbundles, c, regs, 0, 0);
		p->native++;
		if (p->memo)
			memo_keep(p, s, dst, c->nbundles);
	}
	return PVCC_OK;
}

unsigned long pvcc_patch_sites(struct pvcc_patcher *p, const struct pvcc_site *begin,
			       const struct pvcc_site *end)
{
	const struct pvcc_site *s;
	unsigned long refused = 0;
	u64 detail;

	for (s = begin; s < end; s++) {
		enum pvcc_refusal why;

		if (!p->impl) {		/* bare metal: the fast ways first */
			if (p->native_code)
				s = native_run(p, begin, s, end);
			else if (p->memo)
				s = memo_run(p, s, end);
			if (s == end)
				break;
		}
		why = pvcc_patch_site(p, s, &detail);
		if (why == PVCC_OK)
			continue;
		refused++;
		p->refused++;
		if (p->refuse)
			p->refuse(p, s, why, detail);
	}
	return refused;
}
