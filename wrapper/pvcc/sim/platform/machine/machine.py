"""The machine: RAM, firmware, ACPI, a 16550 UART, I/O ports and the loader."""

from __future__ import annotations

from typing import BinaryIO

from . import acpi
from .calls import CallContext, CallResult, Convention, TimerState
from .config import ProcessorConfig
from .errors import DeviceError, MachineError
from .firmware import Firmware, FirmwareEntry
from .iosapic import IoSapic
from .layout import (
    BOOT_DATA_BASE,
    BOOT_DATA_SIZE,
    DEFAULT_MEM_MIB,
    IO_BASE,
    IO_SIZE,
    IOSAPIC_BASE,
    IOSAPIC_SIZE,
    UART_BASE,
    UART_SIZE,
    Region,
    check_mem_mib,
    encode_map,
    memory_map,
)
from .loader import (
    BOOT_PARAM,
    COMMAND_LINE,
    MEMORY_MAP,
    PSR_BN,
    EntryState,
    KernelImage,
    boot_param,
    check_cmdline,
    check_placement,
    initrd_place,
    read_vmlinux,
)
from .physmem import RAM, PhysicalMemory, accessor
from .uart import IoPortSpace, Uart16550

COM1_PORT = 0x3F8
SWIOTLB_SLABS = 64  # swiotlb= of the default command line: 64 slabs of 2 KiB
UART_GSI = 4      # the I/O SAPIC input of the UART's interrupt (uart_irq): COM1's ISA IRQ
ZERO_CHUNK = 1 << 20


