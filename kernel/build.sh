#!/usr/bin/env bash
# kernel/build.sh - a real kernel: Linux 6.1 arch/ia64 built with CC=pvcc.
#
#   bash kernel/build.sh [--clean] [STEP...]        (tox -e kernel, ./dev kernel)
#
# pvcc and the Python helpers run from: $PYTHON's environment if set; else the
# environment pvcc is on PATH in (the tox venv); else the repository's .dev-venv
# (created by ./dev demo and ./dev kernel), so the build works from a clone after
# the README's set-up.
#
# Steps (default: all, in this order):
#   plain     make vmlinux with CC=<the IA-64 cross gcc>            -> CONFIG/plain/
#   pvcc      make vmlinux with CC=pvcc, same tree and configuration -> CONFIG/pvcc/
#   compare   every executable section (.text, .init.text, ...) of every *.o
#             of CONFIG/plain/ against CONFIG/pvcc/; each difference with file and reason
#   paravirt  the tree patched with kernel/linux-6.1-pvcc.patch (+ pvcc-paravirt.h,
#             pvcc_native.c), CONFIG_PVCC_PARAVIRT=y, CC=pvcc     -> CONFIG/paravirt/
#   check     pvcc-check vmlinux, pvcc-check --patch native -o vmlinux.native vmlinux,
#             sample disassembly of patched sites next to the plain kernel's own code
#   boot      the kernel's boot-time patcher (arch/ia64/kernel/pvcc_patch.c of the
#             paravirt tree, its generated table) run outside the kernel over vmlinux:
#             built for the host and, with `pvcc-sim cc`, for pvcc-sim; its text
#             compared with vmlinux.native site by site; then retargeted to a
#             hypervisor table and proven with pvcc-check --verify-retarget, and
#             retargeted to the pass-through hypervisor's implementations in
#             vmlinux (python -m pvcc.passthru_impls --table) and proven the same way
#   simboot   (PVCC_KERNEL_CONFIG=sim only) the sim kernels booted in pvcc-sim
#             (pvcc-sim boot, kernel/simboot.py): plain, paravirt (light, patched
#             native at boot), paravirt with noreplace-paravirt, paravirt-c when
#             built (PVCC_KERNEL_CONV=c), passthru (retargeted to the pass-through
#             hypervisor), unwind (paravirt with pvcc_unwind_test: dump_stack() from
#             a C implementation reached through a site; the Call Trace must pass
#             through the thunk into the site's caller) and a panic
#             (rdinit=/nonexistent); each to /init and its power-off, consoles
#             checked and compared with the plain kernel's, the patcher's site
#             count against pvcc-check's
#   modules   the paravirt configuration + CONFIG_MODULES with modules that have
#             sites (-> CONFIG/paravirt[-c]-modules/): pvcc-check on every .ko, and
#             the same patcher run over each .ko against pvcc-check --patch native;
#             then the boot step's runs over this configuration's vmlinux
#
# The work directory ${PVCC_KERNEL_WORK:-$HOME/.cache/pvcc/kernel} is reused across
# runs: the source is unpacked once, and the O= build directories are built
# incrementally.  --clean removes the build directories first, so that the timings
# (CONFIG/timings.json in the work directory, read by benchmarks/bench_kernel.py)
# are those of complete builds.
#
# CONFIG is PVCC_KERNEL_CONFIG, default allnoconfig: on ia64 that still builds an
# SMP, NUMA, ACPI, PCI, EFI kernel with all of arch/ia64 (see kernel/README.md for
# why not generic_defconfig by default; PVCC_KERNEL_CONFIG=generic_defconfig works).
# PVCC_KERNEL_CONFIG=sim is allnoconfig merged with kernel/sim.config (one CPU,
# flat memory, the 8250 console, kernel/init/init.c built in as /init) for
# pvcc-sim's machine; every build checks its .config against the fragment.
#
# Environment: PVCC_KERNEL_WORK (work dir), PVCC_KERNEL_JOBS (make -j, 2),
# PVCC_KERNEL_NICE (5), PVCC_KERNEL_CONFIG (allnoconfig), PVCC_KERNEL_CONV (light: the
# paravirt build uses pvcc's light convention, docs/light.md; c: C-call sites, built
# in CONFIG/paravirt-c/), PVCC_GCC (the
# cross compiler: a path or a major version; default: GCC 12 from pvcc-toolchain),
# PVCC_KERNEL_LAUNCHER (none): ccache, distcc or icecc in front of every build's
# compiler (docs/distributed.md), in build directories of their own (plain-ccache,
# pvcc-ccache, ...):
#   ccache   CC="ccache <gcc>" and CC="ccache pvcc" (CCACHE_COMPILERCHECK set to
#            pvcc's identity, CCACHE_COMPILERTYPE=gcc, for the pvcc builds only)
#   distcc   CC="distcc <gcc>" and CC="distcc pvcc" (DISTCC_HOSTS: servers with pvcc)
#   icecc    CC="icecc <gcc>" and CC=pvcc PVCC_LAUNCHER=icecc (ICECC_VERSION: an
#            environment made with icecc-create-env --addfile <pvcc.so>)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
WORK=${PVCC_KERNEL_WORK:-$HOME/.cache/pvcc/kernel}
JOBS=${PVCC_KERNEL_JOBS:-2}
NICE=${PVCC_KERNEL_NICE:-5}
CONFIG=${PVCC_KERNEL_CONFIG:-allnoconfig}
# the paravirt build's convention: light (CONFIG_PVCC_LIGHT, dir paravirt) or c (paravirt-c)
CONV=${PVCC_KERNEL_CONV:-light}
case $CONV in
    light) PVNAME=paravirt; PVOPTS=("--enable PVCC_LIGHT") ;;
    c) PVNAME=paravirt-c; PVOPTS=("--disable PVCC_LIGHT") ;;
    *) printf 'kernel/build.sh: error: PVCC_KERNEL_CONV=%s: light or c\n' "$CONV" >&2; exit 1 ;;
