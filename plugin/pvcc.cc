/*
 * pvcc.cc - the paravirt pass: turns C calls of IA-64 paravirt intrinsics
 * into isolated, recorded, boot-patchable call sites.
 *
 * How (the site contract: docs/contract.md; the record: docs/records.md;
 * the passes in detail: docs/plugin.md):
 *
 *  1. The attribute paravirt_intrinsic(TYPE) marks a prototype as an
 *     intrinsic; its handler rejects every prototype a site cannot honour.
 *  2. GIMPLE pass "pvcc_uses" (after "cfg", before any optimisation) rejects
 *     taking an intrinsic's address: a call through a pointer is invisible
 *     later and could never be patched.
 *  3. GIMPLE pass "pvcc_sites" (after "optimized", so after inlining has
 *     exposed calls hidden in static inline wrappers) checks the constant
 *     register of getreg/setreg, forbids a tail call (a sibcall has no
 *     alloc of its own and ends the function with a plain br), and puts a
 *     volatile basic-asm marker carrying the type id right before the call.
 *  4. RTL pass "pvcc_rtl" (after "pro_and_epilogue": the alloc exists and
 *     its operands are final, the CFG is still intact, and "mach", where
 *     ia64_reorg bundles and places stops, is still to come) replaces each
 *     marker by a label asm directly before the call insn and emits the end
 *     label and the record right after it.
 *
 * Light intrinsics (docs/light.md) are never calls: GIMPLE pass "pvcc_light"
 * (after "cfg", before inlining) makes each a one-line placeholder asm that
 * the inliner weighs like the native instruction's asm; "pvcc_sites" turns
 * it, after inlining, into an asm whose operands are the convention's
 * static registers and whose clobbers are its clobber set (so a leaf stays
 * a leaf), and "pvcc_rtl" writes the site's bundle and record into it.
 *
 * A C-convention call stays a real CALL_INSN, so GCC itself keeps the C ABI around it:
 * the caller's alloc gets the output registers the arguments need, b0 and
 * ar.pfs are saved in locals (the function is no longer a leaf), gp is
 * reloaded after the call when it is not constant, and no value live across
 * the call is kept in an output or scratch register.  Old-style asm is
 * "unknown" to the ia64 bundler: it closes the current bundle and forces a
 * stop, so the call comes out as a bundle of its own with stops around it.
 */
#include "gcc-common.h"
#include "ssa.h"
#include "tree-into-ssa.h"
#include "pvcc-catalog.h"

/* parse_in exists only in the C-family front ends; stay loadable elsewhere. */
#pragma weak parse_in

__visible int plugin_is_GPL_compatible;

static struct plugin_info pvcc_plugin_info = {
	.version = PVCC_PLUGIN_VERSION,
	.help = "disable         load, but leave every compilation untouched\n"
		"compat-bundles  also emit Linux's .paravirt_bundles records\n"
		"conv=c|light    the unit's default calling convention (c)\n",
};

static bool compat_bundles;
/* The convention of an intrinsic whose attribute names none. */
static int default_conv = PVCC_CONV_C;

#define PVCC_STRINGIFY_(x) #x
#define PVCC_STRINGIFY(x) PVCC_STRINGIFY_(x)

/* The marker string the GIMPLE pass leaves for the RTL pass. */
#define PVCC_MARKER "// pvcc-site"
/* Numeric local labels of a region: unlikely to clash with user asm. */
#define PVCC_LABEL_START "97531"
#define PVCC_LABEL_END "97532"
/* The constraint of a light site's moved argument (catalog.light_moved_arg):
 * a general register, or the constant 0 (printed r0). */
#define PVCC_MOVED_CONSTRAINT "rO"

/* The template a light site's asm carries from GIMPLE to the RTL pass. */
#define PVCC_LIGHT_MARKER "// pvcc-light"
/* The placeholder of a light site between pvcc_light and pvcc_sites. */
#define PVCC_PLACEHOLDER "// pvcc-placeholder"
/* A light site branches to PVCC_LIGHT_PREFIX + the intrinsic's name: the
 * implementation that follows the light convention (assembly, or the thunk
 * pvcc generates for a C function); the prefix is the catalog's. */

/* ------------------------------------------------------------------ */
/* Catalog look-ups                                                    */
/* ------------------------------------------------------------------ */

static const pvcc_intrinsic *catalog_entry(unsigned HOST_WIDE_INT type)
{
	for (const pvcc_intrinsic &in : pvcc_catalog)
		if (in.type == type)
			return &in;
	return NULL;
}

static const pvcc_intrinsic *intrinsic_of(const_tree fndecl)
{
	if (!fndecl || TREE_CODE(fndecl) != FUNCTION_DECL)
		return NULL;
	tree attr = lookup_attribute("paravirt_intrinsic", DECL_ATTRIBUTES(fndecl));
	if (!attr)
		return NULL;
	/* The handler only lets valid catalog ids through. */
	return catalog_entry(tree_to_uhwi(TREE_VALUE(TREE_VALUE(attr))));
}

/* The calling convention of an intrinsic: the attribute's second argument,
 * else the unit's default. */
static int conv_of(const_tree fndecl)
{
	tree attr = lookup_attribute("paravirt_intrinsic", DECL_ATTRIBUTES(fndecl));
	tree conv = attr ? TREE_CHAIN(TREE_VALUE(attr)) : NULL_TREE;
	return conv ? (int)tree_to_uhwi(TREE_VALUE(conv)) : default_conv;
}

static bool is_reg_intrinsic(const pvcc_intrinsic *in)
{
	return in->type == PVCC_GETREG_BASE || in->type == PVCC_SETREG_BASE;
}

/* Why getreg (or setreg, when WRITING) cannot take register REG, or NULL.
 * The table and the texts are the catalog's (pvcc-catalog.h is generated from
 * wrapper/pvcc/catalog.py): what compiles is what checks and patches. */
static const char *reg_problem(HOST_WIDE_INT reg, bool writing)
{
	if (reg == PVCC_REG_IP)
		return PVCC_REG_PROBLEM_IP;
	for (int n : pvcc_unprivileged_registers)
		if (n == reg)
			return PVCC_REG_PROBLEM_UNPRIVILEGED;
	for (const pvcc_register &r : pvcc_registers)
		if (r.number == reg)
			return writing && !r.writable ? PVCC_REG_PROBLEM_READ_ONLY : NULL;
	return PVCC_REG_PROBLEM_UNKNOWN;
}

/* ------------------------------------------------------------------ */
/* The attribute                                                       */
/* ------------------------------------------------------------------ */

