"""ACPI tables of the machine: RSDP 2.0 -> XSDT -> {FADT -> DSDT, MADT}.

- MADT: one enabled Local SAPIC (type 7) whose id/eid are cr.lid's and
  one I/O SAPIC (type 6, GSI base 0; iosapic.py) with nothing wired to it;
  the local interrupt controller address is only ioremapped by the kernel
  (it serves IPIs, arch/ia64/kernel/acpi.c).
- FADT revision 6 with HW_REDUCED_ACPI: no PM1/GPE/SCI hardware to model,
  and arch/ia64's own FADT parse (which only acts on revision 3) leaves it
  alone.
- DSDT: ``\\_SB.COM1``, _HID PNP0501 (a 16550), _CRS the UART's registers
  (Memory32Fixed, or IO at port 0x3F8), no interrupt: the 8250 driver polls.

All tables live in the ACPI_RECLAIM region (the kernel reads them through
__va(), so they must be WB RAM); checksums make each table's byte sum 0.
"""

from __future__ import annotations

import ctypes

from .layout import ACPI_BASE, IOSAPIC_BASE, UART_BASE

OEM_ID = b"PVCC  "
OEM_TABLE_ID = b"PVCCSIM "
CREATOR_ID = b"PVCC"

RSDP_ADDR = ACPI_BASE
XSDT_ADDR = ACPI_BASE + 0x40
FADT_ADDR = ACPI_BASE + 0x100
MADT_ADDR = ACPI_BASE + 0x300
DSDT_ADDR = ACPI_BASE + 0x400

LOCAL_SAPIC_ADDR = 0xFEE00000      # MADT local interrupt controller address
FADT_HW_REDUCED_ACPI = 1 << 20
MADT_TYPE_IO_SAPIC = 6
MADT_TYPE_LOCAL_SAPIC = 7
MADT_ENABLED = 1


class RSDP(ctypes.LittleEndianStructure):
    """ACPI 2.0 Root System Description Pointer, 36 bytes."""
    _pack_ = 1
    _fields_ = [
        ("signature", ctypes.c_char * 8),
        ("checksum", ctypes.c_uint8),        # first 20 bytes
        ("oem_id", ctypes.c_char * 6),
        ("revision", ctypes.c_uint8),
        ("rsdt_address", ctypes.c_uint32),
        ("length", ctypes.c_uint32),
        ("xsdt_address", ctypes.c_uint64),
        ("extended_checksum", ctypes.c_uint8),
        ("reserved", ctypes.c_uint8 * 3),
    ]


class TableHeader(ctypes.LittleEndianStructure):
    """The 36-byte header of every description table."""
    _pack_ = 1
    _fields_ = [
        ("signature", ctypes.c_char * 4),
        ("length", ctypes.c_uint32),
        ("revision", ctypes.c_uint8),
        ("checksum", ctypes.c_uint8),
        ("oem_id", ctypes.c_char * 6),
        ("oem_table_id", ctypes.c_char * 8),
        ("oem_revision", ctypes.c_uint32),
        ("creator_id", ctypes.c_char * 4),
        ("creator_revision", ctypes.c_uint32),
    ]


class GenericAddress(ctypes.LittleEndianStructure):
    _pack_ = 1
    _fields_ = [
        ("space_id", ctypes.c_uint8), ("bit_width", ctypes.c_uint8),
        ("bit_offset", ctypes.c_uint8), ("access_width", ctypes.c_uint8),
        ("address", ctypes.c_uint64),
    ]


