"""EFI data of the machine and its runtime services (include/linux/efi.h,
arch/ia64/kernel/efi.c): the system table, the runtime services table whose
entries point at ia64 function descriptors {entry, gp}, the configuration
tables, and the runtime calls.  Every address in them is physical."""

from __future__ import annotations

import ctypes
import datetime
import uuid
import zlib

from .calls import CallContext, CallResult, MachineStop

EFI_SYSTEM_TABLE_SIGNATURE = 0x5453595320494249      # "IBI SYST"
EFI_RUNTIME_SERVICES_SIGNATURE = 0x56524553544E5552  # "RUNTSERV"
EFI_1_10_REVISION = (1 << 16) | 10

ERR = 1 << 63
EFI_SUCCESS = 0
EFI_INVALID_PARAMETER = ERR | 2
EFI_UNSUPPORTED = ERR | 3

SAL_SYSTEM_TABLE_GUID = uuid.UUID("eb9d2d32-2d88-11d3-9a16-0090273fc14d")
ACPI_20_TABLE_GUID = uuid.UUID("8868e871-e4f1-11d3-bc22-0080c73c8881")
# pvcc's own: announces the pass-through hypervisor of pvcc-sim (docs/machine.md).
PVCC_HYPERVISOR_GUID = uuid.UUID("69e7ba3f-648e-417c-b54e-7275b155c532")


class EfiTableHeader(ctypes.LittleEndianStructure):
    _pack_ = 1
    _fields_ = [
        ("signature", ctypes.c_uint64),
        ("revision", ctypes.c_uint32),
        ("headersize", ctypes.c_uint32),
        ("crc32", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32),
    ]


class EfiSystemTable(ctypes.LittleEndianStructure):
    """efi_system_table_64_t, 120 bytes."""
    _pack_ = 1
    _fields_ = [
        ("hdr", EfiTableHeader),
        ("fw_vendor", ctypes.c_uint64),
        ("fw_revision", ctypes.c_uint32),
        ("pad1", ctypes.c_uint32),
        ("con_in_handle", ctypes.c_uint64),
        ("con_in", ctypes.c_uint64),
        ("con_out_handle", ctypes.c_uint64),
        ("con_out", ctypes.c_uint64),
        ("stderr_handle", ctypes.c_uint64),
        ("stderr", ctypes.c_uint64),
        ("runtime", ctypes.c_uint64),
        ("boottime", ctypes.c_uint64),
        ("nr_tables", ctypes.c_uint32),
        ("pad2", ctypes.c_uint32),
        ("tables", ctypes.c_uint64),
    ]


# The runtime services in the order of the table (efi.h).
RUNTIME_SERVICES = (
    "GetTime", "SetTime", "GetWakeupTime", "SetWakeupTime", "SetVirtualAddressMap",
    "ConvertPointer", "GetVariable", "GetNextVariableName", "SetVariable",
    "GetNextHighMonotonicCount", "ResetSystem", "UpdateCapsule",
    "QueryCapsuleCapabilities", "QueryVariableInfo",
)


class EfiRuntimeServices(ctypes.LittleEndianStructure):
    """The 64-bit runtime services table: header and one pointer (to a function
    descriptor) per service, 136 bytes."""
    _pack_ = 1
    _fields_ = [("hdr", EfiTableHeader)] + [(n, ctypes.c_uint64) for n in RUNTIME_SERVICES]


class FunctionDescriptor(ctypes.LittleEndianStructure):
    """An ia64 function descriptor: entry point and gp."""
    _pack_ = 1
    _fields_ = [("entry", ctypes.c_uint64), ("gp", ctypes.c_uint64)]


class EfiConfigTable(ctypes.LittleEndianStructure):
    """efi_config_table_64_t: GUID and a physical address, 24 bytes."""
    _pack_ = 1
    _fields_ = [("guid", ctypes.c_uint8 * 16), ("table", ctypes.c_uint64)]


class EfiTime(ctypes.LittleEndianStructure):
    """efi_time_t, 16 bytes."""
    _pack_ = 1
    _fields_ = [
        ("year", ctypes.c_uint16), ("month", ctypes.c_uint8), ("day", ctypes.c_uint8),
        ("hour", ctypes.c_uint8), ("minute", ctypes.c_uint8), ("second", ctypes.c_uint8),
        ("pad1", ctypes.c_uint8), ("nanosecond", ctypes.c_uint32),
        ("timezone", ctypes.c_int16), ("daylight", ctypes.c_uint8), ("pad2", ctypes.c_uint8),
    ]


