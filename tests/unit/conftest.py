"""Helpers for the IA-64 unit tests: run GNU as/objdump for ia64 and parse the output."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

from asmtools import AS, OBJDUMP
from pvcc.ia64.objdump import instructions


class Binutils:
    """ia64 GNU as + objdump in a scratch directory."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.count = 0

    def _path(self, suffix: str) -> Path:
        self.count += 1
        return self.workdir / f"t{self.count}{suffix}"

    def assemble(self, source: str, strict: bool = False) -> Path:
        """Assemble with ``-x`` (explicit stops, like gcc); return the object path.

        ``strict``: any diagnostic (e.g. a dependency-violation warning) fails.
        """
        src, obj = self._path(".s"), self._path(".o")
        src.write_text(source)
        res = subprocess.run([AS, "-x", "-o", str(obj), str(src)], capture_output=True,
                             text=True, check=False)
        if res.returncode != 0 or (strict and res.stderr):
            raise AssertionError(f"{AS} complained:\n{res.stderr}\n--- source ---\n{source}")
        return obj

    def assemble_with_warnings(self, source: str) -> tuple[Path, str]:
        """Assemble with ``-x``; return the object path and gas's diagnostics."""
        src, obj = self._path(".s"), self._path(".o")
        src.write_text(source)
        res = subprocess.run([AS, "-x", "-o", str(obj), str(src)], capture_output=True,
                             text=True, check=False)
        if res.returncode != 0:
            raise AssertionError(f"{AS} failed:\n{res.stderr}\n--- source ---\n{source}")
        return obj, res.stderr

    @staticmethod
    def section(obj: Path, name: str = ".text") -> bytes:
        from elftools.elf.elffile import ELFFile

        return ELFFile(io.BytesIO(obj.read_bytes())).get_section_by_name(name).data()

    @staticmethod
    def symbols(obj: Path) -> dict[str, int]:
        from elftools.elf.elffile import ELFFile

        elf = ELFFile(io.BytesIO(obj.read_bytes()))
        return {s.name: s["st_value"] for s in elf.get_section_by_name(".symtab").iter_symbols()
                if s.name}

    @staticmethod
    def _parse(out: str) -> list[tuple[int, str]]:
        """(bundle address, normalized text) per instruction, in order."""
        return [(addr, text) for _, addr, text in instructions(out)]

    def disassemble_object(self, obj: Path) -> list[tuple[int, str]]:
        out = subprocess.run([OBJDUMP, "-d", "-z", str(obj)], capture_output=True,
                             text=True, check=True).stdout
        return self._parse(out)

    def disassemble(self, data: bytes, vma: int = 0) -> list[tuple[int, str]]:
        """Disassemble raw bundles; the first byte is at address ``vma``."""
        raw = self._path(".bin")
        raw.write_bytes(data)
        out = subprocess.run([OBJDUMP, "-D", "-z", "-b", "binary", "-m", "ia64-elf64",
                              f"--adjust-vma={vma:#x}", str(raw)],
                             capture_output=True, text=True, check=True).stdout
        return self._parse(out)


def _require_tools() -> None:
    missing = [name for name, path in (("ia64-linux-gnu-as", AS), ("ia64-linux-gnu-objdump", OBJDUMP))
               if path is None]
    if missing:
        pytest.skip(f"!!! {' and '.join(missing)} not found: IA-64 encodings are NOT verified "
                    "against GNU binutils (install binutils-ia64-linux-gnu) !!!")


@pytest.fixture
def binutils(tmp_path) -> Binutils:
    _require_tools()
    return Binutils(tmp_path)


@pytest.fixture(scope="module")
def module_binutils(tmp_path_factory) -> Binutils:
    _require_tools()
    return Binutils(tmp_path_factory.mktemp("ia64"))