class FADT(ctypes.LittleEndianStructure):
    """Fixed ACPI Description Table, revision 6 (ACPI 6.0), 276 bytes."""
    _pack_ = 1
    _fields_ = [
        ("header", TableHeader),
        ("firmware_ctrl", ctypes.c_uint32), ("dsdt", ctypes.c_uint32),
        ("reserved0", ctypes.c_uint8), ("preferred_pm_profile", ctypes.c_uint8),
        ("sci_int", ctypes.c_uint16), ("smi_cmd", ctypes.c_uint32),
        ("acpi_enable", ctypes.c_uint8), ("acpi_disable", ctypes.c_uint8),
        ("s4bios_req", ctypes.c_uint8), ("pstate_cnt", ctypes.c_uint8),
        ("pm1a_evt_blk", ctypes.c_uint32), ("pm1b_evt_blk", ctypes.c_uint32),
        ("pm1a_cnt_blk", ctypes.c_uint32), ("pm1b_cnt_blk", ctypes.c_uint32),
        ("pm2_cnt_blk", ctypes.c_uint32), ("pm_tmr_blk", ctypes.c_uint32),
        ("gpe0_blk", ctypes.c_uint32), ("gpe1_blk", ctypes.c_uint32),
        ("pm1_evt_len", ctypes.c_uint8), ("pm1_cnt_len", ctypes.c_uint8),
        ("pm2_cnt_len", ctypes.c_uint8), ("pm_tmr_len", ctypes.c_uint8),
        ("gpe0_blk_len", ctypes.c_uint8), ("gpe1_blk_len", ctypes.c_uint8),
        ("gpe1_base", ctypes.c_uint8), ("cst_cnt", ctypes.c_uint8),
        ("p_lvl2_lat", ctypes.c_uint16), ("p_lvl3_lat", ctypes.c_uint16),
        ("flush_size", ctypes.c_uint16), ("flush_stride", ctypes.c_uint16),
        ("duty_offset", ctypes.c_uint8), ("duty_width", ctypes.c_uint8),
        ("day_alrm", ctypes.c_uint8), ("mon_alrm", ctypes.c_uint8),
        ("century", ctypes.c_uint8), ("iapc_boot_arch", ctypes.c_uint16),
        ("reserved1", ctypes.c_uint8), ("flags", ctypes.c_uint32),
        ("reset_reg", GenericAddress), ("reset_value", ctypes.c_uint8),
        ("arm_boot_arch", ctypes.c_uint16), ("minor_revision", ctypes.c_uint8),
        ("x_firmware_ctrl", ctypes.c_uint64), ("x_dsdt", ctypes.c_uint64),
        ("x_pm1a_evt_blk", GenericAddress), ("x_pm1b_evt_blk", GenericAddress),
        ("x_pm1a_cnt_blk", GenericAddress), ("x_pm1b_cnt_blk", GenericAddress),
        ("x_pm2_cnt_blk", GenericAddress), ("x_pm_tmr_blk", GenericAddress),
        ("x_gpe0_blk", GenericAddress), ("x_gpe1_blk", GenericAddress),
        ("sleep_control", GenericAddress), ("sleep_status", GenericAddress),
        ("hypervisor_id", ctypes.c_uint64),
    ]


class MADT(ctypes.LittleEndianStructure):
    """Multiple APIC Description Table without its entries, 44 bytes."""
    _pack_ = 1
    _fields_ = [("header", TableHeader), ("address", ctypes.c_uint32),
                ("flags", ctypes.c_uint32)]


class LocalSapic(ctypes.LittleEndianStructure):
    """MADT entry type 7 with an empty UID string, 17 bytes."""
    _pack_ = 1
    _fields_ = [
        ("type", ctypes.c_uint8), ("length", ctypes.c_uint8),
        ("processor_id", ctypes.c_uint8), ("id", ctypes.c_uint8), ("eid", ctypes.c_uint8),
        ("reserved", ctypes.c_uint8 * 3), ("flags", ctypes.c_uint32),
        ("uid", ctypes.c_uint32), ("uid_string", ctypes.c_char * 1),
    ]


class IoSapicEntry(ctypes.LittleEndianStructure):
    """MADT entry type 6, 16 bytes."""
    _pack_ = 1
    _fields_ = [
        ("type", ctypes.c_uint8), ("length", ctypes.c_uint8), ("id", ctypes.c_uint8),
        ("reserved", ctypes.c_uint8), ("gsi_base", ctypes.c_uint32),
        ("address", ctypes.c_uint64),
    ]