/* Check that every argument fits a general register; count them. */
static bool check_params(tree decl, const pvcc_intrinsic *in, location_t loc)
{
	tree type = TREE_TYPE(decl);
	bool ok = true;
	int n = 0;

	if (!prototype_p(type)) {
		error_at(loc, "paravirt intrinsic %qD must have a prototype", decl);
		return false;
	}
	if (stdarg_p(type)) {
		error_at(loc, "paravirt intrinsic %qD cannot be variadic", decl);
		ok = false;
	}
	for (tree p = TYPE_ARG_TYPES(type); p && TREE_VALUE(p) != void_type_node;
	     p = TREE_CHAIN(p)) {
		tree t = TREE_VALUE(p);

		n++;
		if (FLOAT_TYPE_P(t) || TREE_CODE(t) == COMPLEX_TYPE) {
			error_at(loc, "argument %d of paravirt intrinsic %qD has "
				 "floating-point type %qT", n, decl, t);
			ok = false;
		} else if (AGGREGATE_TYPE_P(t) || TREE_CODE(t) == VECTOR_TYPE) {
			error_at(loc, "argument %d of paravirt intrinsic %qD has "
				 "aggregate type %qT", n, decl, t);
			ok = false;
		} else if ((!INTEGRAL_TYPE_P(t) && !POINTER_TYPE_P(t)) ||
			   TYPE_PRECISION(t) > 64) {
			error_at(loc, "argument %d of paravirt intrinsic %qD has type "
				 "%qT, which does not fit a general register", n, decl, t);
			ok = false;
		}
	}
	if (n > 8) {
		error_at(loc, "paravirt intrinsic %qD takes %d arguments; at most 8 "
			 "fit the output registers", decl, n);
		return false;
	}
	if (ok && n != in->nargs) {
		error_at(loc, "paravirt intrinsic %qD takes %d arguments, but type "
			 "%qs takes %d", decl, n, in->name, in->nargs);
		ok = false;
	}

	tree ret = TREE_TYPE(type);
	if (in->returns && !INTEGRAL_TYPE_P(ret) && !POINTER_TYPE_P(ret)) {
		error_at(loc, "paravirt intrinsic %qD must return an integer, as "
			 "type %qs does", decl, in->name);
		ok = false;
	} else if (!in->returns && !VOID_TYPE_P(ret)) {
		error_at(loc, "paravirt intrinsic %qD must return void, as type "
			 "%qs does", decl, in->name);
		ok = false;
	}
	if (ok && is_reg_intrinsic(in) &&
	    !INTEGRAL_TYPE_P(TREE_VALUE(TYPE_ARG_TYPES(type)))) {
		error_at(loc, "the first argument of paravirt intrinsic %qD must be "
			 "the integer register number", decl);
		ok = false;
	}
	return ok;
}

static tree handle_paravirt_intrinsic(tree *node, tree name, tree args, int,
				      bool *no_add_attrs)
{
	tree decl = *node;
	location_t loc = DECL_P(decl) ? DECL_SOURCE_LOCATION(decl) : input_location;
	tree arg = TREE_VALUE(args);

	*no_add_attrs = true;
	if (TREE_CODE(decl) != FUNCTION_DECL) {
		error_at(loc, "%qE attribute applies only to function declarations",
			 name);
		return NULL_TREE;
	}
	if (arg && TREE_CODE(arg) != INTEGER_CST)
		arg = fold(arg);
	if (!arg || TREE_CODE(arg) != INTEGER_CST || !tree_fits_uhwi_p(arg)) {
		error_at(loc, "argument of %qE attribute of %qD is not an integer "
			 "constant", name, decl);
		return NULL_TREE;
	}
	const pvcc_intrinsic *in = catalog_entry(tree_to_uhwi(arg));
	if (!in) {
		error_at(loc, "unknown paravirt intrinsic type %wu in %qE attribute "
			 "of %qD", tree_to_uhwi(arg), name, decl);
		return NULL_TREE;
	}
	if (!check_params(decl, in, loc))
		return NULL_TREE;
	if (tree rest = TREE_CHAIN(args)) {
		tree conv = TREE_VALUE(rest);
		if (conv && TREE_CODE(conv) != INTEGER_CST)
			conv = fold(conv);
		if (!conv || TREE_CODE(conv) != INTEGER_CST ||
		    !tree_fits_uhwi_p(conv) ||
		    (tree_to_uhwi(conv) != PVCC_CONV_C &&
		     tree_to_uhwi(conv) != PVCC_CONV_LIGHT)) {
			error_at(loc, "second argument of %qE attribute of %qD must be "
				 "the calling convention, %d (C call) or %d (light)",
				 name, decl, PVCC_CONV_C, PVCC_CONV_LIGHT);
			return NULL_TREE;
		}
		TREE_VALUE(rest) = conv;
	}

	/* A site is one call and nothing else: it can never throw. */
	TREE_NOTHROW(decl) = 1;
	TREE_VALUE(args) = arg;
	*no_add_attrs = false;
	return NULL_TREE;
}

static void register_attributes(void *, void *)
{
	static struct attribute_spec spec = {};

	spec.name = "paravirt_intrinsic";
	spec.min_length = 1;
	spec.max_length = 2;
	spec.decl_required = false;	/* misplacement is our own error */
	spec.handler = handle_paravirt_intrinsic;
	register_attribute(&spec);

	/* Let <pvcc/paravirt.h> know the attribute exists (not when the input
	 * is already preprocessed: cpplib rejects a definition there). */
	if (&parse_in && parse_in && !cpp_get_options(parse_in)->preprocessed)
		cpp_define(parse_in, "__PVCC__=" PVCC_STRINGIFY(PVCC_RECORD_VERSION));
}

/* ------------------------------------------------------------------ */
/* Taking an intrinsic's address                                       */
/* ------------------------------------------------------------------ */

static tree find_intrinsic_address(tree *tp, int *walk_subtrees, void *)
{
	if (TYPE_P(*tp)) {
		*walk_subtrees = 0;
		return NULL_TREE;
	}
	if (TREE_CODE(*tp) == ADDR_EXPR && intrinsic_of(TREE_OPERAND(*tp, 0)))
		return TREE_OPERAND(*tp, 0);
	return NULL_TREE;
}

static void report_address_taken(location_t loc, tree fndecl)
{
	error_at(loc, "address of paravirt intrinsic %qD taken; an intrinsic can "
		 "only be called directly, never through a pointer", fndecl);
}

/* Static initializers never reach a GIMPLE pass: look at them here. */
static void check_finished_decl(void *gcc_data, void *)
{
	tree decl = (tree)gcc_data;

	if (!decl || TREE_CODE(decl) != VAR_DECL || !TREE_STATIC(decl) ||
	    !DECL_INITIAL(decl) || DECL_INITIAL(decl) == error_mark_node)
		return;
	tree fndecl = walk_tree_without_duplicates(&DECL_INITIAL(decl),
						   find_intrinsic_address, NULL);
	if (fndecl)
		report_address_taken(DECL_SOURCE_LOCATION(decl), fndecl);
}