esac
TARBALL=/usr/src/linux-source-6.1.tar.xz
SRC=$WORK/linux-source-6.1          # pristine (plain and pvcc builds)
PVSRC=$WORK/linux-pvcc              # patched (paravirt build)
PATCH=$HERE/linux-6.1-pvcc.patch
BUILDS=$WORK/$CONFIG                # one O= dir per build, per configuration
# the make target that makes a build's .config, and the fragment merged into it
# (KCONFIG_ALLCONFIG) and checked afterwards
case $CONFIG in
    sim) CONFIG_TARGET=allnoconfig FRAGMENT=$HERE/sim.config ;;
    *) CONFIG_TARGET=$CONFIG FRAGMENT= ;;
esac
TIMINGS=$BUILDS/timings.json
# The Python of pvcc's environment (see the header).
if [ -n "${PYTHON:-}" ]; then
    PY=$PYTHON
elif ! command -v pvcc >/dev/null && [ -x "$REPO/.dev-venv/bin/pvcc" ]; then
    PY=$REPO/.dev-venv/bin/python
else
    PY=python3
fi

say() { printf '\n=== %s\n' "$*"; }
die() { printf 'kernel/build.sh: error: %s\n' "$*" >&2; exit 1; }

CLEAN=0
STEPS=()
for a in "$@"; do
    case $a in
        --clean) CLEAN=1 ;;
        -h|--help) sed -n "2,$(($(grep -n '^set -euo pipefail' "${BASH_SOURCE[0]}" | cut -d: -f1) - 1))p" "${BASH_SOURCE[0]}"; exit 0 ;;
        plain|pvcc|compare|paravirt|check|boot|simboot|modules) STEPS+=("$a") ;;
        *) die "unknown argument '$a' (see --help)" ;;
    esac
