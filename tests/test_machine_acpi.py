"""The machine's ACPI tables, checked with Debian's ACPICA tools (package
acpica-tools): every description table disassembles with ``iasl -d`` without
an error, a warning or a checksum complaint and shows the expected fields;
``acpiexec`` loads the tables and evaluates the UART's _HID and _CRS.

``iasl -d`` does not read an RSDP from a binary file (ACPICA's
source/common/acfileio.c: "Loading an RSDP is not supported"), so the RSDP
is checked the other way round: its fields written as an iasl data-table
source, compiled by iasl (which computes both checksums), must give the
machine's exact bytes."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pvcc.sim.platform.machine import Machine, ProcessorConfig, acpi, layout

IASL = shutil.which("iasl")
ACPIEXEC = shutil.which("acpiexec")
pytestmark = pytest.mark.skipif(IASL is None, reason="iasl is not installed "
                                "(Debian package acpica-tools)")


def write_tables(tmp_path: Path, m: Machine) -> dict[str, Path]:
    out = {}
    for sig, _addr, data in m.acpi_tables():
        p = tmp_path / f"{sig.lower()}.dat"
        p.write_bytes(data)
        out[sig] = p
    return out


def disassemble(path: Path) -> str:
    r = subprocess.run([IASL, "-d", path.name], cwd=path.parent, capture_output=True,
                       text=True, timeout=60, check=False)
    log = r.stdout + r.stderr
    assert r.returncode == 0, log
    assert not re.search(r"\berror|warning\b", log, re.IGNORECASE), log
    dsl = path.with_suffix(".dsl").read_text()
    assert "Incorrect checksum" not in dsl and "Error" not in dsl, dsl
    return dsl


def has(dsl: str, name: str, value: str) -> bool:
    """A disassembled data-table line ``... NAME : VALUE``."""
    return re.search(rf"\b{re.escape(name)}\s*:\s*{re.escape(value)}\s*($|\[)", dsl,
                     re.MULTILINE) is not None


def test_every_table_checksums_to_zero():
    for sig, _addr, data in Machine(128).acpi_tables():
        if sig == "RSDP":
            assert sum(data[:20]) % 256 == 0 and sum(data) % 256 == 0
        else:
            assert sum(data) % 256 == 0, sig
            assert int.from_bytes(data[4:8], "little") == len(data)


def test_xsdt(tmp_path):
    dsl = disassemble(write_tables(tmp_path, Machine(128))["XSDT"])
    assert has(dsl, "Signature", '"XSDT"')
    assert has(dsl, "ACPI Table Address   0", f"{acpi.FADT_ADDR:016X}")
    assert has(dsl, "ACPI Table Address   1", f"{acpi.MADT_ADDR:016X}")


def test_fadt_is_hardware_reduced(tmp_path):
    dsl = disassemble(write_tables(tmp_path, Machine(128))["FACP"])
    assert has(dsl, "Signature", '"FACP"')
    assert has(dsl, "Revision", "06")                       # >= 5; ia64 acts on 3 only
    assert has(dsl, "Hardware Reduced (V5)", "1")
    assert has(dsl, "DSDT Address", f"{acpi.DSDT_ADDR:016X}")
    assert has(dsl, "SCI Interrupt", "0000")


@pytest.mark.parametrize("lid, sid, seid", [(0, "00", "00"), (0x12340000, "12", "34")])
def test_madt_has_one_local_sapic_for_cr_lid_and_an_io_sapic(tmp_path, lid, sid, seid):
    m = Machine(128, config=ProcessorConfig(lid=lid))
    dsl = disassemble(write_tables(tmp_path, m)["APIC"])
    assert has(dsl, "Signature", '"APIC"')
    assert re.findall(r"Subtable Type : (\w+) \[([^]]+)\]", dsl) == [
        ("07", "Local SAPIC"), ("06", "I/O SAPIC")]
    assert has(dsl, "Address", f"{layout.IOSAPIC_BASE:016X}")
    assert has(dsl, "Interrupt Base", "00000000")
    assert has(dsl, "Local Sapic ID", sid) and has(dsl, "Local Sapic EID", seid)
    assert has(dsl, "Processor Enabled", "1")
    assert has(dsl, "PC-AT Compatibility", "0")


@pytest.mark.parametrize("resource", ["mmio", "io"])
def test_dsdt_describes_the_16550(tmp_path, resource):
    m = Machine(128, uart_resource=resource)
    dsl = disassemble(write_tables(tmp_path, m)["DSDT"])
    assert 'DefinitionBlock ("", "DSDT", 2, "PVCC  ", "PVCCSIM ", 0x00000001)' in dsl
    assert "Scope (\\_SB)" in dsl and "Device (COM1)" in dsl
    assert 'Name (_HID, EisaId ("PNP0501")' in dsl
    if resource == "mmio":
        assert re.search(r"Memory32Fixed \(ReadWrite,\s*0xFF5E0000,\s*// Address Base\s*"
                         r"0x00000008,", dsl), dsl
    else:
        assert re.search(r"IO \(Decode16,\s*0x03F8,\s*// Range Minimum\s*0x03F8,\s*"
                         r"// Range Maximum\s*0x01,\s*// Alignment\s*0x08,", dsl), dsl
    assert "IRQ" not in dsl and "Interrupt" not in dsl       # the driver polls


def test_rsdp_compiled_by_iasl_is_the_machines(tmp_path):
    rsdp = {s: d for s, _a, d in Machine(128).acpi_tables()}["RSDP"]
    src = tmp_path / "rsdp.asl"
    src.write_text(
        '[0008]                          Signature : "RSD PTR "\n'
        "[0001]                           Checksum : 00\n"
        '[0006]                             Oem ID : "PVCC  "\n'
        "[0001]                           Revision : 02\n"
        "[0004]                       RSDT Address : 00000000\n"
        "[0004]                             Length : 00000024\n"
        f"[0008]                       XSDT Address : {acpi.XSDT_ADDR:016X}\n"
        "[0001]                  Extended Checksum : 00\n"
        "[0003]                           Reserved : 000000\n")
    r = subprocess.run([IASL, src.name], cwd=tmp_path, capture_output=True, text=True,
                       timeout=60, check=False)
    assert r.returncode == 0 and "0 Errors, 0 Warnings" in r.stdout, r.stdout + r.stderr
    assert (tmp_path / "rsdp.aml").read_bytes() == rsdp


@pytest.mark.skipif(ACPIEXEC is None, reason="acpiexec is not installed (acpica-tools)")
def test_acpiexec_evaluates_the_uart(tmp_path):
    files = write_tables(tmp_path, Machine(128))
    r = subprocess.run([ACPIEXEC, "-b", r"evaluate \_SB.COM1._HID; evaluate \_SB.COM1._CRS",
                        "-di", files["DSDT"].name, files["FACP"].name, files["APIC"].name],
                       cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "[Integer] = 000000000105D041" in out                # EisaId("PNP0501")
    assert "86 09 00 01 00 00 5E FF 08 00 00 00 79 00" in out    # Memory32Fixed + end tag
    assert "1 ACPI AML tables successfully acquired and loaded" in out
    assert not re.search(r"\bACPI (Error|Warning)", out), out


def test_tables_sit_in_the_acpi_region():
    for _sig, addr, data in Machine(128).acpi_tables():
        assert layout.ACPI_BASE <= addr and addr + len(data) <= layout.ACPI_BASE + layout.ACPI_SIZE
