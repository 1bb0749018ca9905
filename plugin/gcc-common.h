/*
 * gcc-common.h - the one place for GCC headers and version shims.
 *
 * Modelled on the Linux kernel's scripts/gcc-plugins/gcc-common.h: include
 * this instead of GCC headers, in this order (GCC 13 needs gimple.h and
 * gimple-iterator.h before gimple-fold.h; GCC 12 needs insn-config.h before
 * recog.h and stringpool.h before attribs.h).  Every shim below names the
 * GCC version that made it necessary.
 */
#ifndef PVCC_GCC_COMMON_H
#define PVCC_GCC_COMMON_H

#include "bversion.h"
#if BUILDING_GCC_VERSION < 11000
#error "pvcc needs GCC 11 or newer"
#endif

#include "gcc-plugin.h"
#include "plugin-version.h"
#include "config.h"
#include "system.h"
#include "coretypes.h"
#include "backend.h"
#include "tm.h"
#include "tree.h"
/*
 * parse_in (the C front end's cpp_reader) comes from c-pragma.h alone: GCC 13's
 * c-common.h includes cp/cp-trait.def, which a C-only build does not install
 * among the plugin headers.
 */
#include "cpplib.h"
#include "c-family/c-pragma.h"
#include "rtl.h"
#include "memmodel.h"
#include "tm_p.h"
#include "insn-config.h"
#include "insn-constants.h"
#include "recog.h"
#include "emit-rtl.h"
#include "function.h"
#include "basic-block.h"
#include "cfgrtl.h"
#include "diagnostic-core.h"
#include "diagnostic.h"
#include "intl.h"
#include "stringpool.h"
#include "attribs.h"
#include "tree-pass.h"
#include "context.h"
#include "gimple.h"
#include "gimple-iterator.h"
#include "gimple-walk.h"
#include "gimple-expr.h"
#include "tree-core.h"
#include "print-tree.h"
#include "langhooks.h"
#include "output.h"
#include "target.h"
#include "varasm.h"

#define __visible __attribute__((visibility("default")))

/*
 * PASS_INFO(NAME, REF, ID, POS): the register_pass_info for a pass made by
 * one of the gcc-generate-*-pass.h headers (kernel gcc-common.h idiom).
 */
#define PASS_INFO(NAME, REF, ID, POS)					\
	struct register_pass_info NAME##_pass_info = {			\
		.pass = make_##NAME##_pass(),				\
		.reference_pass_name = REF,				\
		.ref_pass_instance_number = ID,				\
		.pos_op = POS,						\
	}

/* GCC 12 added startswith() to system.h. */
#if BUILDING_GCC_VERSION < 12000
static inline bool startswith(const char *str, const char *prefix)
{
	return strncmp(str, prefix, strlen(prefix)) == 0;
}
#endif

/* GCC 14 renamed last_stmt(); pvcc does not use it, keep the shim honest. */
#if BUILDING_GCC_VERSION >= 14000
#define last_stmt(x) last_nondebug_stmt(x)
#endif

#endif /* PVCC_GCC_COMMON_H */