#define PASS_NAME pvcc_uses
#define NO_GATE
static unsigned int pvcc_uses_execute(function *fun)
{
	basic_block bb;

	FOR_EACH_BB_FN(bb, fun) {
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb); !gsi_end_p(gsi);
		     gsi_next(&gsi)) {
			gimple *stmt = gsi_stmt(gsi);
			tree found = NULL_TREE;

			if (gcall *call = dyn_cast<gcall *>(stmt)) {
				/* A direct call names the intrinsic; arguments must not. */
				for (unsigned i = 0; i < gimple_call_num_args(call) && !found; i++)
					found = walk_tree_without_duplicates(
						gimple_call_arg_ptr(call, i),
						find_intrinsic_address, NULL);
			} else {
				struct walk_stmt_info wi = {};
				found = walk_gimple_op(stmt, find_intrinsic_address, &wi);
			}
			if (found)
				report_address_taken(gimple_location(stmt), found);
		}
	}
	return 0;
}
#include "gcc-generate-pass.h"

/* ------------------------------------------------------------------ */
/* GIMPLE: mark every call after inlining                              */
/* ------------------------------------------------------------------ */

/* Did inlining bring this statement in from a wrapper? */
static bool stmt_was_inlined(gimple *stmt)
{
	for (tree block = gimple_block(stmt); block && TREE_CODE(block) == BLOCK;
	     block = BLOCK_SUPERCONTEXT(block))
		if (inlined_function_outer_scope_p(block))
			return true;
	return false;
}

/* A local variable bound to hard register rREGNO, as `register unsigned
 * long v asm("rREGNO")` declares it: asm operands that name it use exactly
 * that register. */
static tree hard_reg_var(int regno)
{
	char asmname[8];
	tree var = build_decl(UNKNOWN_LOCATION, VAR_DECL,
			      create_tmp_var_name("pvcc_r"), long_unsigned_type_node);

	snprintf(asmname, sizeof(asmname), "*r%d", regno);
	DECL_ARTIFICIAL(var) = 1;
	DECL_IGNORED_P(var) = 1;
	DECL_REGISTER(var) = 1;
	DECL_HARD_REGISTER(var) = 1;
	SET_DECL_ASSEMBLER_NAME(var, get_identifier(asmname));
	DECL_CONTEXT(var) = current_function_decl;
	TREE_USED(var) = 1;
	add_local_decl(cfun, var);
	return var;
}

static tree asm_operand(const char *constraint, tree value)
{
	tree c = build_string(strlen(constraint) + 1, constraint);
	return build_tree_list(build_tree_list(NULL_TREE, c), value);
}

/* VALUE converted to TYPE, as a GIMPLE value (new statements go to SEQ). */
/* A new GIMPLE register: an SSA name in SSA form, else a temporary. */
static tree new_temp(tree type)
{
	return gimple_in_ssa_p(cfun) ? make_ssa_name(type) : create_tmp_reg(type, "pvcc");
}

static tree converted(gimple_seq *seq, tree type, tree value)
{
	if (useless_type_conversion_p(type, TREE_TYPE(value)))
		return value;
	if (TREE_CODE(value) == INTEGER_CST)
		return fold_convert(type, value);
	tree tmp = new_temp(type);
	gimple_seq_add_stmt(seq, gimple_build_assign(tmp, NOP_EXPR, value));
	return tmp;
}

/*
 * Replace the call at GSI by a light site: a volatile asm whose operands are
 * the convention's static registers (hard register variables), every other
 * register of the convention's clobber set and memory clobbered.  GCC sees
 * no call: the function keeps its frame (a leaf stays a leaf, no b0 or
 * ar.pfs save, no output registers), and knows the site's exact register
 * effects.  The RTL pass writes the site itself into the asm's template.
 */
static void remove_for(gimple_stmt_iterator *gsi, gimple *stmt, gimple_seq seq);
static void contract_error(location_t loc, const char *what);

static void replace_by_light_site(gimple_stmt_iterator *gsi, gimple *stmt,
				  const pvcc_intrinsic *in, unsigned int type,
				  const char *target, tree *args, tree lhs, bool inlined)
{
	gimple_seq seq = NULL;
	vec<tree, va_gc> *outputs = NULL, *inputs = NULL, *clobbers = NULL;
	bool operand[128] = {};
	tree result_var = NULL_TREE;

	/* getreg/setreg: the register number is in the type id and in the
	 * implementation's name (one per register), never in a register. */
	for (int i = is_reg_intrinsic(in) ? 1 : 0; i < in->nargs; i++) {
		int regno = pvcc_light_args[i];
		tree value = converted(&seq, long_unsigned_type_node, args[i]);
		/* The moved argument: in any register GCC likes ("rO": r0 for a
		 * zero), which the transfer bundle copies into its static register
		 * (write_light_site): the native code reads it where it is.  Its
		 * static register joins the clobbers below. */
		if (i == in->moved_arg) {
			vec_safe_push(inputs, asm_operand(PVCC_MOVED_CONSTRAINT, value));
			continue;
		}
		tree var = hard_reg_var(regno);
		gimple_seq_add_stmt(&seq, gimple_build_assign(var, value));
		/* The implementation may write its argument registers. */
		char match[4];
		snprintf(match, sizeof(match), "%u", vec_safe_length(outputs));
		vec_safe_push(outputs, asm_operand("=r", var));
		vec_safe_push(inputs, asm_operand(match, var));
		operand[regno] = true;
		if (regno == PVCC_LIGHT_RESULT)
			result_var = var;
	}
	if (in->returns && !result_var) {
		result_var = hard_reg_var(PVCC_LIGHT_RESULT);
		vec_safe_push(outputs, asm_operand("=r", result_var));
		operand[PVCC_LIGHT_RESULT] = true;
	}
	for (const char *reg : pvcc_light_clobbers) {
		if (reg[0] == 'r' && operand[atoi(reg + 1)])
			continue;
		vec_safe_push(clobbers, build_tree_list(
			NULL_TREE, build_string(strlen(reg) + 1, reg)));
	}
	vec_safe_push(clobbers, build_tree_list(NULL_TREE,
						build_string(7, "memory")));

	char *text = is_reg_intrinsic(in) ?
		xasprintf(PVCC_LIGHT_MARKER " 0x%x %d %s_%u", type, inlined ? 1 : 0,
			  target, type - in->type) :
		xasprintf(PVCC_LIGHT_MARKER " 0x%x %d %s", type, inlined ? 1 : 0, target);
	gasm *site = gimple_build_asm_vec(text, inputs, outputs, clobbers, NULL);
	gimple_asm_set_volatile(site, true);
	gimple_seq_add_stmt(&seq, site);
	free(text);

	if (lhs && result_var) {
		tree raw = new_temp(long_unsigned_type_node);
		gimple_seq_add_stmt(&seq, gimple_build_assign(raw, result_var));
		tree value = converted(&seq, TREE_TYPE(lhs), raw);
		gimple_seq_add_stmt(&seq, gimple_build_assign(lhs, value));
	}
	remove_for(gsi, stmt, seq);
}