for _s, _n in ((RSDP, 36), (TableHeader, 36), (GenericAddress, 12), (FADT, 276),
               (MADT, 44), (LocalSapic, 17), (IoSapicEntry, 16)):
    assert ctypes.sizeof(_s) == _n, (_s, ctypes.sizeof(_s))


def checksum(data: bytes) -> int:
    """The byte that makes the sum of ``data`` (with its checksum byte 0) zero."""
    return (-sum(data)) & 0xFF


def _header(sig: bytes, length: int, revision: int) -> TableHeader:
    return TableHeader(signature=sig, length=length, revision=revision, oem_id=OEM_ID,
                       oem_table_id=OEM_TABLE_ID, oem_revision=1, creator_id=CREATOR_ID,
                       creator_revision=1)


def _finish(data: bytearray) -> bytes:
    """Fill in a description table's checksum (offset 9)."""
    data[TableHeader.checksum.offset] = 0
    data[TableHeader.checksum.offset] = checksum(data)
    return bytes(data)


def rsdp(xsdt: int) -> bytes:
    r = RSDP(signature=b"RSD PTR ", oem_id=OEM_ID, revision=2, length=36, xsdt_address=xsdt)
    b = bytearray(r)
    b[RSDP.checksum.offset] = checksum(b[:20])
    b[RSDP.extended_checksum.offset] = checksum(b)
    return bytes(b)


def xsdt(entries: list[int]) -> bytes:
    body = b"".join(a.to_bytes(8, "little") for a in entries)
    return _finish(bytearray(bytes(_header(b"XSDT", 36 + len(body), 1)) + body))


def fadt(dsdt: int) -> bytes:
    f = FADT(header=_header(b"FACP", ctypes.sizeof(FADT), 6), dsdt=dsdt, x_dsdt=dsdt,
             flags=FADT_HW_REDUCED_ACPI)
    return _finish(bytearray(f))


def madt(lid_id: int, lid_eid: int, iosapic: int = IOSAPIC_BASE) -> bytes:
    e = LocalSapic(type=MADT_TYPE_LOCAL_SAPIC, length=ctypes.sizeof(LocalSapic),
                   processor_id=0, id=lid_id, eid=lid_eid, flags=MADT_ENABLED, uid=0)
    io = IoSapicEntry(type=MADT_TYPE_IO_SAPIC, length=ctypes.sizeof(IoSapicEntry), id=0,
                      gsi_base=0, address=iosapic)
    body = bytes(e) + bytes(io)
    m = MADT(header=_header(b"APIC", ctypes.sizeof(MADT) + len(body), 3),
             address=LOCAL_SAPIC_ADDR, flags=0)
    return _finish(bytearray(bytes(m) + body))


# -- AML ------------------------------------------------------------------

def aml_pkg_length(payload_len: int) -> bytes:
    """PkgLength: counts its own 1-4 bytes and the payload."""
    for n in range(1, 5):
        total = payload_len + n
        if n == 1 and total < 0x40:
            return bytes([total])
        if n > 1 and total < 1 << (4 + 8 * (n - 1)):
            out = [((n - 1) << 6) | (total & 0xF)]
            rest = total >> 4
            for _ in range(n - 1):
                out.append(rest & 0xFF)
                rest >>= 8
            return bytes(out)
    raise ValueError("AML package too long")


def aml_name_seg(name: str) -> bytes:
    assert 1 <= len(name) <= 4 and name.isascii(), name
    return name.ljust(4, "_").encode()


def aml_integer(v: int) -> bytes:
    if v == 0:
        return b"\x00"                                   # ZeroOp
    if v == 1:
        return b"\x01"                                   # OneOp
    for prefix, size in ((0x0A, 1), (0x0B, 2), (0x0C, 4), (0x0E, 8)):
        if v < 1 << (8 * size):
            return bytes([prefix]) + v.to_bytes(size, "little")
    raise ValueError(v)


