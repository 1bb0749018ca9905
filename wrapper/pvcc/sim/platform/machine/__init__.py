"""The machine pvcc-sim boots Linux on (docs/machine.md): RAM, firmware
(EFI, SAL, PAL), ACPI tables, a 16550 UART, the legacy I/O port space and a
boot loader.  It has no CPU: the CPU side drives it through this API.

Building and booting::

    m = Machine(mem_mib=256, console=sys.stdout.buffer, announce_pvcc=False)
    st = m.boot("vmlinux", initrd=None, cmdline=None, append="loglevel=8")
    # st.ip (physical), st.psr, st.r28 (boot parameter block), st.ar_k0,
    # st.ar_rsc, st.ar_bspstore, st.cfm, st.cr_lid: set them and start

``boot`` writes everything through ``m.memory`` (``write(paddr, bytes)``,
``read(paddr, n)``): a ``RAM`` of the machine's own unless the CPU passed its
memory as ``Machine(memory=...)`` (one with ``write_bytes``/``read_bytes``,
as pvcc.sim.cpu.memory.Memory, is wrapped; the CPU maps [0, mem) first).  Bad input raises ``MachineError`` (one
line in ``.msg``, exit status ``.status`` = 2).

Devices, for every load or store to a physical address outside RAM (and
region 6, uncached, accesses)::

    m.device_at(paddr) -> (device, offset, name) | None
    m.mmio_read(paddr, size) -> int
    m.mmio_write(paddr, size, value)
    m.device_ranges() -> [(start, size, name, read, write)]   # for a memory
        # that dispatches ranges itself: read(offset, size), write(offset, size, value)

A misuse (a wide access to a byte register, an address with no device)
raises ``DeviceError``; the CPU reports it as a model error there.

Firmware, when the CPU's ip reaches a stub (physical address, or the region
bits of a virtual ip stripped)::

    e = m.firmware_entry(paddr)            # FirmwareEntry or None
    conv = m.firmware_convention(e, r28)   # which registers, how to return
    args = [value of each register in conv.args]   # "r28".."r31" or "in0".."in7"
    res = m.firmware_call(e, args, mem, timer)
    # write res.regs to r8-r11; if conv.static: ip = b0 (no frame change),
    # else return as br.ret does; if res.stop: end the run (res.stop.exit_status)

``mem`` reads and writes the caller's data addresses (translated by the CPU
for calls made in virtual mode); ``timer`` has ``itc``, ``itm``, ``itv``
attributes (PAL_HALT_LIGHT moves ``itc`` to ``itm``).  ``m.stats_lines()``
lists the firmware calls by name (unimplemented ones marked) for ``--stats``;
``m.uart.flush()`` at the end of a run flushes the console's last line.
``m.config`` (ProcessorConfig) is what PAL reported: the CPU must implement
the same (stacked registers, VA/PA bits, RID bits, TRs, page sizes, ITC rate).

The pass-through hypervisor (``announce_pvcc``; passthru.py), for every
``break`` before it becomes a Break Instruction interruption::

    pt = PassThrough(executor)             # the system-mode executor
    if pt.serves(imm): pt.brk(imm, addr)   # performs the operation, r8 = result
    pt.stats_lines()                       # --stats: hypercalls per paravirt type
"""

from .calls import (
                    EFI_CALL,
                    PAL_STACKED,
                    PAL_STATIC,
                    SAL_CALL,
                    CallContext,
                    CallResult,
                    Convention,
                    MachineStop,
                    Timer,
                    TimerState,
)
from .config import ProcessorConfig
from .errors import DeviceError, MachineError
from .firmware import FirmwareEntry
from .loader import EntryState
from .machine import Machine
from .passthru import PassThrough
from .physmem import RAM, PhysicalMemory

__all__ = [
                    "EFI_CALL",
                    "PAL_STACKED",
                    "PAL_STATIC",
                    "RAM",
                    "SAL_CALL",
                    "CallContext",
                    "CallResult",
                    "Convention",
                    "DeviceError",
                    "EntryState",
                    "FirmwareEntry",
                    "Machine",
                    "MachineError",
                    "MachineStop",
                    "PassThrough",
                    "PhysicalMemory",
                    "ProcessorConfig",
                    "Timer",
                    "TimerState",
]
