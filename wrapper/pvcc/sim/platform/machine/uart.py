"""A 16550A UART and the legacy I/O port space it can also be reached through.

The register file is the 16550A's (8 byte-wide registers, DLAB = LCR bit 7):

    off  read               write
    0    RBR / DLL          THR / DLL
    1    IER / DLM          IER / DLM     IER keeps bits 3:0, the rest read 0
    2    IIR                FCR           IIR bits 7:6 = 11 while FIFOs are on
    3    LCR                LCR
    4    MCR                MCR           bits 4:0; bit 4 = loopback
    5    LSR                (ignored)
    6    MSR                (ignored)     deltas cleared on read
    7    SCR                SCR

What the kernel's 8250 driver needs of it (drivers/tty/serial/8250/8250_port.c
``autoconfig``, ``autoconfig_16550a``; 8250_early.c): THR writes and LSR
THRE|TEMT (0x60) for earlycon; IER that keeps exactly its low four bits,
the loopback test's MSR (MCR 0x1A in loopback reads MSR 0x90), FCR that
switches the FIFOs and shows in IIR's top bits (0xC1 idle: a 16550A; bit 5,
the 64-byte FIFO of a 16750, stays 0), no EFR (IIR is what offset 2 reads
even with LCR 0xBF), DLL/DLM behind DLAB, a scratch register.

Transmission is instantaneous: every THR byte goes to ``output`` (a binary
stream, flushed at each newline and when asked) and THRE/TEMT stay set.  Input
bytes given to ``feed`` (or ``input`` at construction) wait in a 16-byte
receive FIFO, more in a backlog: LSR.DR, IIR receive-data-available when
IER.ERBFI, RBR pops.  A FIFO reset puts the unread bytes back at the head of
the backlog: the model never loses input.  ``irq_pending`` is the interrupt
line (gated by MCR.OUT2 as on a PC); ``line``, when set, is called with its
level after every register access (the machine's ``uart_irq`` wires it to an
I/O SAPIC input; without it the DSDT gives the port no IRQ and the driver
polls).

Every register is one byte: an access of another size is a DeviceError.
"""

from __future__ import annotations

from collections import deque
from typing import BinaryIO

from .errors import DeviceError

RBR = THR = DLL = 0
IER = DLM = 1
IIR = FCR = 2
LCR = 3
MCR = 4
LSR = 5
MSR = 6
SCR = 7

LCR_DLAB = 0x80
MCR_DTR, MCR_RTS, MCR_OUT1, MCR_OUT2, MCR_LOOP = 0x01, 0x02, 0x04, 0x08, 0x10
LSR_DR, LSR_OE, LSR_THRE, LSR_TEMT = 0x01, 0x02, 0x20, 0x40
MSR_DCTS, MSR_DDSR, MSR_TERI, MSR_DDCD = 0x01, 0x02, 0x04, 0x08
MSR_CTS, MSR_DSR, MSR_RI, MSR_DCD = 0x10, 0x20, 0x40, 0x80
IER_RDI, IER_THRI, IER_RLSI, IER_MSI = 0x01, 0x02, 0x04, 0x08
FCR_ENABLE, FCR_CLEAR_RCVR, FCR_CLEAR_XMIT = 0x01, 0x02, 0x04
IIR_NO_INT, IIR_MSI, IIR_THRI, IIR_RDI, IIR_RLSI = 0x01, 0x00, 0x02, 0x04, 0x06
IIR_FIFO_BITS = 0xC0
RX_FIFO = 16
REGISTERS = 8