class EfiTimeCap(ctypes.LittleEndianStructure):
    """efi_time_cap_t with C's natural alignment, 12 bytes."""
    _fields_ = [("resolution", ctypes.c_uint32), ("accuracy", ctypes.c_uint32),
                ("sets_to_zero", ctypes.c_uint8)]


class PvccHypervisorTable(ctypes.LittleEndianStructure):
    """The table of PVCC_HYPERVISOR_GUID (docs/machine.md), 32 bytes."""
    _pack_ = 1
    _fields_ = [
        ("signature", ctypes.c_char * 8),     # "PVCCHYPV"
        ("revision", ctypes.c_uint32),        # 1
        ("length", ctypes.c_uint32),          # 32
        ("hypercall_imm", ctypes.c_uint64),   # break immediate of hypercall 0
        ("nr_hypercalls", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),           # bit 0: pass-through (every operation performed)
    ]


for _s, _n in ((EfiTableHeader, 24), (EfiSystemTable, 120), (EfiRuntimeServices, 136),
               (FunctionDescriptor, 16), (EfiConfigTable, 24), (EfiTime, 16),
               (EfiTimeCap, 12), (PvccHypervisorTable, 32)):
    assert ctypes.sizeof(_s) == _n, (_s, ctypes.sizeof(_s))


def with_crc(table: ctypes.Structure) -> bytes:
    """The bytes of a table that starts with an EfiTableHeader, CRC32 filled in
    (over headersize bytes with the field 0, as the EFI specification says)."""
    table.hdr.crc32 = 0
    table.hdr.crc32 = zlib.crc32(bytes(table)[:table.hdr.headersize])
    return bytes(table)


def ucs2(s: str) -> bytes:
    return s.encode("utf-16-le") + b"\0\0"


def guid_bytes(g: uuid.UUID) -> bytes:
    """EFI_GUID's memory order: a (u32), b, c (u16) little-endian, then d[8]."""
    return g.bytes_le


# -- runtime services ------------------------------------------------------

# The machine's clock: a fixed moment plus the ITC's elapsed time, so a run
# sees the same time every time (docs/machine.md).
RTC_EPOCH = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
EFI_UNSPECIFIED_TIMEZONE = 0x07FF


class Runtime:
    """EFI runtime calls; arguments in0-in7 (efi_call_phys passes physical pointers)."""

    def __init__(self, itc_hz: int, epoch: datetime.datetime = RTC_EPOCH):
        self.itc_hz = itc_hz
        self.epoch = epoch
        self.calls = {
            "GetTime": self.get_time,
            "SetVirtualAddressMap": self.set_virtual_address_map,
            "ResetSystem": self.reset_system,
        }

    def implemented(self, name: str) -> bool:
        return name in self.calls

    def call(self, name: str, args: tuple[int, ...], ctx: CallContext) -> CallResult:
        fn = self.calls.get(name)
        if fn is None:
            return CallResult(EFI_UNSUPPORTED, implemented=False)
        return fn((tuple(args) + (0,) * 8)[:8], ctx)

    def now(self, itc: int) -> datetime.datetime:
        return self.epoch + datetime.timedelta(microseconds=itc * 1_000_000 // self.itc_hz)

    def get_time(self, a, ctx):
        tm, tc = a[0], a[1]
        if not tm:
            return CallResult(EFI_INVALID_PARAMETER)
        t = self.now(ctx.timer.itc)
        ctx.mem.write(tm, bytes(EfiTime(year=t.year, month=t.month, day=t.day, hour=t.hour,
                                        minute=t.minute, second=t.second,
                                        nanosecond=t.microsecond * 1000,
                                        timezone=EFI_UNSPECIFIED_TIMEZONE)))
        if tc:
            ctx.mem.write(tc, bytes(EfiTimeCap(resolution=1, accuracy=0, sets_to_zero=0)))
        return CallResult(EFI_SUCCESS)

    def set_virtual_address_map(self, a, ctx):
        # The firmware stays in physical mode: the kernel warns and keeps
        # calling it through efi_call_phys (arch/ia64/kernel/efi.c).
        return CallResult(EFI_UNSUPPORTED)

    def reset_system(self, a, ctx):
        return CallResult(EFI_SUCCESS, stop=MachineStop("reset", status=a[1], reset_type=a[0]))
