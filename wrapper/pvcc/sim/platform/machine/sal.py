"""The SAL system table and the SAL procedures of the machine
(arch/ia64/include/asm/sal.h, arch/ia64/kernel/sal.c)."""

from __future__ import annotations

import ctypes

from .calls import CallContext, CallResult
from .config import ProcessorConfig

SAL_SET_VECTORS = 0x01000000
SAL_GET_STATE_INFO = 0x01000001
SAL_GET_STATE_INFO_SIZE = 0x01000002
SAL_CLEAR_STATE_INFO = 0x01000003
SAL_MC_RENDEZ = 0x01000004
SAL_MC_SET_PARAMS = 0x01000005
SAL_REGISTER_PHYSICAL_ADDR = 0x01000006
SAL_CACHE_FLUSH = 0x01000008
SAL_CACHE_INIT = 0x01000009
SAL_PCI_CONFIG_READ = 0x01000010
SAL_PCI_CONFIG_WRITE = 0x01000011
SAL_FREQ_BASE = 0x01000012
SAL_PHYSICAL_ID_INFO = 0x01000013
SAL_UPDATE_PAL = 0x01000020

SAL_NAMES = {
    SAL_SET_VECTORS: "SAL_SET_VECTORS", SAL_GET_STATE_INFO: "SAL_GET_STATE_INFO",
    SAL_GET_STATE_INFO_SIZE: "SAL_GET_STATE_INFO_SIZE",
    SAL_CLEAR_STATE_INFO: "SAL_CLEAR_STATE_INFO", SAL_MC_RENDEZ: "SAL_MC_RENDEZ",
    SAL_MC_SET_PARAMS: "SAL_MC_SET_PARAMS",
    SAL_REGISTER_PHYSICAL_ADDR: "SAL_REGISTER_PHYSICAL_ADDR",
    SAL_CACHE_FLUSH: "SAL_CACHE_FLUSH", SAL_CACHE_INIT: "SAL_CACHE_INIT",
    SAL_PCI_CONFIG_READ: "SAL_PCI_CONFIG_READ", SAL_PCI_CONFIG_WRITE: "SAL_PCI_CONFIG_WRITE",
    SAL_FREQ_BASE: "SAL_FREQ_BASE", SAL_PHYSICAL_ID_INFO: "SAL_PHYSICAL_ID_INFO",
    SAL_UPDATE_PAL: "SAL_UPDATE_PAL",
}

SAL_STATUS_SUCCESS = 0
SAL_STATUS_UNIMPLEMENTED = -1
SAL_STATUS_EINVAL = -2
SAL_STATUS_NO_INFORMATION = -5

SAL_FREQ_BASE_PLATFORM = 0
SAL_FREQ_BASE_INTERVAL_TIMER = 1
SAL_FREQ_BASE_REALTIME_CLOCK = 2

SAL_DESC_ENTRY_POINT = 0


def sal_name(index: int) -> str:
    return SAL_NAMES.get(index, f"SAL_{index:#x}")


class SalSystemTable(ctypes.LittleEndianStructure):
    """struct ia64_sal_systab (sal.h), 96 bytes."""
    _pack_ = 1
    _fields_ = [
        ("signature", ctypes.c_char * 4),
        ("size", ctypes.c_uint32),
        ("sal_rev_minor", ctypes.c_uint8),
        ("sal_rev_major", ctypes.c_uint8),
        ("entry_count", ctypes.c_uint16),
        ("checksum", ctypes.c_uint8),
        ("reserved1", ctypes.c_uint8 * 7),
        ("sal_a_rev_minor", ctypes.c_uint8),
        ("sal_a_rev_major", ctypes.c_uint8),
        ("sal_b_rev_minor", ctypes.c_uint8),
        ("sal_b_rev_major", ctypes.c_uint8),
        ("oem_id", ctypes.c_char * 32),
        ("product_id", ctypes.c_char * 32),
        ("reserved2", ctypes.c_uint8 * 8),
    ]