class Uart16550:
    def __init__(self, output: BinaryIO | None = None, input: bytes = b""):
        self.output = output
        self.written = bytearray()         # everything transmitted (the tests read it)
        self.rx: deque[int] = deque()
        self.backlog: deque[int] = deque(input)
        self.ier = 0
        self.lcr = 0
        self.mcr = 0
        self.fcr = 0
        self.scr = 0
        self.dll = 0
        self.dlm = 0
        self.lsr_errors = 0               # OE until LSR is read
        self.thri_pending = False         # THR-empty interrupt waiting for IIR/THR
        self.line = None                  # called with irq_pending after each access
        self.msr_deltas = 0
        self._fill()

    # -- input ---------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        """Bytes arriving on the line (stdin of a run)."""
        self.backlog.extend(data)
        self._fill()

    def _fill(self) -> None:
        limit = RX_FIFO if self.fcr & FCR_ENABLE else 1
        while self.backlog and len(self.rx) < limit:
            self.rx.append(self.backlog.popleft())

    # -- the register file ---------------------------------------------------
    def _check(self, offset: int, size: int, what: str) -> None:
        if size != 1:
            raise DeviceError(f"16550 UART: {size}-byte {what} at register offset {offset:#x}: "
                              "its registers are single bytes")
        if not 0 <= offset < REGISTERS:
            raise DeviceError(f"16550 UART: {what} at offset {offset:#x}, beyond its "
                              f"{REGISTERS} registers")

    @property
    def dlab(self) -> bool:
        return bool(self.lcr & LCR_DLAB)

    def lsr(self) -> int:
        return (LSR_DR if self.rx else 0) | self.lsr_errors | LSR_THRE | LSR_TEMT

    def msr_lines(self) -> int:
        if self.mcr & MCR_LOOP:
            m = self.mcr
            return ((MSR_CTS if m & MCR_RTS else 0) | (MSR_DSR if m & MCR_DTR else 0)
                    | (MSR_RI if m & MCR_OUT1 else 0) | (MSR_DCD if m & MCR_OUT2 else 0))
        return MSR_CTS | MSR_DSR | MSR_DCD      # a terminal is connected

    def iir(self) -> int:
        """The highest-priority pending interrupt (16550: line status, received
        data, THR empty, modem status)."""
        fifo = IIR_FIFO_BITS if self.fcr & FCR_ENABLE else 0
        if self.ier & IER_RLSI and self.lsr_errors:
            return fifo | IIR_RLSI
        if self.ier & IER_RDI and self.rx:
            return fifo | IIR_RDI
        if self.ier & IER_THRI and self.thri_pending:
            return fifo | IIR_THRI
        if self.ier & IER_MSI and self.msr_deltas:
            return fifo | IIR_MSI
        return fifo | IIR_NO_INT

    @property
    def irq_pending(self) -> bool:
        return bool(self.mcr & MCR_OUT2) and not self.iir() & IIR_NO_INT

    def read(self, offset: int, size: int = 1) -> int:
        v = self._read(offset, size)
        if self.line is not None:
            self.line(self.irq_pending)
        return v

    def write(self, offset: int, size: int, value: int) -> None:
        self._write(offset, size, value)
        if self.line is not None:
            self.line(self.irq_pending)

    def _read(self, offset: int, size: int = 1) -> int:
        self._check(offset, size, "read")
        if offset == RBR:
            if self.dlab:
                return self.dll
            if not self.rx:
                return 0
            b = self.rx.popleft()
            self._fill()
            return b
        if offset == IER:
            return self.dlm if self.dlab else self.ier
        if offset == IIR:
            v = self.iir()
            if v & 0x0F == IIR_THRI:
                self.thri_pending = False     # reading IIR acknowledges THR empty
            return v
        if offset == LCR:
            return self.lcr
        if offset == MCR:
            return self.mcr
        if offset == LSR:
            v = self.lsr()
            self.lsr_errors = 0
            return v
        if offset == MSR:
            v = self.msr_lines() | self.msr_deltas
            self.msr_deltas = 0
            return v
        return self.scr

    def _write(self, offset: int, size: int, value: int) -> None:
        self._check(offset, size, "write")
        value &= 0xFF
        if offset == THR:
            if self.dlab:
                self.dll = value
            elif self.mcr & MCR_LOOP:
                self._loopback(value)
            else:
                self._transmit(value)
        elif offset == IER:
            if self.dlab:
                self.dlm = value
            else:
                was = self.ier
                self.ier = value & 0x0F
                if self.ier & IER_THRI and not was & IER_THRI:
                    self.thri_pending = True  # THR is always empty
        elif offset == FCR:
            enable = value & FCR_ENABLE
            if enable != self.fcr & FCR_ENABLE or value & FCR_CLEAR_RCVR:
                # Switching or clearing the FIFO empties it; bytes from the
                # input stream are not lost but arrive again right after.
                self.backlog.extendleft(reversed(self.rx))
                self.rx.clear()
                self.lsr_errors = 0
            self.fcr = value & 0xC9           # enable, DMA mode, trigger level
            self._fill()
        elif offset == LCR:
            self.lcr = value
        elif offset == MCR:
            old = self.msr_lines()
            self.mcr = value & 0x1F
            new = self.msr_lines()
            changed = old ^ new
            self.msr_deltas |= ((MSR_DCTS if changed & MSR_CTS else 0)
                                | (MSR_DDSR if changed & MSR_DSR else 0)
                                | (MSR_DDCD if changed & MSR_DCD else 0)
                                | (MSR_TERI if old & MSR_RI and not new & MSR_RI else 0))
        elif offset == SCR:
            self.scr = value
        # LSR and MSR writes are ignored (factory test registers)

    def _transmit(self, b: int) -> None:
        self.written.append(b)
        if self.output is not None:
            self.output.write(bytes([b]))
            if b == 0x0A:
                self.output.flush()
        self.thri_pending = True

    def _loopback(self, b: int) -> None:
        limit = RX_FIFO if self.fcr & FCR_ENABLE else 1
        if len(self.rx) >= limit:
            self.lsr_errors |= LSR_OE
        else:
            self.rx.append(b)
        self.thri_pending = True

    def flush(self) -> None:
        if self.output is not None:
            self.output.flush()