/* Replace STMT at GSI by SEQ (whose last statement now defines what STMT
 * defined); GSI ends on SEQ's last statement, for the caller's gsi_next. */
static void remove_for(gimple_stmt_iterator *gsi, gimple *stmt, gimple_seq seq)
{
	for (gimple_stmt_iterator i = gsi_start(seq); !gsi_end_p(i); gsi_next(&i)) {
		gimple_set_location(gsi_stmt(i), gimple_location(stmt));
		gimple_set_block(gsi_stmt(i), gimple_block(stmt));
	}
	gimple *last = gimple_seq_last_stmt(seq);
	gsi_insert_seq_before(gsi, seq, GSI_SAME_STMT);
	tree vdef = gimple_in_ssa_p(cfun) ? gimple_vdef(stmt) : NULL_TREE;
	if (vdef)
		unlink_stmt_vdef(stmt);
	gsi_remove(gsi, true);
	if (vdef)
		release_ssa_name(vdef);
	*gsi = gsi_for_stmt(last);
}

/* The symbol of a light intrinsic, as its site names it. */
static const char *symbol_of(tree fndecl)
{
	return targetm.strip_name_encoding(IDENTIFIER_POINTER(DECL_ASSEMBLER_NAME(fndecl)));
}

/*
 * GCC's inliner counts an asm as one insn per statement (';' or line).  The
 * placeholder weighs what Linux's own native inline asm for the intrinsic
 * weighs (the catalog's asm_weight, wrapper/pvcc/catalog.py), so a
 * paravirtualized kernel keeps the plain kernel's inlining decisions.
 */

/*
 * Before inlining a light call becomes a placeholder: a volatile asm of one
 * line with its arguments as plain "r" inputs and its result as an "=r"
 * output (and a memory clobber), which the inliner weighs exactly as the
 * kernel's own `asm volatile ("fc %0" :: "r"(addr) : "memory")`.  After
 * inlining, pvcc_sites turns it into the site proper (replace_by_light_site).
 */
static void replace_by_placeholder(gimple_stmt_iterator *gsi, gcall *call,
				   const pvcc_intrinsic *in, unsigned int type)
{
	gimple_seq seq = NULL;
	vec<tree, va_gc> *outputs = NULL, *inputs = NULL, *clobbers = NULL;

	for (int i = is_reg_intrinsic(in) ? 1 : 0; i < in->nargs; i++)
		vec_safe_push(inputs, asm_operand("r", gimple_call_arg(call, i)));
	tree lhs = gimple_call_lhs(call), out = NULL_TREE;
	if (lhs && in->returns) {
		out = is_gimple_reg(lhs) ? lhs : new_temp(TREE_TYPE(lhs));
		vec_safe_push(outputs, asm_operand("=r", out));
	}
	vec_safe_push(clobbers, build_tree_list(NULL_TREE, build_string(7, "memory")));
	int weight = in->asm_weight;
	char *text = xasprintf(PVCC_PLACEHOLDER " 0x%x %s %.*s", type,
			       symbol_of(gimple_call_fndecl(call)), weight - 1, ";;;;;;;;;");
	gasm *asm_ = gimple_build_asm_vec(text, inputs, outputs, clobbers, NULL);
	free(text);
	gimple_asm_set_volatile(asm_, true);
	gimple_seq_add_stmt(&seq, asm_);
	/* Temporaries are SSA names even before "ssa": the asm defines it now. */
	if (out && TREE_CODE(out) == SSA_NAME)
		SSA_NAME_DEF_STMT(out) = asm_;
	if (out && out != lhs)
		gimple_seq_add_stmt(&seq, gimple_build_assign(lhs, out));
	gimple_call_set_lhs(call, NULL_TREE);
	remove_for(gsi, call, seq);
}

/* The placeholder asm of a light site, or NULL. */
static gasm *placeholder(gimple *stmt)
{
	gasm *a = dyn_cast<gasm *>(stmt);
	return a && startswith(gimple_asm_string(a), PVCC_PLACEHOLDER) ? a : NULL;
}

/*
 * The symbol that ends a marker's text, after its fixed fields (AT
 * characters from its start, as sscanf's %n gives them): a copy without a
 * length limit, symbol names can be as long as the user makes them.  NULL
 * when there is none.
 */
static char *marker_symbol(const char *text, int at)
{
	if (at <= 0)
		return NULL;
	const char *s = text + at;
	while (ISSPACE(*s))
		s++;
	size_t n = strcspn(s, " \t\n;");
	return n ? xstrndup(s, n) : NULL;
}

/* Turn a placeholder into its light site. */
static void light_site_from_placeholder(gimple_stmt_iterator *gsi, gasm *a)
{
	unsigned int type;
	int at = 0;
	char *target = NULL;
	if (sscanf(gimple_asm_string(a), PVCC_PLACEHOLDER " %x%n", &type, &at) != 1
	    || !(target = marker_symbol(gimple_asm_string(a), at))) {
		contract_error(gimple_location(a), "a light placeholder lost its marker");
		return;
	}
	const pvcc_intrinsic *in = catalog_entry(type);
	if (!in)
		in = catalog_entry(type & 0xf0000000u);
	tree args[8] = {};
	unsigned int first = is_reg_intrinsic(in) ? 1 : 0;
	for (unsigned int i = 0; i < gimple_asm_ninputs(a) && first + i < 8; i++)
		args[first + i] = TREE_VALUE(gimple_asm_input_op(a, i));
	tree lhs = gimple_asm_noutputs(a) ? TREE_VALUE(gimple_asm_output_op(a, 0)) : NULL_TREE;
	replace_by_light_site(gsi, a, in, type, target, args, lhs, false);
	free(target);
}

/* The type id of a site: the catalog's, plus the register for getreg/setreg,
 * which must be a constant the catalog accepts (else a located error). */
static bool site_type(gcall *call, const pvcc_intrinsic *in, unsigned int *type)
{
	*type = in->type;
	if (!is_reg_intrinsic(in))
		return true;
	/* The register is folded into the type id, as Linux's
	 * BUILD_BUG_ON(!__builtin_constant_p(reg)) demanded. */
	location_t loc = gimple_location(call);
	tree fndecl = gimple_call_fndecl(call);
	tree reg = gimple_call_arg(call, 0);
	if (TREE_CODE(reg) != INTEGER_CST) {
		error_at(loc, "register number passed to paravirt intrinsic %qD is not "
			 "a compile-time constant", fndecl);
		return false;
	}
	HOST_WIDE_INT r = tree_to_shwi(reg);
	if (const char *why = reg_problem(r, in->type == PVCC_SETREG_BASE)) {
		error_at(loc, "register %wd cannot be passed to paravirt intrinsic %qD: "
			 "%s", r, fndecl, why);
		return false;
	}
	*type += r;
	return true;
}