def eisa_id(s: str) -> int:
    """EisaId("PNP0501") as ASL compiles it: three 5-bit letters and four hex
    digits, stored big-endian in a little-endian DWord."""
    assert len(s) == 7 and s[:3].isupper() and s[:3].isalpha()
    letters = ((ord(s[0]) - 0x40) << 10) | ((ord(s[1]) - 0x40) << 5) | (ord(s[2]) - 0x40)
    return int.from_bytes(letters.to_bytes(2, "big") + int(s[3:], 16).to_bytes(2, "big"),
                          "little")


def aml_name(name: str, value: bytes) -> bytes:
    return b"\x08" + aml_name_seg(name) + value           # NameOp


def aml_buffer(data: bytes) -> bytes:
    body = aml_integer(len(data)) + data
    return b"\x11" + aml_pkg_length(len(body)) + body      # BufferOp


def aml_device(name: str, body: bytes) -> bytes:
    payload = aml_name_seg(name) + body
    return b"\x5b\x82" + aml_pkg_length(len(payload)) + payload   # DeviceOp


def aml_scope(path: bytes, body: bytes) -> bytes:
    payload = path + body
    return b"\x10" + aml_pkg_length(len(payload)) + payload      # ScopeOp


def res_memory32_fixed(base: int, length: int, writable: bool = True) -> bytes:
    return (b"\x86" + (9).to_bytes(2, "little") + bytes([int(writable)])
            + base.to_bytes(4, "little") + length.to_bytes(4, "little"))


def res_io(port: int, length: int) -> bytes:
    # small item 0x47: 16-bit decode, min = max = port, alignment 1
    return (b"\x47\x01" + port.to_bytes(2, "little") + port.to_bytes(2, "little")
            + bytes([1, length]))


def res_interrupt(gsi: int) -> bytes:
    """Extended Interrupt descriptor (large item 0x89): consumer, edge-triggered,
    active high, exclusive, one interrupt: the global system interrupt ``gsi``."""
    return b"\x89" + (6).to_bytes(2, "little") + bytes([0x03, 1]) + gsi.to_bytes(4, "little")


RES_END_TAG = b"\x79\x00"   # checksum 0: "treat as correct"


def dsdt(uart: str = "mmio", uart_base: int = UART_BASE, uart_port: int = 0x3F8,
         uart_gsi: int | None = None) -> bytes:
    """The DSDT: \\_SB.COM1, a PNP0501 with its registers as ``uart`` says
    ("mmio": Memory32Fixed at uart_base; "io": IO at uart_port) and, with
    ``uart_gsi``, its interrupt (edge, active high) at that I/O SAPIC input."""
    if uart == "mmio":
        res = res_memory32_fixed(uart_base, 8)
    elif uart == "io":
        res = res_io(uart_port, 8)
    else:
        raise ValueError(f"uart resource {uart!r}: mmio or io")
    if uart_gsi is not None:
        res += res_interrupt(uart_gsi)
    com1 = aml_device("COM1",
                      aml_name("_HID", aml_integer(eisa_id("PNP0501")))
                      + aml_name("_UID", aml_integer(0))
                      + aml_name("_CRS", aml_buffer(res + RES_END_TAG)))
    aml = aml_scope(b"\\" + aml_name_seg("_SB"), com1)
    return _finish(bytearray(bytes(_header(b"DSDT", 36 + len(aml), 2)) + aml))


def tables(lid_id: int = 0, lid_eid: int = 0, uart: str = "mmio",
           uart_base: int = UART_BASE, uart_gsi: int | None = None
           ) -> list[tuple[str, int, bytes]]:
    """(name, physical address, bytes) of every table; the RSDP is at RSDP_ADDR."""
    return [
        ("RSDP", RSDP_ADDR, rsdp(XSDT_ADDR)),
        ("XSDT", XSDT_ADDR, xsdt([FADT_ADDR, MADT_ADDR])),
        ("FACP", FADT_ADDR, fadt(DSDT_ADDR)),
        ("APIC", MADT_ADDR, madt(lid_id, lid_eid)),
        ("DSDT", DSDT_ADDR, dsdt(uart, uart_base, uart_gsi=uart_gsi)),
    ]
