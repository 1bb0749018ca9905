"""PAL procedures of the machine (arch/ia64/include/asm/pal.h for the layouts).

One entry point (``pal_proc`` of the SAL entry-point descriptor) serves every
procedure; the index decides the convention (0-255 static, 256-511
stacked).  ``call(args, ctx)`` takes the four argument registers of that
convention, index first.  Word layouts are built from named bit fields
(ctypes bit-field words), as pal.h declares them.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

from .calls import PAL_STACKED, PAL_STATIC, CallContext, CallResult, Convention, MachineStop
from .config import ProcessorConfig

PAL_STATUS_SUCCESS = 0
PAL_STATUS_UNIMPLEMENTED = -1
PAL_STATUS_EINVAL = -2

# index -> name, pal.h
PAL_NAMES = {
    1: "PAL_CACHE_FLUSH", 2: "PAL_CACHE_INFO", 3: "PAL_CACHE_INIT", 4: "PAL_CACHE_SUMMARY",
    5: "PAL_MEM_ATTRIB", 6: "PAL_PTCE_INFO", 7: "PAL_VM_INFO", 8: "PAL_VM_SUMMARY",
    9: "PAL_BUS_GET_FEATURES", 10: "PAL_BUS_SET_FEATURES", 11: "PAL_DEBUG_INFO",
    12: "PAL_FIXED_ADDR", 13: "PAL_FREQ_BASE", 14: "PAL_FREQ_RATIOS",
    15: "PAL_PERF_MON_INFO", 16: "PAL_PLATFORM_ADDR", 17: "PAL_PROC_GET_FEATURES",
    18: "PAL_PROC_SET_FEATURES", 19: "PAL_RSE_INFO", 20: "PAL_VERSION",
    21: "PAL_MC_CLEAR_LOG", 22: "PAL_MC_DRAIN", 23: "PAL_MC_EXPECTED",
    24: "PAL_MC_DYNAMIC_STATE", 25: "PAL_MC_ERROR_INFO", 26: "PAL_MC_RESUME",
    27: "PAL_MC_REGISTER_MEM", 28: "PAL_HALT", 29: "PAL_HALT_LIGHT", 30: "PAL_COPY_INFO",
    31: "PAL_CACHE_LINE_INIT", 32: "PAL_PMI_ENTRYPOINT", 33: "PAL_ENTER_IA_32_ENV",
    34: "PAL_VM_PAGE_SIZE", 37: "PAL_MEM_FOR_TEST", 38: "PAL_CACHE_PROT_INFO",
    39: "PAL_REGISTER_INFO", 40: "PAL_SHUTDOWN", 41: "PAL_PREFETCH_VISIBILITY",
    42: "PAL_LOGICAL_TO_PHYSICAL", 43: "PAL_CACHE_SHARED_INFO", 48: "PAL_GET_HW_POLICY",
    49: "PAL_SET_HW_POLICY", 50: "PAL_VP_INFO", 51: "PAL_MC_HW_TRACKING",
    256: "PAL_COPY_PAL", 257: "PAL_HALT_INFO", 258: "PAL_TEST_PROC", 259: "PAL_CACHE_READ",
    260: "PAL_CACHE_WRITE", 261: "PAL_VM_TR_READ", 262: "PAL_GET_PSTATE",
    263: "PAL_SET_PSTATE", 274: "PAL_BRAND_INFO", 276: "PAL_MC_ERROR_INJECT",
}


def pal_name(index: int) -> str:
    return PAL_NAMES.get(index, f"PAL_{index}")


def convention(index: int) -> Convention:
    """Static for 0-255, stacked for 256-511 (the SDM's split, which
    ia64_pal_call_static/_stacked follow)."""
    return PAL_STACKED if 256 <= index < 512 else PAL_STATIC


_U64 = ctypes.c_uint64


class _Word(ctypes.LittleEndianStructure):
    """A 64-bit result word of bit fields, as pal.h declares it."""

    @property
    def value(self) -> int:
        return int.from_bytes(bytes(self), "little")


class CacheConfigInfo1(_Word):
    """pal_cache_config_info_1_s"""
    _fields_ = [("u", _U64, 1), ("at", _U64, 2), ("reserved", _U64, 5),
                ("associativity", _U64, 8), ("line_size", _U64, 8), ("stride", _U64, 8),
                ("store_latency", _U64, 8), ("load_latency", _U64, 8),
                ("store_hints", _U64, 8), ("load_hints", _U64, 8)]


class CacheConfigInfo2(_Word):
    """pal_cache_config_info_2_s"""
    _fields_ = [("cache_size", _U64, 32), ("alias_boundary", _U64, 8),
                ("tag_ls_bit", _U64, 8), ("tag_ms_bit", _U64, 8), ("reserved", _U64, 8)]


class VmInfo1(_Word):
    """pal_vm_info_1_s"""
    _fields_ = [("vw", _U64, 1), ("phys_add_size", _U64, 7), ("key_size", _U64, 8),
                ("max_pkr", _U64, 8), ("hash_tag_id", _U64, 8), ("max_dtr_entry", _U64, 8),
                ("max_itr_entry", _U64, 8), ("max_unique_tcs", _U64, 8),
                ("num_tc_levels", _U64, 8)]


class VmInfo2(_Word):
    """pal_vm_info_2_s"""
    _fields_ = [("impl_va_msb", _U64, 8), ("rid_size", _U64, 8), ("max_purges", _U64, 16),
                ("reserved", _U64, 32)]


class FreqRatio(_Word):
    """struct pal_freq_ratio {u32 den, num}: read by the kernel as one word."""
    _fields_ = [("den", _U64, 32), ("num", _U64, 32)]


class PtceCounts(_Word):
    """PAL_PTCE_INFO's count (or stride) word: ia64_get_ptce takes [0] from
    the high half and [1] from the low half."""
    _fields_ = [("second", _U64, 32), ("first", _U64, 32)]


class PowerMgmtInfo(_Word):
    """pal_power_mgmt_info_s"""
    _fields_ = [("exit_latency", _U64, 16), ("entry_latency", _U64, 16),
                ("power_consumption", _U64, 28), ("im", _U64, 1), ("co", _U64, 1),
                ("reserved", _U64, 2)]


for _w in (CacheConfigInfo1, CacheConfigInfo2, VmInfo1, VmInfo2, FreqRatio, PtceCounts,
           PowerMgmtInfo):
    assert ctypes.sizeof(_w) == 8, _w


def _signed(v: int) -> int:
    return v & ((1 << 64) - 1)


# -- caches ---------------------------------------------------------------

@dataclass(frozen=True)
class Cache:
    """One cache of pal_cache_config_info_t; sizes as the kernel reads them."""
    name: str
    level: int        # 0-based, as PAL numbers levels
    type: int         # 1 instruction, 2 data or unified
    unified: bool
    size: int
    assoc: int
    line_shift: int   # log2 of the line size
    stride_shift: int # log2 of the flush stride
    attr: int         # 0 write-through, 1 write-back
    latency: int

    def info1(self) -> int:
        return CacheConfigInfo1(u=int(self.unified), at=self.attr, associativity=self.assoc,
                                line_size=self.line_shift, stride=self.stride_shift,
                                store_latency=self.latency, load_latency=self.latency,
                                store_hints=0x1, load_hints=0x1).value

    def info2(self, phys_bits: int) -> int:
        set_shift = (self.size // self.assoc).bit_length() - 1
        return CacheConfigInfo2(cache_size=self.size, alias_boundary=12,
                                tag_ls_bit=set_shift, tag_ms_bit=phys_bits - 1).value


# An Itanium 2-like hierarchy.  Every (level, type) pair answered with success
# is one "unique cache": topology.c allocates CACHE_SUMMARY's unique count of
# leaves and fills one per successful PAL_CACHE_INFO(level, 2 then 1), so a
# unified cache answers type 1 with EINVAL.
CACHES = (
    Cache("L1D", 0, 2, False, 16 << 10, 4, 6, 6, 0, 1),
    Cache("L1I", 0, 1, False, 16 << 10, 4, 6, 6, 1, 1),
    Cache("L2", 1, 2, True, 256 << 10, 8, 7, 7, 1, 5),
    Cache("L3", 2, 2, True, 3 << 20, 12, 7, 7, 1, 12),
)


class Pal:
    """The PAL of a machine with processor ``config``."""

    def __init__(self, config: ProcessorConfig, brand: str = "pvcc-sim IA-64 model"):
        self.config = config
        self.brand = brand
        self.procs = {
            1: self.cache_flush, 2: self.cache_info, 4: self.cache_summary,
            6: self.ptce_info, 8: self.vm_summary, 14: self.freq_ratios,
            17: self.proc_get_features, 18: self.proc_set_features, 19: self.rse_info,
            28: self.halt, 29: self.halt_light, 34: self.vm_page_size,
            257: self.halt_info, 274: self.brand_info,
        }

    def implemented(self, index: int) -> bool:
        return index in self.procs

    def call(self, args: tuple[int, ...], ctx: CallContext) -> CallResult:
        """args = (index, arg1, arg2, arg3) from r28-r31 or in0-in3."""
        index, *rest = (tuple(args) + (0, 0, 0, 0))[:4]
        fn = self.procs.get(index)
        if fn is None:
            return CallResult(_signed(PAL_STATUS_UNIMPLEMENTED), implemented=False)
        return fn(rest[0], rest[1], rest[2], ctx)

    # -- the procedures (a1..a3: the arguments after the index) -------------
    def cache_flush(self, a1, a2, a3, ctx):
        # Nothing to flush in the model; v0: no interrupt pending, v1: progress 0.
        return CallResult(PAL_STATUS_SUCCESS, 0, 0)

    def cache_summary(self, a1, a2, a3, ctx):
        levels = max(c.level for c in CACHES) + 1
        return CallResult(PAL_STATUS_SUCCESS, levels, len(CACHES))

    def cache_info(self, level, cache_type, a3, ctx):
        for c in CACHES:
            if c.level == level and c.type == cache_type:
                return CallResult(PAL_STATUS_SUCCESS, c.info1(),
                                  c.info2(self.config.phys_addr_bits), 0)
        return CallResult(_signed(PAL_STATUS_EINVAL))

    def ptce_info(self, a1, a2, a3, ctx):
        # One ptc.e purges the whole TC: base 0, count {1, 1}, stride {0, 0}.
        return CallResult(PAL_STATUS_SUCCESS, 0, PtceCounts(first=1, second=1).value,
                          PtceCounts(first=0, second=0).value)

    def vm_summary(self, a1, a2, a3, ctx):
        c = self.config
        v0 = VmInfo1(vw=int(c.vhpt_walker), phys_add_size=c.phys_addr_bits,
                     key_size=c.key_bits, max_pkr=c.n_pkr - 1, hash_tag_id=0,
                     max_dtr_entry=c.n_dtr - 1, max_itr_entry=c.n_itr - 1,
                     max_unique_tcs=2, num_tc_levels=1)
        v1 = VmInfo2(impl_va_msb=c.impl_va_msb, rid_size=c.rid_bits, max_purges=1)
        return CallResult(PAL_STATUS_SUCCESS, v0.value, v1.value)

    def vm_page_size(self, a1, a2, a3, ctx):
        # v0: sizes a TR/TC insert takes; v1: sizes ptc purges (purge.mask).
        return CallResult(PAL_STATUS_SUCCESS, self.config.page_sizes, self.config.page_sizes)

    def freq_ratios(self, a1, a2, a3, ctx):
        c = self.config
        words = [FreqRatio(den=r.denominator, num=r.numerator).value
                 for r in (c.ratio(c.cpu_hz), c.ratio(c.bus_hz), c.ratio(c.itc_hz))]
        return CallResult(PAL_STATUS_SUCCESS, *words)

    def rse_info(self, a1, a2, a3, ctx):
        return CallResult(PAL_STATUS_SUCCESS, self.config.nphys, 0)

    def proc_get_features(self, a1, feature_set, a3, ctx):
        # No configurable feature in any set: available, status, control all 0
        # (setup.c then makes no PAL_PROC_SET_FEATURES call).
        return CallResult(PAL_STATUS_SUCCESS, 0, 0, 0)

    def proc_set_features(self, feature_select, a2, a3, ctx):
        return CallResult(PAL_STATUS_SUCCESS if feature_select == 0
                          else _signed(PAL_STATUS_EINVAL))

    def halt_light(self, a1, a2, a3, ctx):
        """Wait for an unmasked interrupt: the only one the machine raises by
        itself is the timer, so the ITC jumps to cr.itm when the timer is
        unmasked and its match lies ahead (64-bit wrap-around)."""
        t = ctx.timer
        if not t.itv & (1 << 16):
            ahead = (t.itm - t.itc) & ((1 << 64) - 1)
            if 0 < ahead < (1 << 63):
                t.itc = t.itm
        return CallResult(PAL_STATUS_SUCCESS)

    def halt(self, state, a2, a3, ctx):
        return CallResult(PAL_STATUS_SUCCESS, stop=MachineStop("halt"))

    def halt_info(self, buf, a2, a3, ctx):
        # 8 pal_power_mgmt_info_u_t words; only state 0 (HALT) is implemented.
        words = [PowerMgmtInfo(exit_latency=1, entry_latency=1, power_consumption=0,
                               im=1, co=1)] + [PowerMgmtInfo() for _ in range(7)]
        ctx.mem.write(buf, b"".join(bytes(w) for w in words))
        return CallResult(PAL_STATUS_SUCCESS)

    def brand_info(self, request, buf, a3, ctx):
        if request != 0:
            return CallResult(_signed(PAL_STATUS_EINVAL))
        ctx.mem.write(buf, self.brand.encode()[:127] + b"\0")
        return CallResult(PAL_STATUS_SUCCESS)