class Machine:
    """One machine.  ``mem_mib``: RAM size (``--mem``); ``config``: what PAL
    and ACPI report about the processor; ``console``/``console_input``: the
    UART's line; ``announce_pvcc``: publish the pvcc hypervisor table;
    ``uart_resource``: how the DSDT describes the UART ("mmio" or "io", the
    port 0x3F8 in the legacy port space); ``memory``: the physical memory to
    build in (default: a RAM of its own; an object with ``write_bytes`` and
    ``read_bytes``, such as the CPU's memory, is wrapped)."""

    def __init__(self, mem_mib: int = DEFAULT_MEM_MIB, *,
                 config: ProcessorConfig | None = None,
                 console: BinaryIO | None = None, console_input: bytes = b"",
                 announce_pvcc: bool = False, uart_resource: str = "mmio",
                 memory: PhysicalMemory | None = None, uart_irq: bool = False):
        self.mem_size = check_mem_mib(mem_mib)
        if uart_resource not in ("mmio", "io"):
            raise MachineError(f"UART resource {uart_resource!r}: mmio or io")
        self.config = config or ProcessorConfig()
        self.memory = accessor(memory) if memory is not None else RAM(self.mem_size)
        self.uart = Uart16550(console, console_input)
        self.ioports = IoPortSpace()
        self.ioports.attach(COM1_PORT, 8, self.uart)
        self.uart_resource = uart_resource
        # with uart_irq, the DSDT gives the UART an interrupt: its line drives
        # I/O SAPIC input UART_GSI (the CPU side sets iosapic.deliver)
        self.uart_gsi = UART_GSI if uart_irq else None
        self.firmware = Firmware(self.config, rsdp=acpi.RSDP_ADDR, announce_pvcc=announce_pvcc)
        # (first physical address, size, device, name); a device answers
        # read(offset, size) and write(offset, size, value)
        self.iosapic = IoSapic()
        if self.uart_gsi is not None:
            self.uart.line = lambda level: self.iosapic.set_line(self.uart_gsi, level)
        self.devices = [(IOSAPIC_BASE, IOSAPIC_SIZE, self.iosapic, "I/O SAPIC"),
                        (UART_BASE, UART_SIZE, self.uart, "16550 UART"),
                        (IO_BASE, IO_SIZE, self.ioports, "legacy I/O port space")]
        self.memory_map: list[Region] = []
        self.kernel: KernelImage | None = None
        self.initrd: tuple[int, int] | None = None
        self.cmdline = ""
        self.entry_state: EntryState | None = None

    # -- devices -------------------------------------------------------------
    def device_ranges(self) -> list[tuple[int, int, str, object, object]]:
        """(start, size, name, read, write) of every device range, for a CPU
        memory that dispatches device accesses itself: ``read(offset, size)
        -> int``, ``write(offset, size, value)``, offsets from ``start``."""
        return [(base, size, name, dev.read, dev.write) for base, size, dev, name in self.devices]

    def device_at(self, paddr: int):
        """(device, offset, name) for a physical address, or None (RAM or nothing)."""
        for base, size, dev, name in self.devices:
            if base <= paddr < base + size:
                return dev, paddr - base, name
        return None

    def mmio_read(self, paddr: int, size: int) -> int:
        hit = self.device_at(paddr)
        if hit is None:
            raise DeviceError(f"read of {size} bytes at physical {paddr:#x}: no device there")
        dev, off, _ = hit
        return dev.read(off, size)

    def mmio_write(self, paddr: int, size: int, value: int) -> None:
        hit = self.device_at(paddr)
        if hit is None:
            raise DeviceError(f"write of {size} bytes at physical {paddr:#x}: no device there")
        dev, off, _ = hit
        dev.write(off, size, value)

    # -- firmware ------------------------------------------------------------
    def firmware_entry(self, paddr: int) -> FirmwareEntry | None:
        return self.firmware.entry(paddr)

    def firmware_convention(self, entry: FirmwareEntry, r28: int = 0) -> Convention:
        return self.firmware.convention(entry, r28)

    def firmware_call(self, entry: FirmwareEntry, args: tuple[int, ...],
                      mem: PhysicalMemory, timer: TimerState) -> CallResult:
        return self.firmware.call(entry, args, CallContext(mem, timer))

    # -- boot ----------------------------------------------------------------
    def acpi_tables(self) -> list[tuple[str, int, bytes]]:
        """(signature, physical address, bytes) of the machine's ACPI tables."""
        return acpi.tables(self.config.lid_id, self.config.lid_eid, self.uart_resource,
                           uart_base=UART_BASE, uart_gsi=self.uart_gsi)

    def install_firmware(self) -> int:
        """Write the EFI and SAL tables and the ACPI tables into memory; the
        EFI system table's address."""
        systab = self.firmware.install(self.memory)
        for _name, addr, data in self.acpi_tables():
            self.memory.write(addr, data)
        return systab

    def default_cmdline(self) -> str:
        """The console on ttyS0 (the DSDT's PNP0501) with the 8250 earlycon
        before it, no MCA set-up, loops_per_jiffy for 100 Hz so the
        kernel does not calibrate its delay loop, and the smallest DMA bounce
        buffer (swiotlb: the machine has no device that does DMA; the default
        64 MiB buffer costs a third of the boot's instructions to clear)."""
        if self.uart_resource == "mmio":
            early = f"earlycon=uart8250,mmio,{UART_BASE:#x}"
        else:
            early = f"earlycon=uart8250,io,{COM1_PORT:#x}"
        return f"console=ttyS0 {early} nomca lpj={self.config.itc_hz // 100} swiotlb={SWIOTLB_SLABS}"

    def boot(self, vmlinux: str, initrd: str | None = None, cmdline: str | None = None,
             append: str | None = None) -> EntryState:
        """Load ``vmlinux`` (and the initrd file), build firmware, ACPI, the
        memory map and the boot parameter block in memory; the state at the
        kernel's entry.  MachineError (one line) on bad input."""
        img = read_vmlinux(vmlinux)
        check_placement(img, self.mem_size)
        rd = None
        if initrd is not None:
            try:
                with open(initrd, "rb") as f:
                    rd_data = f.read()
            except OSError as e:
                raise MachineError(f"{initrd}: {e.strerror or e}") from None
            if not rd_data:
                raise MachineError(f"{initrd}: empty initrd")
            rd = (initrd_place(len(rd_data), img.end, self.mem_size, initrd), len(rd_data))
        line = self.default_cmdline() if cmdline is None else cmdline
        if append:
            line = f"{line} {append}" if line else append
        line_bytes = check_cmdline(line)

        regions = memory_map(self.mem_size, kernel=(img.start, img.end),
                             initrd=(rd[0], rd[0] + rd[1]) if rd else None)
        mm = encode_map(regions)
        if MEMORY_MAP + len(mm) > BOOT_DATA_BASE + BOOT_DATA_SIZE:
            raise MachineError(f"memory map of {len(regions)} descriptors does not fit")
        mem = self.memory
        systab = self.install_firmware()
        for seg in img.segments:
            mem.write(seg.paddr, seg.data)
            at, end = seg.paddr + len(seg.data), seg.paddr + seg.memsz
            while at < end:
                n = min(ZERO_CHUNK, end - at)
                mem.write(at, bytes(n))
                at += n
        if rd is not None:
            mem.write(rd[0], rd_data)
        mem.write(MEMORY_MAP, mm)
        mem.write(COMMAND_LINE, line_bytes)
        mem.write(BOOT_PARAM, boot_param(systab, len(mm), rd))

        self.memory_map = regions
        self.kernel = img
        self.initrd = rd
        self.cmdline = line
        self.entry_state = EntryState(ip=img.entry, psr=PSR_BN, r28=BOOT_PARAM,
                                      ar_k0=IO_BASE, cr_lid=self.config.lid)
        return self.entry_state

    def stats_lines(self) -> list[str]:
        return self.firmware.stats_lines() + [f"console bytes: {len(self.uart.written)}"]