/*
 * GIMPLE pass "pvcc_light", right after "cfg", before any optimisation and
 * before inlining: every light site whose type is already known (not a
 * getreg/setreg whose register only inlining makes constant) becomes its
 * asm now.  The inliner then weighs a one-line asm, as it weighs the
 * kernel's own `asm volatile ("ssm psr.i")`, and not a call: a function
 * calling light intrinsics is inlined (or not) as its native twin is.
 */
#define PASS_NAME pvcc_light
#define NO_GATE
static unsigned int pvcc_light_execute(function *fun)
{
	basic_block bb;
	bool changed = false;

	FOR_EACH_BB_FN(bb, fun) {
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb); !gsi_end_p(gsi);
		     gsi_next(&gsi)) {
			gcall *call = dyn_cast<gcall *>(gsi_stmt(gsi));
			if (!call)
				continue;
			tree fndecl = gimple_call_fndecl(call);
			const pvcc_intrinsic *in = intrinsic_of(fndecl);
			if (!in || conv_of(fndecl) != PVCC_CONV_LIGHT)
				continue;
			if (is_reg_intrinsic(in) &&
			    TREE_CODE(gimple_call_arg(call, 0)) != INTEGER_CST)
				continue;	/* pvcc_sites, after inlining */
			unsigned int type;
			if (!site_type(call, in, &type))
				continue;
			replace_by_placeholder(&gsi, call, in, type);
			changed = true;
		}
	}
	if (changed && gimple_in_ssa_p(fun)) {
		mark_virtual_operands_for_renaming(fun);
		update_ssa(TODO_update_ssa_only_virtuals);
	}
	return 0;
}
#include "gcc-generate-pass.h"

#define PASS_NAME pvcc_sites
#define NO_GATE
static unsigned int pvcc_sites_execute(function *fun)
{
	basic_block bb;
	bool changed = false;

	FOR_EACH_BB_FN(bb, fun) {
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb); !gsi_end_p(gsi);
		     gsi_next(&gsi)) {
			if (gasm *a = placeholder(gsi_stmt(gsi))) {
				light_site_from_placeholder(&gsi, a);
				changed = true;
				continue;
			}
			gcall *call = dyn_cast<gcall *>(gsi_stmt(gsi));
			if (!call)
				continue;
			tree fndecl = gimple_call_fndecl(call);
			const pvcc_intrinsic *in = intrinsic_of(fndecl);
			if (!in)
				continue;

			location_t loc = gimple_location(call);
			unsigned int type;
			if (!site_type(call, in, &type))
				continue;

			if (conv_of(fndecl) == PVCC_CONV_LIGHT) {
				tree args[8] = {};
				for (int i = 0; i < in->nargs; i++)
					args[i] = gimple_call_arg(call, i);
				tree lhs = gimple_call_lhs(call);
				gimple_call_set_lhs(call, NULL_TREE);
				replace_by_light_site(&gsi, call, in, type, symbol_of(fndecl),
						      args, lhs, stmt_was_inlined(call));
				changed = true;
				continue;
			}
			gimple_call_set_tail(call, false);

			char text[64];
			snprintf(text, sizeof(text), PVCC_MARKER " 0x%x %d",
				 (unsigned int)type, stmt_was_inlined(call) ? 1 : 0);
			gasm *marker = gimple_build_asm_vec(text, NULL, NULL, NULL, NULL);
			gimple_asm_set_volatile(marker, true);
			gimple_set_location(marker, loc);
			gimple_set_block(marker, gimple_block(call));
			gsi_insert_before(&gsi, marker, GSI_SAME_STMT);
		}
	}
	if (changed) {
		/* The new statements read and write memory (the asm clobbers
		 * it; hard register variables are memory to GIMPLE). */
		mark_virtual_operands_for_renaming(fun);
		update_ssa(TODO_update_ssa_only_virtuals);
	}
	return 0;
}
#include "gcc-generate-pass.h"

/* ------------------------------------------------------------------ */
/* RTL: isolate each call and write its record                         */
/* ------------------------------------------------------------------ */

/* The marker is an operand-less volatile asm: no memory clobber, so it
 * needs no virtual SSA operands where it is inserted. */
static const char *marker_text(const rtx_insn *insn)
{
	if (!NONJUMP_INSN_P(insn) || GET_CODE(PATTERN(insn)) != ASM_OPERANDS)
		return NULL;
	const char *text = ASM_OPERANDS_TEMPLATE(PATTERN(insn));
	return startswith(text, PVCC_MARKER) ? text : NULL;
}

static bool is_marker(const rtx_insn *insn)
{
	return marker_text(insn) != NULL;
}

/*
 * The prologue's alloc: (parallel [(set rX (unspec_volatile [0] UNSPECV_ALLOC))
 * (use in) (use loc) (use out) (use rot)]).  Its operands are final once
 * pro_and_epilogue has run; the frame data itself is private to ia64.cc.
 */
static rtx_insn *find_alloc(void)
{
	for (rtx_insn *insn = get_insns(); insn; insn = NEXT_INSN(insn)) {
		if (!NONJUMP_INSN_P(insn))
			continue;
		rtx pat = PATTERN(insn);
		if (GET_CODE(pat) != PARALLEL || XVECLEN(pat, 0) != 5)
			continue;
		rtx set = XVECEXP(pat, 0, 0);
		if (GET_CODE(set) == SET &&
		    GET_CODE(SET_SRC(set)) == UNSPEC_VOLATILE &&
		    XINT(SET_SRC(set), 1) == UNSPECV_ALLOC)
			return insn;
	}
	return NULL;
}

static HOST_WIDE_INT alloc_operand(rtx_insn *alloc, int i)
{
	return INTVAL(XEXP(XVECEXP(PATTERN(alloc), 0, i), 0));
}

/* The intrinsic a call insn calls directly, or NULL. */
static const pvcc_intrinsic *called_intrinsic(rtx_insn *insn, const char **sym)
{
	rtx call = get_call_rtx_from(insn);
	if (!call || !MEM_P(XEXP(call, 0)))
		return NULL;
	rtx addr = XEXP(XEXP(call, 0), 0);
	if (GET_CODE(addr) != SYMBOL_REF || !SYMBOL_REF_DECL(addr))
		return NULL;
	*sym = targetm.strip_name_encoding(XSTR(addr, 0));
	return intrinsic_of(SYMBOL_REF_DECL(addr));
}

static void contract_error(location_t loc, const char *what)
{
	error_at(loc, "pvcc: cannot establish the call-site contract in %qD: %s "
		 "(this is a pvcc bug; the object would not be patchable)",
		 current_function_decl, what);
}

/* An old-style asm: volatile (so no pass deletes or moves it), and always
 * fenced by stops in ia64's emit_insn_group_barriers. */
static rtx site_asm(const char *text, rtx_insn *where)
{
	rtx body = gen_rtx_ASM_INPUT_loc(VOIDmode, ggc_strdup(text),
					 INSN_LOCATION(where));
	MEM_VOLATILE_P(body) = 1;
	return body;
}