# -- legacy I/O port space ---------------------------------------------------

IO_SPACE_SIZE = 64 << 20


def port_offset(port: int) -> int:
    """Offset of I/O port ``port`` in the sparse port space (arch/ia64
    include/asm/io.h ``__ia64_mk_io_addr``): 4 ports per 4 KiB page."""
    return ((port >> 2) << 12) | (port & 0xFFF)


def offset_port(offset: int) -> int | None:
    """The port an offset of the port space decodes to (None: no port): the
    page number gives bits 15:2, the low two bits come from the offset."""
    page, low = divmod(offset, 4096)
    port = (page << 2) | (low & 3)
    if port > 0xFFFF or port_offset(port) != offset:
        return None
    return port


class IoPortSpace:
    """The 64 MiB sparse I/O port window (EFI_MEMORY_MAPPED_IO_PORT_SPACE,
    ar.k0).  ``devices`` maps a first port to (device, count): the port's
    offset in the device is port - first.  A port no device claims reads as
    all ones and ignores writes, as an ISA bus with nothing on it does."""

    def __init__(self):
        self.devices: list[tuple[int, int, object]] = []

    def attach(self, first_port: int, count: int, device) -> None:
        self.devices.append((first_port, count, device))

    def _decode(self, offset: int):
        port = offset_port(offset)
        if port is None:
            raise DeviceError(f"I/O port space: offset {offset:#x} is not a port's "
                              "address (port p is at ((p >> 2) << 12) | (p & 0xfff))")
        for first, count, dev in self.devices:
            if first <= port < first + count:
                return dev, port - first
        return None, port

    def read(self, offset: int, size: int) -> int:
        dev, off = self._decode(offset)
        if dev is None:
            return (1 << (8 * size)) - 1
        return dev.read(off, size)

    def write(self, offset: int, size: int, value: int) -> None:
        dev, off = self._decode(offset)
        if dev is not None:
            dev.write(off, size, value)