done
if [ ${#STEPS[@]} -eq 0 ]; then
    STEPS=(plain pvcc compare paravirt check boot modules)
    [ "$CONFIG" != sim ] || STEPS+=(simboot)    # the sim configuration also boots
fi
want() { local s; for s in "${STEPS[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

# -- host packages ------------------------------------------------------------
PKGS=(linux-source-6.1 binutils-ia64-linux-gnu flex bison bc libelf-dev libssl-dev
      make gcc xz-utils)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
        || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        say "installing host packages: ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" \
            || { apt-get update && DEBIAN_FRONTEND=noninteractive \
                 apt-get install -y --no-install-recommends "${missing[@]}"; }
    else
        echo "kernel/build.sh needs these Debian packages; as root run:" >&2
        echo "  apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi
[ -f "$TARBALL" ] || die "$TARBALL missing (package linux-source-6.1)"

# -- tools --------------------------------------------------------------------
# pvcc from the bin directory of the Python that runs the helpers (the tox venv,
# .dev-venv or the system Python): a version-manager shim (pyenv) in front of
# every one of the kernel's compiler calls would only add its own start-up time.
PYBIN=$("$PY" -c 'import os, sys; print(os.path.dirname(sys.executable))')
[ -x "$PYBIN/pvcc" ] && export PATH="$PYBIN:$PATH"
command -v pvcc >/dev/null \
    || die "pvcc is not on PATH and $REPO/.dev-venv has none: run ./dev kernel (it creates .dev-venv), or pip install -e . in the repository"
command -v pvcc-check >/dev/null || die "pvcc-check is not on PATH"
case ${PVCC_GCC:-} in
    /*) GCC=$PVCC_GCC ;;
    "") GCC=$(pvcc-toolchain path --gcc 12 2>/dev/null) || {
            say "provisioning the IA-64 GCC 12 cross compiler (pvcc-toolchain install --gcc 12)"
            pvcc-toolchain install --gcc 12
            GCC=$(pvcc-toolchain path --gcc 12); } ;;
    *[!0-9]*) GCC=$(command -v "$PVCC_GCC") || die "PVCC_GCC=$PVCC_GCC not found" ;;
    *) GCC=$(pvcc-toolchain path --gcc "$PVCC_GCC") \
           || die "GCC $PVCC_GCC is not provisioned (pvcc-toolchain install --gcc $PVCC_GCC)" ;;
esac
[ -x "$GCC" ] || die "no compiler at $GCC"
export PVCC_GCC=$GCC                # pins the compiler behind CC=pvcc
unset PVCC_DISABLE PVCC_CHECK PVCC_PLUGIN_ARGS PVCC_LAUNCHER

# -- launcher -----------------------------------------------------------------
# PLAIN_CC / PVCC_CC: the builds' CC; PVCC_ENV: extra environment of the pvcc
# builds; SUFFIX: their names (and O= directories) carry the launcher.
LAUNCHER=${PVCC_KERNEL_LAUNCHER:-}
PLAIN_CC=$GCC PVCC_CC=pvcc PVCC_ENV=() SUFFIX=
case $LAUNCHER in
    "") ;;
    ccache) PLAIN_CC="ccache $GCC" PVCC_CC="ccache pvcc"
            PVCC_ENV=("CCACHE_COMPILERCHECK=%compiler% --print-cache-identity"
                      CCACHE_COMPILERTYPE=gcc) ;;
    distcc) PLAIN_CC="distcc $GCC" PVCC_CC="distcc pvcc" ;;
    icecc) PLAIN_CC="icecc $GCC" PVCC_ENV=(PVCC_LAUNCHER=icecc)
           [ -n "${ICECC_VERSION:-}" ] || die "PVCC_KERNEL_LAUNCHER=icecc needs ICECC_VERSION (docs/distributed.md)" ;;
    *) die "PVCC_KERNEL_LAUNCHER=$LAUNCHER: not one of ccache, distcc, icecc" ;;
esac
if [ -n "$LAUNCHER" ]; then
    command -v "$LAUNCHER" >/dev/null || die "PVCC_KERNEL_LAUNCHER=$LAUNCHER is not installed"
    SUFFIX=-$LAUNCHER
    echo "launcher: $LAUNCHER (plain CC=\"$PLAIN_CC\", pvcc CC=\"$PVCC_CC\" ${PVCC_ENV[*]})"
fi
echo "compiler: $GCC ($("$GCC" -dumpversion)); pvcc: $(command -v pvcc)"
echo "work dir: $WORK; configuration: $CONFIG; make -j$JOBS at nice $NICE"
mkdir -p "$BUILDS"

# -- sources ------------------------------------------------------------------
stamp=$(stat -c '%s %Y' "$TARBALL")
if [ "$(cat "$SRC/.pvcc-unpacked" 2>/dev/null)" != "$stamp" ]; then
    say "unpacking $TARBALL"
    rm -rf "$SRC" "$PVSRC"
    tar -C "$WORK" -xf "$TARBALL"
    [ -f "$SRC/Makefile" ] || die "the tarball did not unpack to $SRC"
    echo "$stamp" > "$SRC/.pvcc-unpacked"
fi
echo "kernel: $(make -s -C "$SRC" kernelversion 2>/dev/null)"

# The patched tree shares the pristine files through hard links (cp -al); a
# file the patch touches is replaced (rm + cp), never written in place, and only
# when its content changes, so that make rebuilds no more than it must.
prepare_paravirt_tree() {
    if [ ! -f "$PVSRC/Makefile" ]; then
        say "creating the paravirt tree $PVSRC (hard links to $SRC)"
        rm -rf "$PVSRC"
        cp -al "$SRC" "$PVSRC"
    fi
    local tmp f
    tmp=$(mktemp -d)
    mapfile -t files < <(sed -n 's#^+++ b/\([^\t]*\).*#\1#p' "$PATCH")
    for f in "${files[@]}"; do
        mkdir -p "$tmp/$(dirname "$f")"
        cp "$SRC/$f" "$tmp/$f"
    done
    patch -s -p1 -d "$tmp" < "$PATCH" || die "$PATCH does not apply to $SRC"
    mkdir -p "$tmp/arch/ia64/include/asm" "$tmp/arch/ia64/kernel"
    cp "$HERE/pvcc-paravirt.h" "$tmp/arch/ia64/include/asm/pvcc-paravirt.h"
    cp "$HERE/pvcc_native.c" "$tmp/arch/ia64/kernel/pvcc_native.c"
    local k
    for k in pvcc_patch.c pvcc_patch.h pvcc_boot.c pvcc_unwind_test.c; do
        cp "$HERE/$k" "$tmp/arch/ia64/kernel/$k"
    done
    # the boot-time patcher's bundles, from pvcc's own encoder
    "$PY" -m pvcc.patch_table "$tmp/arch/ia64/kernel/pvcc_patch_table.h" \
        || die "python -m pvcc.patch_table failed"
    # the light convention's implementations: the native table as assembly
    "$PY" -m pvcc.light_table "$tmp/arch/ia64/kernel/pvcc_light.S" \
        || die "python -m pvcc.light_table failed"
    # the pass-through hypervisor's implementations (C functions, light entries,
    # registrations) and its hypercalls, from pvcc's catalog and pvcc-sim's table
    "$PY" -m pvcc.passthru_impls "$tmp/arch/ia64/kernel" \
        || die "python -m pvcc.passthru_impls failed"
    # CONFIG_PVCC_UNWIND_TEST: the light entry of its C implementation (pvcc-thunks)
    "$PY" -m pvcc.thunks -o "$tmp/arch/ia64/kernel/pvcc_unwind_test_light.S" \
        pvcc_unwind_test_get_cpuid || die "python -m pvcc.thunks failed"
    files+=(arch/ia64/include/asm/pvcc-paravirt.h arch/ia64/kernel/pvcc_native.c
            arch/ia64/kernel/pvcc_patch.c arch/ia64/kernel/pvcc_patch.h
            arch/ia64/kernel/pvcc_boot.c arch/ia64/kernel/pvcc_patch_table.h
            arch/ia64/kernel/pvcc_light.S arch/ia64/kernel/pvcc_passthru.h
            arch/ia64/kernel/pvcc_passthru.c arch/ia64/kernel/pvcc_passthru_light.S
            arch/ia64/kernel/pvcc_unwind_test.c arch/ia64/kernel/pvcc_unwind_test_light.S)
    for f in "${files[@]}"; do
        if ! cmp -s "$tmp/$f" "$PVSRC/$f"; then
            echo "  updating $f"
            rm -f "$PVSRC/$f"
            cp "$tmp/$f" "$PVSRC/$f"
        fi
    done
    rm -rf "$tmp"
}

# -- builds -------------------------------------------------------------------
MAKEVARS=(ARCH=ia64 CROSS_COMPILE=ia64-linux-gnu-)

# build NAME SRCDIR CC [paravirt [TARGETS [CONFIG-OPTIONS...]]]
# (the pvcc builds, CC=$PVCC_CC, run with PVCC_ENV added to the environment)
build() {
    local name=$1 src=$2 cc=$3 pv=${4:-} targets=${5:-vmlinux} out=$BUILDS/$1 log=$BUILDS/$1.log
    local fresh=0 opt
    local -a envs=()
    [ "$cc" = "$PVCC_CC" ] && envs=("${PVCC_ENV[@]}")
    shift $(( $# < 5 ? $# : 5 ))
    say "build $name: CC=$cc O=$out (log: $log)"
    [ $CLEAN = 1 ] && rm -rf "$out"
    mkdir -p "$out"
    [ -z "$(find "$out" -name '*.o' -print -quit)" ] && fresh=1
    # a fragment that changed since the .config was made makes it again
    if [ -n "$FRAGMENT" ] && ! cmp -s "$FRAGMENT" "$out/.pvcc-fragment"; then
        rm -f "$out/.config"
    fi
    if [ ! -f "$out/.config" ]; then
        env "${envs[@]}" ${FRAGMENT:+"KCONFIG_ALLCONFIG=$FRAGMENT"} \
            make -s -C "$src" "${MAKEVARS[@]}" "CC=$cc" O="$out" "$CONFIG_TARGET" >/dev/null
        if [ -n "$pv" ]; then
            "$src/scripts/config" --file "$out/.config" --enable PVCC_PARAVIRT
            for opt in "$@"; do
                "$src/scripts/config" --file "$out/.config" $opt
            done
            # the fragment's options of the pvcc patch's own symbols: allnoconfig
            # could not set them while PVCC_PARAVIRT, their dependency, was off
            local -a popts=()
            [ -z "$FRAGMENT" ] \
                || read -ra popts < <("$PY" "$HERE/kbuild.py" patchopts "$FRAGMENT" "$PATCH")
            [ ${#popts[@]} -eq 0 ] || "$src/scripts/config" --file "$out/.config" "${popts[@]}"
            env "${envs[@]}" make -s -C "$src" "${MAKEVARS[@]}" "CC=$cc" O="$out" olddefconfig >/dev/null
            grep -q '^CONFIG_PVCC_PARAVIRT=y' "$out/.config" \
                || die "CONFIG_PVCC_PARAVIRT did not stick (is CC=pvcc working?)"
        fi
        [ -z "$FRAGMENT" ] || cp "$FRAGMENT" "$out/.pvcc-fragment"
    fi
    if [ -n "$FRAGMENT" ]; then
        echo "$out/.config against $(basename "$FRAGMENT") (and SMP, NUMA, SPARSEMEM off):"
        "$PY" "$HERE/kbuild.py" config "$FRAGMENT" "$out/.config" --patch "$PATCH" \
            --off SMP NUMA SPARSEMEM \
            || die "$out/.config is not the $CONFIG configuration (see above)"
        # the built-in initramfs (CONFIG_INITRAMFS_SOURCE="initramfs.list", relative
        # to the O= directory); rewritten only when it changes
        write_if_changed "$out/initramfs.list" <<EOF
# the sim kernels' built-in initramfs (usr/gen_init_cpio's format), from kernel/build.sh
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /root 0700 0 0
file /init $INIT 0755 0 0
EOF
    fi
    if ! "$PY" "$HERE/kbuild.py" timed "$TIMINGS" "$name" "$out" "$cc" "$fresh" -- \
            sh -c 'exec "$@" >"$0" 2>&1' "$log" \
            env "${envs[@]}" nice -n "$NICE" make -C "$src" -j"$JOBS" "${MAKEVARS[@]}" "CC=$cc" O="$out" $targets; then
        tail -n 40 "$log" >&2
        die "build $name failed (full log: $log)"
    fi
    grep -E 'warning:|error:' "$log" | grep -v -e 'syscall clone3 not implemented' \
        | sort | uniq -c | sort -rn | head -n 5 | sed 's/^/  log: /' || true
    ls -l "$out/vmlinux"
    if [ -n "$FRAGMENT" ]; then
        echo "the built-in initramfs, $out/usr/initramfs_data.cpio:"
        "$PY" "$HERE/kbuild.py" initramfs "$out/usr/initramfs_data.cpio" "$INIT" \
            || die "the initramfs built into $out/vmlinux is not kernel/build.sh's"
        # the same archive for an external initrd (pvcc-sim boot --initrd)
        cmp -s "$out/usr/initramfs_data.cpio" "$BUILDS/initramfs.cpio" \
            || cp "$out/usr/initramfs_data.cpio" "$BUILDS/initramfs.cpio"
    fi
}

# write_if_changed FILE: stdin to FILE, unless FILE already holds it
write_if_changed() {
    local tmp
    tmp=$(mktemp)
    cat > "$tmp"
    if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv "$tmp" "$1"; fi
}

# Build the plugin for this compiler before anything is timed.
warm=$(mktemp -d)
echo 'int pvcc_warm;' > "$warm/w.c"
pvcc -c "$warm/w.c" -o "$warm/w.o" || die "pvcc cannot compile with $GCC"
rm -rf "$warm"

# The sim configuration's /init (kernel/init/), a pvcc-sim program: replaced only
# when its bytes change, so that the initramfs and vmlinux are not rebuilt.
INIT=$BUILDS/init
if [ -n "$FRAGMENT" ]; then
    command -v pvcc-sim >/dev/null || die "pvcc-sim is not on PATH"
    say "/init: pvcc-sim cc kernel/init/init.c kernel/init/syscall.S -> $INIT"
    pvcc-sim cc -O2 -Wall -Wextra -Werror "$HERE/init/init.c" "$HERE/init/syscall.S" \
        -o "$INIT.new" || die "pvcc-sim cc could not build /init"
    if cmp -s "$INIT.new" "$INIT"; then rm -f "$INIT.new"; else mv "$INIT.new" "$INIT"; fi
fi

status=0
want plain && build "plain$SUFFIX" "$SRC" "$PLAIN_CC"
want pvcc && build "pvcc$SUFFIX" "$SRC" "$PVCC_CC"

if want compare; then
    say "compare: executable sections of every object, plain$SUFFIX vs pvcc$SUFFIX"
    "$PY" "$HERE/kbuild.py" compare "$BUILDS/plain$SUFFIX" "$BUILDS/pvcc$SUFFIX" \
        --cc-a "$PLAIN_CC" --cc-b "$PVCC_CC" --json "$BUILDS/compare$SUFFIX.json" || status=1
fi

if want paravirt; then
    prepare_paravirt_tree
    build "$PVNAME$SUFFIX" "$PVSRC" "$PVCC_CC" paravirt vmlinux "${PVOPTS[@]}"
fi

if want check; then
    PV=$BUILDS/$PVNAME$SUFFIX
    say "the native table is call-safe"
    "$PY" "$HERE/kbuild.py" leaf "$PV/arch/ia64/kernel/pvcc_native.o" || status=1
    say "the pass-through hypervisor's C functions are call-safe"
    "$PY" "$HERE/kbuild.py" leaf "$PV/arch/ia64/kernel/pvcc_passthru.o" pvcc_pt_ || status=1
    if [ "$CONV" = light ]; then
        say "the light implementations follow the light convention"
        pvcc-check --callee "$PV/arch/ia64/kernel/pvcc_light.o" || status=1
    fi
    say "the pass-through hypervisor's light entries follow the light convention"
    pvcc-check --callee "$PV/arch/ia64/kernel/pvcc_passthru_light.o" || status=1
    # CONFIG_PVCC_UNWIND_TEST's thunk allocates a frame and calls C on purpose: not a
    # --callee; pvcc-check vmlinux's rule unwind proves its unwind information below
    say "records in vmlinux"
    ia64-linux-gnu-readelf -SW "$PV/vmlinux" | grep -E ' \.pvcc_sites ' || die "no .pvcc_sites in vmlinux"
    ia64-linux-gnu-nm "$PV/vmlinux" | grep -E ' (__start|__stop)_pvcc_sites$'
    say "pvcc-check vmlinux"
    pvcc-check "$PV/vmlinux" || status=1
    say "pvcc-check --patch native -o vmlinux.native vmlinux"
    if pvcc-check --json --patch native -o "$PV/vmlinux.native" "$PV/vmlinux" > "$BUILDS/patch.json"; then
        "$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(len(d["patched"]), "sites patched ->", d["output"])' "$BUILDS/patch.json"
        if [ -f "$BUILDS/plain$SUFFIX/vmlinux" ]; then
            say "sample sites: the call, the patched native code, the plain kernel's own instruction"
            "$PY" "$HERE/kbuild.py" samples "$BUILDS/patch.json" "$PV/vmlinux" \
                "$PV/vmlinux.native" "$BUILDS/plain$SUFFIX/vmlinux" || status=1
            say "function by function: plain vmlinux vs the paravirtualized one patched native"
            calls=()
            [ "$CONV" = c ] && calls=(--c-calls)   # a leaf with a C-call site gains alloc and b0
            "$PY" "$HERE/kbuild.py" functions "$BUILDS/plain$SUFFIX/vmlinux" \
                "$PV/vmlinux.native" --json "$BUILDS/functions-$PVNAME$SUFFIX.json" \
                "${calls[@]}" || status=1
        else
            echo "(no $BUILDS/plain$SUFFIX/vmlinux: run the plain step for the sample disassembly)"
        fi
    else
        head -c 4000 "$BUILDS/patch.json" >&2
        echo "pvcc-check --patch native failed" >&2
        status=1
    fi
fi

# patcher_runs ELF NATIVE_ELF LABEL: the boot-time patcher over ELF, host and pvcc-sim
patcher_runs() {
    local elf=$1 native=$2 label=$3
    echo "-- $label: host build of the patcher, native"
    "$PY" -m pvcc.kimage "$BUILDS/pvcc_patch_run" "$elf" --native "$native" || status=1
    if [ -n "$SIMPROG" ]; then
        echo "-- $label: the patcher in pvcc-sim, native (segments mapped at their addresses)"
        "$PY" -m pvcc.kimage --sim "$SIMPROG" "$elf" --native "$native" || status=1
    fi
}

if want boot || want modules; then
    KDIR=$PVSRC/arch/ia64/kernel    # the patcher and table the kernel was built with
    [ -f "$KDIR/pvcc_patch_table.h" ] || die "no $KDIR/pvcc_patch_table.h: run the paravirt step"
    say "the boot-time patcher outside the kernel: $KDIR/pvcc_patch.c"
    cc -O2 -Wall -Wextra -Werror -I "$KDIR" "$KDIR/pvcc_patch.c" "$HERE/pvcc_patch_run.c" \
        -o "$BUILDS/pvcc_patch_run" || die "the host build of the patcher failed"
    SIMPROG=$BUILDS/pvcc_patch_sim
    if ! pvcc-sim cc -O2 -I "$KDIR" "$KDIR/pvcc_patch.c" "$HERE/pvcc_patch_sim.c" -o "$SIMPROG"; then
        echo "(pvcc-sim cc failed: the pvcc-sim runs are skipped)"
        SIMPROG=
        status=1
    fi
fi

# boot_checks O_DIR: the patcher over O_DIR's vmlinux (native, then retargeted)
boot_checks() {
    local pv=$1
    if [ ! -f "$pv/vmlinux.native" ] || [ "$pv/vmlinux.native" -ot "$pv/vmlinux" ]; then
        pvcc-check -q --patch native -o "$pv/vmlinux.native" "$pv/vmlinux" || { status=1; return; }
    fi
    patcher_runs "$pv/vmlinux" "$pv/vmlinux.native" vmlinux
    say "retargeting $pv/vmlinux: a hypervisor table, the patcher, pvcc-check --verify-retarget"
    "$PY" "$HERE/kbuild.py" impls "$pv/vmlinux" > "$pv/impls.txt" || status=1
    cat "$pv/impls.txt"
    "$PY" -m pvcc.kimage "$BUILDS/pvcc_patch_run" "$pv/vmlinux" --impls "$pv/impls.txt" \
        -o "$pv/vmlinux.retarget" || status=1
    pvcc-check --verify-retarget "$pv/impls.txt" "$pv/vmlinux.retarget" || status=1
    if [ -n "$SIMPROG" ]; then
        "$PY" -m pvcc.kimage --sim "$SIMPROG" "$pv/vmlinux" --impls "$pv/impls.txt" \
            -o "$pv/vmlinux.retarget.sim" || status=1
        cmp "$pv/vmlinux.retarget" "$pv/vmlinux.retarget.sim" \
            && echo "pvcc-sim's retargeted vmlinux is byte-identical to the host run's" || status=1
    fi
    say "retargeting $pv/vmlinux to the pass-through hypervisor's implementations"
    "$PY" "$HERE/kbuild.py" passthru "$pv/vmlinux" || status=1
    "$PY" -m pvcc.passthru_impls --table "$pv/passthru.txt" || { status=1; return; }
    "$PY" -m pvcc.kimage "$BUILDS/pvcc_patch_run" "$pv/vmlinux" --impls "$pv/passthru.txt" \
        -o "$pv/vmlinux.passthru" || status=1
    pvcc-check --verify-retarget "$pv/passthru.txt" "$pv/vmlinux.passthru" || status=1
}

if want boot; then
    boot_checks "$BUILDS/$PVNAME$SUFFIX"
fi

if want modules; then
    prepare_paravirt_tree
    # in-tree modules of arch/ia64 (MSPEC, PALINFO, MC_ERR_INJECT) and pvcc's own
    build "$PVNAME-modules$SUFFIX" "$PVSRC" "$PVCC_CC" paravirt "vmlinux modules" \
        "${PVOPTS[@]}" "--enable MODULES" "--module MSPEC" "--module IA64_PALINFO" \
        "--module IA64_MC_ERR_INJECT"
    PM=$BUILDS/$PVNAME-modules$SUFFIX
    MOD=$BUILDS/pvcc-testmod
    mkdir -p "$MOD"
    cp "$HERE/pvcc_testmod.c" "$MOD/pvcc_testmod.c"
    echo 'obj-m += pvcc_testmod.o' > "$MOD/Kbuild"
    env "${PVCC_ENV[@]}" nice -n "$NICE" make -s -C "$PVSRC" "${MAKEVARS[@]}" CC="$PVCC_CC" \
        O="$PM" M="$MOD" modules \
        || die "the external module pvcc_testmod did not build"
    say "modules: pvcc-check on every .ko, and the patcher over each"
    mapfile -t kos < <(find "$PM" "$MOD" -name '*.ko' | sort)
    [ ${#kos[@]} -gt 0 ] || die "no .ko built"
    pvcc-check "${kos[@]}" || status=1
    for ko in "${kos[@]}"; do
        if ia64-linux-gnu-readelf -SW "$ko" | grep -q ' \.pvcc_sites '; then
            pvcc-check -q --patch native -o "$ko.native" "$ko" || { status=1; continue; }
            patcher_runs "$ko" "$ko.native" "$(basename "$ko")"
        else
            echo "-- $(basename "$ko"): no sites"
        fi
    done
    say "the modules configuration's vmlinux"
    pvcc-check "$PM/vmlinux" || status=1
    boot_checks "$PM"
fi

if want simboot; then
    [ "$CONFIG" = sim ] || die "simboot boots the sim configuration (PVCC_KERNEL_CONFIG=sim)"
    [ -f "$BUILDS/plain/vmlinux" ] || die "no $BUILDS/plain/vmlinux (the plain step builds it)"
    say "booting the sim kernels in pvcc-sim (kernel/simboot.py; about a minute of CPU each)"
    "$PY" "$HERE/simboot.py" "$BUILDS" || status=1
fi

if [ -f "$TIMINGS" ]; then
    say "timings"
    "$PY" "$REPO/benchmarks/bench_kernel.py" --timings "$TIMINGS" || true
fi
exit $status