class SalEntryPointDescriptor(ctypes.LittleEndianStructure):
    """struct ia64_sal_desc_entry_point (sal.h), 48 bytes; addresses physical."""
    _pack_ = 1
    _fields_ = [
        ("type", ctypes.c_uint8),
        ("reserved1", ctypes.c_uint8 * 7),
        ("pal_proc", ctypes.c_uint64),
        ("sal_proc", ctypes.c_uint64),
        ("gp", ctypes.c_uint64),
        ("reserved2", ctypes.c_uint8 * 16),
    ]


assert ctypes.sizeof(SalSystemTable) == 96
assert ctypes.sizeof(SalEntryPointDescriptor) == 48


def _bcd(n: int) -> int:
    return (n // 10) << 4 | n % 10


def build_systab(pal_proc: int, sal_proc: int, gp: int) -> bytes:
    """The SAL system table: header and one entry-point descriptor, revision
    3.20 (BCD), checksum making the byte sum 0 (the kernel does not check it)."""
    ep = SalEntryPointDescriptor(type=SAL_DESC_ENTRY_POINT, pal_proc=pal_proc,
                                 sal_proc=sal_proc, gp=gp)
    hdr = SalSystemTable(signature=b"SST_", size=96 + 48, sal_rev_major=_bcd(3),
                         sal_rev_minor=_bcd(20), entry_count=1, sal_a_rev_major=_bcd(1),
                         sal_b_rev_major=_bcd(1), oem_id=b"PVCC", product_id=b"pvcc-sim")
    body = bytearray(bytes(hdr) + bytes(ep))
    body[SalSystemTable.checksum.offset] = (-sum(body)) & 0xFF
    return bytes(body)


class Sal:
    """SAL procedures: index in in0, arguments in1-in7."""

    def __init__(self, config: ProcessorConfig):
        self.config = config
        self.vectors: dict[int, tuple[int, ...]] = {}     # SAL_SET_VECTORS by type
        self.mc_params: dict[int, tuple[int, ...]] = {}   # SAL_MC_SET_PARAMS by type
        self.procs = {
            SAL_FREQ_BASE: self.freq_base, SAL_MC_SET_PARAMS: self.mc_set_params,
            SAL_SET_VECTORS: self.set_vectors, SAL_GET_STATE_INFO_SIZE: self.state_info_size,
            SAL_GET_STATE_INFO: self.get_state_info, SAL_CLEAR_STATE_INFO: self.clear_state_info,
        }

    def implemented(self, index: int) -> bool:
        return index in self.procs

    def call(self, args: tuple[int, ...], ctx: CallContext) -> CallResult:
        a = (tuple(args) + (0,) * 8)[:8]
        fn = self.procs.get(a[0])
        if fn is None:
            return CallResult(SAL_STATUS_UNIMPLEMENTED & ((1 << 64) - 1), implemented=False)
        return fn(a[1:], ctx)

    def freq_base(self, a, ctx):
        # v0 ticks per second, v1 drift in ppm (0: the machine's clocks are exact).
        which = a[0]
        if which == SAL_FREQ_BASE_PLATFORM:
            return CallResult(SAL_STATUS_SUCCESS, self.config.platform_hz, 0)
        if which == SAL_FREQ_BASE_INTERVAL_TIMER:
            return CallResult(SAL_STATUS_SUCCESS, self.config.itc_hz, 0)
        return CallResult(SAL_STATUS_EINVAL & ((1 << 64) - 1))

    def mc_set_params(self, a, ctx):
        self.mc_params[a[0]] = a[1:5]
        return CallResult(SAL_STATUS_SUCCESS)

    def set_vectors(self, a, ctx):
        self.vectors[a[0]] = a[1:7]
        return CallResult(SAL_STATUS_SUCCESS)

    def state_info_size(self, a, ctx):
        # The machine keeps no error records: size 0 (mca.c then allocates no log).
        return CallResult(SAL_STATUS_SUCCESS, 0)

    def get_state_info(self, a, ctx):
        return CallResult(SAL_STATUS_NO_INFORMATION & ((1 << 64) - 1))

    def clear_state_info(self, a, ctx):
        return CallResult(SAL_STATUS_SUCCESS)