/* printf into the pretty-printer without its diagnostic format rules, and
 * without a length limit: symbol names can be as long as the user makes them. */
static void ATTRIBUTE_PRINTF_2 pp_asm(pretty_printer *pp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	pp_string(pp, text);
	free(text);
}

static const char *nop_bundle_text =
	"{ .mii\n\tnop.m 0\n\tnop.i 0\n\tnop.i 0 ;;\n}\n";

/* The site's record (field by field as docs/records.md lays it out) and,
 * on request, its compatibility record; the region lies between the
 * labels PVCC_LABEL_START and PVCC_LABEL_END. */
static void print_records(pretty_printer *pp, const pvcc_intrinsic *in,
			  unsigned int type, int conv, int flags,
			  const char *target, int sol, int sof, int moved = 0)
{
	const char *func = targetm.strip_name_encoding(
		XSTR(XEXP(DECL_RTL(current_function_decl), 0), 0));

	pp_string(pp, "\t.pushsection " PVCC_SECTION ",\"a\"\n\t.align 8\n"
		  "\tdata8 " PVCC_LABEL_START "b, " PVCC_LABEL_END "b\n");
	pp_asm(pp, "\tdata8 %s#, %s#\n\tdata4 0x%x\n", func, target, type);
	pp_asm(pp, "\tdata1 %d, %d, %d, %d, %d, %d\n\tdata2 %d\n\tdata4 0\n",
	       PVCC_RECORD_VERSION, conv, in->nargs,
	       !in->returns ? 0 : conv == PVCC_CONV_LIGHT ? PVCC_CONV_LIGHT_RESULT :
	       PVCC_CONV_C_RESULT,
	       sol, sof, flags);
	pp_string(pp, "\tdata1 ");
	for (int i = 0; i < 8; i++) {
		int where = 0;
		if (i < in->nargs && conv == PVCC_CONV_LIGHT)
			where = i == in->moved_arg ? moved :
				i == 0 && is_reg_intrinsic(in) ? 0 : pvcc_light_args[i];
		else if (i < in->nargs)
			where = 0x80 | i;
		pp_asm(pp, "%s%d", i ? ", " : "", where);
	}
	pp_string(pp, "\n\tdata8 0\n\t.popsection\n");

	if (compat_bundles)
		pp_asm(pp, "\t.pushsection " PVCC_COMPAT_SECTION ",\"a\"\n"
		       "\t.align 8\n\tdata8 " PVCC_LABEL_START "b, "
		       PVCC_LABEL_END "b, 0x%x\n\t.popsection\n", type);
}

/* Everything after the call: end stop, reserved bundles, end label, record. */
static void emit_site_end(rtx_insn *call, const pvcc_intrinsic *in,
			  unsigned int type, int flags, const char *target,
			  int sol, int sof)
{
	pretty_printer pp;

	pp_string(&pp, ";;\n");
	for (int i = 1; i < in->bundles; i++)
		pp_string(&pp, nop_bundle_text);
	pp_string(&pp, PVCC_LABEL_END ":\n");
	print_records(&pp, in, type, PVCC_CONV_C, flags, target, sol, sof);
	emit_insn_after(site_asm(pp_formatted_text(&pp), call), call);
}

/* The ASM_OPERANDS of a light site's asm, while it still has its marker. */
static rtx light_site_asm(rtx_insn *insn)
{
	if (!NONJUMP_INSN_P(insn))
		return NULL_RTX;
	rtx asmop = extract_asm_operands(PATTERN(insn));
	if (!asmop || !startswith(ASM_OPERANDS_TEMPLATE(asmop), PVCC_LIGHT_MARKER))
		return NULL_RTX;
	return asmop;
}

static void set_asm_template(rtx pat, const char *text)
{
	if (GET_CODE(pat) == PARALLEL) {
		for (int i = 0; i < XVECLEN(pat, 0); i++)
			set_asm_template(XVECEXP(pat, 0, i), text);
	} else if (GET_CODE(pat) == SET) {
		set_asm_template(SET_SRC(pat), text);
	} else if (GET_CODE(pat) == ASM_OPERANDS) {
		ASM_OPERANDS_TEMPLATE(pat) = text;
	}
}

/* Can a site of TYPE carry the srlz.d after it (the catalog's list)? */
static bool serializable(unsigned int type)
{
	for (unsigned int t : pvcc_serializable_types)
		if (t == type)
			return true;
	return false;
}

/* Linux's ia64_srlz_d(): asm volatile (";; srlz.d" ::: "memory"), no operands. */
static bool is_srlz_d(const rtx_insn *insn)
{
	if (!NONJUMP_INSN_P(insn))
		return false;
	rtx pat = PATTERN(insn), asmop = extract_asm_operands(pat);
	const char *text = GET_CODE(pat) == ASM_INPUT ? XSTR(pat, 0) :
		asmop && ASM_OPERANDS_INPUT_LENGTH(asmop) == 0 &&
		!ASM_OPERANDS_OUTPUT_CONSTRAINT(asmop)[0] ?
		ASM_OPERANDS_TEMPLATE(asmop) : NULL;
	if (!text)
		return false;
	while (*text == ';' || ISSPACE(*text))
		text++;
	if (!startswith(text, "srlz.d"))
		return false;
	for (text += 6; *text; text++)
		if (*text != ';' && !ISSPACE(*text))
			return false;
	return true;
}

/* A move between registers: no memory, no side effect, nothing to serialize. */
static bool is_register_move(rtx_insn *insn)
{
	rtx set = NONJUMP_INSN_P(insn) ? single_set(insn) : NULL_RTX;
	return set && REG_P(SET_DEST(set)) && !volatile_insn_p(PATTERN(insn)) &&
	       !side_effects_p(SET_SRC(set)) && !contains_mem_rtx_p(SET_SRC(set)) &&
	       !may_trap_or_fault_p(SET_SRC(set));
}

/*
 * Fold the srlz.d that follows the light site INSN into the site: Linux
 * writes `ia64_setreg(_IA64_REG_CR_TPR, v); ia64_srlz_d();`, and the plain
 * kernel's assembler packs the two into one M;MI bundle, while an asm of
 * its own costs the pvcc kernel a bundle after the region.  The record's
 * PVCC_FLAG_SRLZ_D makes the native code end with `;; srlz.d` (the type's
 * last bundle has the free M slot: pvcc_serializable_types), and every light
 * implementation returns serialized.  Between the site and the srlz.d only
 * moves of its result may stand (saved_tpr = getreg(tpr); srlz.d): the
 * srlz.d then runs before them, which serializes no less.
 */
