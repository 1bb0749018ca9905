/*
 * gcc-generate-pass.h - pass boilerplate, written once.
 *
 * Define PASS_NAME (PASS_RTL for an RTL pass, else it is a GIMPLE pass; and
 * optionally NO_GATE, PROPERTIES_REQUIRED,
 * TODO_FLAGS_FINISH), write PASS_NAME_gate()/PASS_NAME_execute(), then
 * include this file: it makes the pass_data, the class (with the clone()
 * that registration at instance 0 needs) and make_PASS_NAME_pass().  The
 * macros are undefined at the end, so several passes fit in one file.
 * Same shape as the kernel's scripts/gcc-plugins/gcc-generate-*-pass.h,
 * folded into one header.
 */
#ifndef PASS_NAME
#error "define PASS_NAME before including gcc-generate-pass.h"
#endif

#define __PVCC_STR(x) #x
#define _PVCC_STR(x) __PVCC_STR(x)
#define _PVCC_CAT(a, b) a##b
#define PVCC_CAT(a, b) _PVCC_CAT(a, b)

#define _PASS_NAME_PASS PVCC_CAT(PASS_NAME, _pass)
#define _PASS_NAME_DATA PVCC_CAT(PASS_NAME, _pass_data)
#define _PASS_NAME_GATE PVCC_CAT(PASS_NAME, _gate)
#define _PASS_NAME_EXECUTE PVCC_CAT(PASS_NAME, _execute)
#define _MAKE_PASS_NAME_PASS PVCC_CAT(make_, _PASS_NAME_PASS)

#ifdef PASS_RTL
#define _PASS_TYPE RTL_PASS
#define _PASS_BASE rtl_opt_pass
#else
#define _PASS_TYPE GIMPLE_PASS
#define _PASS_BASE gimple_opt_pass
#endif

#ifndef PROPERTIES_REQUIRED
#define PROPERTIES_REQUIRED 0
#endif
#ifndef TODO_FLAGS_FINISH
#define TODO_FLAGS_FINISH 0
#endif

namespace {
static const pass_data _PASS_NAME_DATA = {
	.type			= _PASS_TYPE,
	.name			= _PVCC_STR(PASS_NAME),
	.optinfo_flags		= OPTGROUP_NONE,
	.tv_id			= TV_NONE,
	.properties_required	= PROPERTIES_REQUIRED,
	.properties_provided	= 0,
	.properties_destroyed	= 0,
	.todo_flags_start	= 0,
	.todo_flags_finish	= TODO_FLAGS_FINISH,
};

class _PASS_NAME_PASS : public _PASS_BASE {
public:
	_PASS_NAME_PASS() : _PASS_BASE(_PASS_NAME_DATA, g) {}
#ifndef NO_GATE
	bool gate(function *fun) final override { return _PASS_NAME_GATE(fun); }
#endif
	unsigned int execute(function *fun) final override { return _PASS_NAME_EXECUTE(fun); }
	opt_pass *clone() final override { return new _PASS_NAME_PASS(); }
};
} /* namespace */

opt_pass *_MAKE_PASS_NAME_PASS(void) { return new _PASS_NAME_PASS(); }

#undef PASS_NAME
#undef PASS_RTL
#undef _PASS_TYPE
#undef _PASS_BASE
#undef NO_GATE
#undef PROPERTIES_REQUIRED
#undef TODO_FLAGS_FINISH
#undef _PASS_NAME_PASS
#undef _PASS_NAME_DATA
#undef _PASS_NAME_GATE
#undef _PASS_NAME_EXECUTE
#undef _MAKE_PASS_NAME_PASS
