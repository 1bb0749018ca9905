"""``python -m pvcc.sim.platform.machine``: build the machine for a vmlinux
without running it and show what the kernel will find (memory map, command
line, firmware stubs, entry state); ``--dump-acpi DIR`` writes the ACPI
tables for ``iasl -d``.  Bad input: one line on stderr, status 2."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import firmware, layout
from .config import ProcessorConfig
from .errors import MachineError
from .machine import Machine

PROG = "pvcc-machine"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pvcc.sim.platform.machine",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("vmlinux")
    ap.add_argument("--initrd", metavar="CPIO")
    ap.add_argument("--append", metavar="CMDLINE", help="added to the command line")
    ap.add_argument("--cmdline", help="replaces the default command line")
    ap.add_argument("--mem", type=int, default=layout.DEFAULT_MEM_MIB, metavar="MIB")
    ap.add_argument("--nphys", type=int, default=96)
    ap.add_argument("--uart", choices=("mmio", "io"), default="mmio")
    ap.add_argument("--announce-pvcc", action="store_true",
                    help="publish the pvcc hypervisor table (docs/machine.md)")
    ap.add_argument("--dump-acpi", metavar="DIR")
    a = ap.parse_args(argv)
    try:
        m = Machine(a.mem, config=ProcessorConfig(nphys=a.nphys), uart_resource=a.uart,
                    announce_pvcc=a.announce_pvcc)
        st = m.boot(a.vmlinux, initrd=a.initrd, cmdline=a.cmdline, append=a.append)
        if a.dump_acpi:
            out = Path(a.dump_acpi)
            out.mkdir(parents=True, exist_ok=True)
            for sig, _addr, data in m.acpi_tables():
                (out / f"{sig.lower()}.dat").write_bytes(data)
    except MachineError as e:
        print(f"{PROG}: error: {e.msg}", file=sys.stderr)
        return e.status
    except OSError as e:
        print(f"{PROG}: error: {e.filename}: {e.strerror}", file=sys.stderr)
        return 2
    print(f"RAM {m.mem_size >> 20} MiB; EFI memory map:")
    for r in m.memory_map:
        print(f"  {r.start:#014x}-{r.end:#014x}  {layout.EFI_TYPE_NAMES[r.type]:<22}"
              f" {r.attribute:#018x}  {r.name}")
    print(f"command line: {m.cmdline}")
    if m.initrd:
        print(f"initrd: {m.initrd[1]} bytes at {m.initrd[0]:#x}")
    print(f"firmware: PAL entry {firmware.PAL_ENTRY:#x}, SAL entry {firmware.SAL_ENTRY:#x}, "
          f"EFI runtime stubs from {firmware.EFI_ENTRY:#x}, system table {firmware.SYSTAB:#x}")
    print(f"entry: ip={st.ip:#x} psr={st.psr:#x} r28={st.r28:#x} ar.k0={st.ar_k0:#x} "
          f"cr.lid={st.cr_lid:#x}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