static bool fold_srlz_d(rtx_insn *site, unsigned int type)
{
	if (!serializable(type))
		return false;
	for (rtx_insn *insn = NEXT_INSN(site); insn; insn = NEXT_INSN(insn)) {
		if (NOTE_P(insn) && NOTE_KIND(insn) != NOTE_INSN_BASIC_BLOCK)
			continue;
		if (DEBUG_INSN_P(insn))
			continue;
		if (!INSN_P(insn) || BLOCK_FOR_INSN(insn) != BLOCK_FOR_INSN(site))
			return false;
		if (is_srlz_d(insn)) {
			delete_insn(insn);
			return true;
		}
		if (!is_register_move(insn))
			return false;
	}
	return false;
}

/* The fields of a light site's marker; false (and an error) when it is broken.
 * TARGET is malloc'ed. */
static bool light_marker(rtx_insn *insn, rtx asmop, unsigned int *type, int *flags,
			 char **target)
{
	int at = 0;

	*target = NULL;
	if (sscanf(ASM_OPERANDS_TEMPLATE(asmop), PVCC_LIGHT_MARKER " %x %d%n",
		   type, flags, &at) != 2
	    || !(*target = marker_symbol(ASM_OPERANDS_TEMPLATE(asmop), at))) {
		contract_error(INSN_LOCATION(insn), "a light site lost its marker");
		return false;
	}
	return true;
}

/* Right after the prologue (the CFG still there): fold the srlz.d after the
 * light site INSN into it, noted in its marker's flags. */
static void fold_light_site(rtx_insn *insn, rtx asmop)
{
	unsigned int type;
	int flags;
	char *target;

	if (!light_marker(insn, asmop, &type, &flags, &target))
		return;
	if (fold_srlz_d(insn, type)) {
		char *text = xasprintf(PVCC_LIGHT_MARKER " 0x%x %d %s", type,
				       flags | PVCC_FLAG_SRLZ_D, target);
		set_asm_template(PATTERN(insn), ggc_strdup(text));
		free(text);
	}
	free(target);
}

/*
 * Where the moved argument of a light site is (the "rO" operand): its record
 * byte (docs/records.md: rN, 0x80|k for out k, 0 for r0) and its name for
 * the assembler; false when it is in no general register.  Called after the
 * last pass that may rename registers (cprop_hardreg), so the two agree with
 * what final prints.  The stacked registers' names are what the prologue made
 * them (ia64_expand_prologue renames in/loc/out to r32.. unless
 * -mregister-names keeps inN/locN/outN); INPUTS is the alloc's input count.
 */
static bool moved_argument(rtx asmop, int inputs, int *byte, const char **name)
{
	for (int k = 0; k < ASM_OPERANDS_INPUT_LENGTH(asmop); k++) {
		if (strcmp(ASM_OPERANDS_INPUT_CONSTRAINT(asmop, k), PVCC_MOVED_CONSTRAINT))
			continue;
		rtx op = ASM_OPERANDS_INPUT(asmop, k);
		if (op == const0_rtx) {
			*byte = 0;
			*name = "r0";
			return true;
		}
		if (!REG_P(op) || !HARD_REGISTER_P(op) || REGNO(op) > 127 || REGNO(op) == 0)
			return false;
		const char *text = reg_names[REGNO(op)];
		int n, at = 0;
		if (sscanf(text, "r%d%n", &n, &at) == 1 && !text[at] && n > 0 && n < 128)
			*byte = n;
		else if (sscanf(text, "in%d%n", &n, &at) == 1 && !text[at] && n < 8)
			*byte = 32 + n;
		else if (sscanf(text, "loc%d%n", &n, &at) == 1 && !text[at] && n < 80)
			*byte = 32 + inputs + n;
		else if (sscanf(text, "out%d%n", &n, &at) == 1 && !text[at] && n < 8)
			*byte = 0x80 | n;
		else
			return false;
		*name = text;
		return true;
	}
	return false;
}

/*
 * Write a light site into its asm: a stop, the region's reserved nop
 * bundles, then the transfer bundle, which leaves the address of its own
 * bundle in r2 (the link: the implementation returns to r2 + 16, the end
 * of the region) and branches to the implementation; then the record.
 * The asm has operands, so its text goes through output_asm_insn: no '%'.
 */
static void write_light_site(rtx_insn *insn, rtx asmop, int inputs, int sol, int sof)
{
	unsigned int type;
	int flags;
	char *target;

	if (!light_marker(insn, asmop, &type, &flags, &target))
		return;
	/* A site placed before inlining learns only now where it ended up. */
	for (tree block = LOCATION_BLOCK(INSN_LOCATION(insn));
	     block && TREE_CODE(block) == BLOCK; block = BLOCK_SUPERCONTEXT(block))
		if (inlined_function_outer_scope_p(block))
			flags |= PVCC_FLAG_INLINED;
	const pvcc_intrinsic *in = catalog_entry(type);
	if (!in)
		in = catalog_entry(type & 0xf0000000u);	/* getreg/setreg + reg */
	if (!in) {
		contract_error(INSN_LOCATION(insn), "a light site has an unknown type");
		free(target);
		return;
	}
	/* The transfer bundle's M slot moves the moved argument into its
	 * static register; the mov and the branch share one instruction group,
	 * and the taken branch ends it, so the implementation sees it. */
	int moved = 0;
	char *move = xstrdup("nop.m 0");
	if (in->moved_arg >= 0) {
		const char *name;
		if (!moved_argument(asmop, inputs, &moved, &name)) {
			contract_error(INSN_LOCATION(insn),
				       "a light site's argument is in no general register");
			free(target);
			free(move);
			return;
		}
		if (moved != pvcc_light_args[in->moved_arg]) {	/* else: there already */
			free(move);
			move = xasprintf("mov r%d = %s", pvcc_light_args[in->moved_arg], name);
		}
	}
	pretty_printer pp;
	pp_string(&pp, ";;\n" PVCC_LABEL_START ":\n");
	for (int i = 1; i < in->bundles; i++)
		pp_string(&pp, nop_bundle_text);
	pp_asm(&pp, "{ .mib\n\t%s\n\tmov r%d = ip\n"
	       "\tbr.cond.sptk.many " PVCC_LIGHT_PREFIX "%s# ;;\n}\n",
	       move, PVCC_LIGHT_LINK, target);
	free(move);
	pp_string(&pp, PVCC_LABEL_END ":\n");
	char *entry = concat(PVCC_LIGHT_PREFIX, target, NULL);
	print_records(&pp, in, type, PVCC_CONV_LIGHT, flags, entry, sol, sof, moved);
	free(entry);
	free(target);
	set_asm_template(PATTERN(insn), ggc_strdup(pp_formatted_text(&pp)));
}

/* Find the marker the GIMPLE pass left for CALL, in the same block. */
static rtx_insn *marker_for(rtx_insn *call)
{
	for (rtx_insn *insn = PREV_INSN(call); insn; insn = PREV_INSN(insn)) {
		if (LABEL_P(insn) || JUMP_P(insn) || CALL_P(insn) || BARRIER_P(insn))
			return NULL;
		if (is_marker(insn))
			return insn;
	}
	return NULL;
}

#define PASS_NAME pvcc_rtl
#define PASS_RTL
#define NO_GATE

