"""The machine's firmware: EFI and SAL tables placed in RAM, and the stub
addresses where the CPU hands calls to Python.

Stubs (physical, in the PAL_CODE region; layout.py):

    PAL_ENTRY            pal_proc of the SAL entry-point descriptor (every
                         PAL procedure, static or stacked by its index)
    SAL_ENTRY            sal_proc (the descriptor {SAL_ENTRY, FW_GP})
    EFI_ENTRY + 64*k     runtime service k of efi.RUNTIME_SERVICES, reached
                         through the descriptor the runtime table points to

The stub bytes are zeros, i.e. ``break.m 0`` bundles: a CPU that reaches a
stub without handing the call over stops on a break instead of running on.
A call in virtual mode reaches the same stub at its region-7 alias, so the
CPU side asks ``entry(ip & ~(7 << 61))`` (or the translated ip).

Tables (physical, RUNTIME_SERVICES_DATA region):

    RT_DATA_BASE + 0x000  EFI system table (revision 1.10)
                 + 0x100  firmware vendor, UCS-2
                 + 0x200  runtime services table
                 + 0x300  function descriptors {stub, FW_GP}, one per service
                 + 0x400  configuration tables: SAL system table, ACPI 2.0
                          RSDP, and with ``announce_pvcc`` the pvcc table
                 + 0x500  SAL system table
                 + 0x600  pvcc hypervisor table (when announced)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ... import hypercalls
from . import efi, pal, sal
from .calls import EFI_CALL, SAL_CALL, CallContext, CallResult, Convention
from .config import ProcessorConfig
from .layout import PAL_CODE_BASE, PAL_CODE_SIZE, RT_DATA_BASE
from .physmem import PhysicalMemory

PAL_ENTRY = PAL_CODE_BASE
SAL_ENTRY = PAL_CODE_BASE + 0x40
EFI_ENTRY = PAL_CODE_BASE + 0x100
EFI_STUB_STRIDE = 0x40
FW_GP = PAL_CODE_BASE + PAL_CODE_SIZE // 2   # gp of every descriptor; no stub uses it

SYSTAB = RT_DATA_BASE
FW_VENDOR = RT_DATA_BASE + 0x100
RUNTIME = RT_DATA_BASE + 0x200
DESCRIPTORS = RT_DATA_BASE + 0x300
CONFIG_TABLES = RT_DATA_BASE + 0x400
SAL_SYSTAB = RT_DATA_BASE + 0x500
PVCC_TABLE = RT_DATA_BASE + 0x600

VENDOR = "pvcc-sim"
FW_REVISION = 0x00010000
PVCC_HYPERCALL_IMM = hypercalls.BASE   # break immediate of hypercall 0 (pvcc.sim.hypercalls)
PVCC_NR_HYPERCALLS = hypercalls.COUNT


@dataclass(frozen=True)
class FirmwareEntry:
    """A stub: what the CPU calls when its ip reaches ``paddr``."""
    paddr: int
    kind: str            # "PAL", "SAL" or "EFI"
    service: str = ""    # the EFI runtime service

    @property
    def name(self) -> str:
        return f"EFI {self.service}" if self.kind == "EFI" else self.kind


class Firmware:
    """PAL, SAL and EFI of one machine; ``call`` counts every call by name."""

    def __init__(self, config: ProcessorConfig, *, rsdp: int | None = None,
                 announce_pvcc: bool = False):
        self.config = config
        self.rsdp = rsdp
        self.announce_pvcc = announce_pvcc
        self.pal = pal.Pal(config)
        self.sal = sal.Sal(config)
        self.runtime = efi.Runtime(config.itc_hz)
        self.calls: Counter[str] = Counter()
        self.unimplemented: Counter[str] = Counter()
        self.entries = {PAL_ENTRY: FirmwareEntry(PAL_ENTRY, "PAL"),
                        SAL_ENTRY: FirmwareEntry(SAL_ENTRY, "SAL")}
        for k, name in enumerate(efi.RUNTIME_SERVICES):
            a = EFI_ENTRY + EFI_STUB_STRIDE * k
            self.entries[a] = FirmwareEntry(a, "EFI", name)

    # -- calls -------------------------------------------------------------
    def entry(self, paddr: int) -> FirmwareEntry | None:
        return self.entries.get(paddr)

    def convention(self, entry: FirmwareEntry, r28: int = 0) -> Convention:
        """How ``entry`` is called; for PAL it depends on the index in r28."""
        if entry.kind == "PAL":
            return pal.convention(r28)
        return SAL_CALL if entry.kind == "SAL" else EFI_CALL

    def call(self, entry: FirmwareEntry, args: tuple[int, ...], ctx: CallContext) -> CallResult:
        """Run the call whose argument registers (as ``convention`` names
        them) hold ``args``; counted by name, unimplemented ones also apart."""
        if entry.kind == "PAL":
            name = pal.pal_name(args[0] if args else 0)
            res = self.pal.call(args, ctx)
        elif entry.kind == "SAL":
            name = sal.sal_name(args[0] if args else 0)
            res = self.sal.call(args, ctx)
        else:
            name = f"EFI {entry.service}"
            res = self.runtime.call(entry.service, args, ctx)
        self.calls[name] += 1
        if not res.implemented:
            self.unimplemented[name] += 1
        return res

    def stats_lines(self) -> list[str]:
        """``--stats``: one line per call name, unimplemented ones marked."""
        return [f"firmware {name}: {n}" + (" (unimplemented)" if name in self.unimplemented
                                           else "")
                for name, n in sorted(self.calls.items())]

    # -- tables ------------------------------------------------------------
    def config_tables(self) -> list[tuple[efi.uuid.UUID, int]]:
        out = [(efi.SAL_SYSTEM_TABLE_GUID, SAL_SYSTAB)]
        if self.rsdp is not None:
            out.append((efi.ACPI_20_TABLE_GUID, self.rsdp))
        if self.announce_pvcc:
            out.append((efi.PVCC_HYPERVISOR_GUID, PVCC_TABLE))
        return out

    def tables(self) -> list[tuple[int, bytes]]:
        """Every (physical address, bytes) the firmware places in RAM."""
        hdr = efi.EfiTableHeader
        out = [(FW_VENDOR, efi.ucs2(VENDOR))]
        rt = efi.EfiRuntimeServices(hdr=hdr(signature=efi.EFI_RUNTIME_SERVICES_SIGNATURE,
                                            revision=efi.EFI_1_10_REVISION,
                                            headersize=136))
        descs = b""
        for k, name in enumerate(efi.RUNTIME_SERVICES):
            setattr(rt, name, DESCRIPTORS + 16 * k)
            descs += bytes(efi.FunctionDescriptor(entry=EFI_ENTRY + EFI_STUB_STRIDE * k,
                                                  gp=FW_GP))
        out += [(RUNTIME, efi.with_crc(rt)), (DESCRIPTORS, descs)]
        cts = self.config_tables()
        ct = b"".join(bytes(efi.EfiConfigTable(
            guid=(efi.ctypes.c_uint8 * 16)(*efi.guid_bytes(g)), table=a)) for g, a in cts)
        out.append((CONFIG_TABLES, ct))
        st = efi.EfiSystemTable(hdr=hdr(signature=efi.EFI_SYSTEM_TABLE_SIGNATURE,
                                        revision=efi.EFI_1_10_REVISION, headersize=120),
                                fw_vendor=FW_VENDOR, fw_revision=FW_REVISION,
                                runtime=RUNTIME, nr_tables=len(cts), tables=CONFIG_TABLES)
        out.append((SYSTAB, efi.with_crc(st)))
        out.append((SAL_SYSTAB, sal.build_systab(PAL_ENTRY, SAL_ENTRY, FW_GP)))
        if self.announce_pvcc:
            out.append((PVCC_TABLE, bytes(efi.PvccHypervisorTable(
                signature=b"PVCCHYPV", revision=1, length=32,
                hypercall_imm=PVCC_HYPERCALL_IMM, nr_hypercalls=PVCC_NR_HYPERCALLS,
                flags=1))))
        return out

    def install(self, mem: PhysicalMemory) -> int:
        """Write the tables; returns the EFI system table's address (bp.efi_systab)."""
        for addr, data in self.tables():
            mem.write(addr, data)
        return SYSTAB