static unsigned int pvcc_rtl_execute(function *)
{
	bool any = false;
	for (rtx_insn *insn = get_insns(); insn && !any; insn = NEXT_INSN(insn))
		any = is_marker(insn) || light_site_asm(insn);
	if (!any)
		return 0;	/* no intrinsic here: leave the function untouched */

	/* At -O0 a call and its gp reload are still one insn; the reload must
	 * come after the site, not inside it (ia64_reorg splits them later). */
	if (!optimize)
		split_all_insns();

	rtx_insn *alloc = find_alloc();
	for (rtx_insn *insn = get_insns(); insn; insn = NEXT_INSN(insn)) {
		if (!CALL_P(insn))
			continue;
		const char *target = NULL;
		const pvcc_intrinsic *in = called_intrinsic(insn, &target);
		if (!in)
			continue;

		location_t loc = INSN_LOCATION(insn);
		rtx_insn *marker = marker_for(insn);
		unsigned int type;
		int flags;
		if (!marker || sscanf(marker_text(marker), PVCC_MARKER " %x %d",
				      &type, &flags) != 2) {
			contract_error(loc, "the call lost its site marker");
			continue;
		}
		delete_insn(marker);
		if (SIBLING_CALL_P(insn)) {
			contract_error(loc, "the call became a sibling call");
			continue;
		}
		if (!alloc) {
			contract_error(loc, "the function has no alloc");
			continue;
		}

		/* The call itself made GCC reserve outputs for its arguments;
		 * never trust that silently.  Outputs are numbered last, so
		 * raising them renames nothing. */
		if (alloc_operand(alloc, 3) < in->nargs) {
			XEXP(XVECEXP(PATTERN(alloc), 0, 3), 0) = GEN_INT(in->nargs);
			INSN_CODE(alloc) = -1;
		}
		int sol = alloc_operand(alloc, 1) + alloc_operand(alloc, 2);
		int sof = sol + alloc_operand(alloc, 3);

		/* A stop, then a label: the call starts a bundle of its own. */
		emit_insn_before(site_asm(";;\n" PVCC_LABEL_START ":", insn), insn);
		emit_site_end(insn, in, type, flags, target, sol, sof);
	}

	/* Light sites: the srlz.d after them, while the CFG is there; the
	 * sites themselves are written after register renaming (pvcc_light_final). */
	for (rtx_insn *insn = get_insns(); insn; insn = NEXT_INSN(insn))
		if (rtx asmop = light_site_asm(insn))
			fold_light_site(insn, asmop);

	/* A marker whose call vanished would be a site without a record. */
	for (rtx_insn *insn = get_insns(); insn; insn = NEXT_INSN(insn))
		if (is_marker(insn))
			contract_error(INSN_LOCATION(insn),
				       "the call of an intrinsic disappeared");
	return 0;
}
#include "gcc-generate-pass.h"

/*
 * After cprop_hardreg, the last pass that may change which register an asm
 * operand is in: write each light site, its moved argument's register into
 * the transfer bundle and the record alike.  Light sites keep the caller's
 * frame; the record shows it as is (sol = sof = 0: the function has no alloc).
 */
#define PASS_NAME pvcc_light_final
#define PASS_RTL
#define NO_GATE

static unsigned int pvcc_light_final_execute(function *)
{
	bool any = false;
	for (rtx_insn *insn = get_insns(); insn && !any; insn = NEXT_INSN(insn))
		any = light_site_asm(insn);
	if (!any)
		return 0;

	rtx_insn *alloc = find_alloc();
	int inputs = alloc ? alloc_operand(alloc, 1) : 0;
	int sol = alloc ? inputs + alloc_operand(alloc, 2) : 0;
	int sof = alloc ? sol + alloc_operand(alloc, 3) : 0;
	for (rtx_insn *insn = get_insns(); insn; insn = NEXT_INSN(insn))
		if (rtx asmop = light_site_asm(insn))
			write_light_site(insn, asmop, inputs, sol, sof);
	return 0;
}
#include "gcc-generate-pass.h"

/* ------------------------------------------------------------------ */
/* Plugin entry                                                        */
/* ------------------------------------------------------------------ */

__visible int plugin_init(struct plugin_name_args *info,
			  struct plugin_gcc_version *version)
{
	const char *name = info->base_name;
	bool enable = true;

	if (!plugin_default_version_check(version, &gcc_version)) {
		error(G_("incompatible gcc/plugin versions: pvcc was built for "
			 "another compiler"));
		return 1;
	}

	for (int i = 0; i < info->argc; i++) {
		const char *key = info->argv[i].key;
		const char *value = info->argv[i].value;

		if (!strcmp(key, "disable")) {
			enable = false;
		} else if (!strcmp(key, "compat-bundles")) {
			compat_bundles = true;
		} else if (!strcmp(key, "conv")) {
			if (value && !strcmp(value, "c"))
				default_conv = PVCC_CONV_C;
			else if (value && !strcmp(value, "light"))
				default_conv = PVCC_CONV_LIGHT;
			else
				error(G_("option %<-fplugin-arg-%s-conv%> takes %<c%> or "
					 "%<light%>"), name);
			continue;
		} else {
			error(G_("unknown option %<-fplugin-arg-%s-%s%>"), name, key);
			continue;
		}
		if (value)
			error(G_("option %<-fplugin-arg-%s-%s%> takes no value"), name, key);
	}

	register_callback(name, PLUGIN_INFO, NULL, &pvcc_plugin_info);
	if (!enable)
		return 0;

	PASS_INFO(pvcc_light, "cfg", 1, PASS_POS_INSERT_AFTER);
	PASS_INFO(pvcc_uses, "cfg", 1, PASS_POS_INSERT_AFTER);
	PASS_INFO(pvcc_sites, "optimized", 1, PASS_POS_INSERT_AFTER);
	PASS_INFO(pvcc_rtl, "pro_and_epilogue", 1, PASS_POS_INSERT_AFTER);
	PASS_INFO(pvcc_light_final, "cprop_hardreg", 1, PASS_POS_INSERT_AFTER);

	register_callback(name, PLUGIN_ATTRIBUTES, register_attributes, NULL);
	register_callback(name, PLUGIN_FINISH_DECL, check_finished_decl, NULL);
	register_callback(name, PLUGIN_PASS_MANAGER_SETUP, NULL, &pvcc_light_pass_info);
	register_callback(name, PLUGIN_PASS_MANAGER_SETUP, NULL, &pvcc_uses_pass_info);
	register_callback(name, PLUGIN_PASS_MANAGER_SETUP, NULL, &pvcc_sites_pass_info);
	register_callback(name, PLUGIN_PASS_MANAGER_SETUP, NULL, &pvcc_rtl_pass_info);
	register_callback(name, PLUGIN_PASS_MANAGER_SETUP, NULL,
			  &pvcc_light_final_pass_info);
	return 0;
}
