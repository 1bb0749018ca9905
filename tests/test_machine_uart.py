"""The machine's 16550A, driven through the exact register sequences of the
kernel's 8250 code (drivers/tty/serial/8250/8250_early.c, 8250_port.c
``autoconfig`` and ``autoconfig_16550a``, ``serial8250_clear_fifos``), and
the legacy I/O port space that also reaches it."""

from __future__ import annotations

import io

import pytest

from pvcc.sim.platform.machine import DeviceError, Machine, layout
from pvcc.sim.platform.machine.uart import (
    FCR,
    IER,
    IIR,
    LCR,
    LSR,
    MCR,
    MSR,
    RBR,
    SCR,
    THR,
    IoPortSpace,
    Uart16550,
    offset_port,
    port_offset,
)

UART_LCR_CONF_MODE_A = 0x80
UART_LCR_CONF_MODE_B = 0xBF
UART_EFR = 2
UART_FCR_ENABLE_FIFO = 0x01
UART_FCR7_64BYTE = 0x20
UART_MCR_LOOP = 0x10
UART_IER_UUE = 0x40
BOTH_EMPTY = 0x60


class Port:
    """serial_in/serial_out over the machine's MMIO, as UPIO_MEM does (readb/writeb)."""

    def __init__(self, m: Machine, base: int = layout.UART_BASE):
        self.m, self.base = m, base

    def inb(self, reg: int) -> int:
        return self.m.mmio_read(self.base + reg, 1)

    def outb(self, reg: int, v: int) -> None:
        self.m.mmio_write(self.base + reg, 1, v)


def autoconfig(p: Port, skip_test: bool) -> str:
    """8250_port.c autoconfig() then autoconfig_16550a() with
    SERIAL_8250_16550A_VARIANTS, step by step; the port type it concludes."""
    # IER test (not UPF_BUGGY_UART)
    scratch = p.inb(IER)
    p.outb(IER, 0)
    scratch2 = p.inb(IER) & 0x0F
    p.outb(IER, 0x0F)
    scratch3 = p.inb(IER) & 0x0F
    p.outb(IER, scratch)
    if scratch2 != 0 or scratch3 != 0x0F:
        return "no UART (IER test failed)"
    save_mcr, save_lcr = p.inb(MCR), p.inb(LCR)
    if not skip_test:
        p.outb(MCR, UART_MCR_LOOP | 0x0A)
        status1 = p.inb(MSR) & 0xF0
        p.outb(MCR, save_mcr)
        if status1 != 0x90:
            return "no UART (LOOP test failed)"
    p.outb(LCR, UART_LCR_CONF_MODE_B)
    p.outb(UART_EFR, 0)
    p.outb(LCR, 0)
    p.outb(FCR, UART_FCR_ENABLE_FIFO)
    scratch = p.inb(IIR)
    kind = {0: "8250", 1: "unknown", 2: "16550", 3: None}[scratch >> 6]
    if kind is None:
        kind = autoconfig_16550a(p)
    p.outb(LCR, save_lcr)
    return kind


def autoconfig_16550a(p: Port) -> str:
    p.outb(LCR, UART_LCR_CONF_MODE_A)
    if p.inb(UART_EFR) == 0:
        return "16650 or Motorola (EFRv1)"
    p.outb(LCR, UART_LCR_CONF_MODE_B)
    if p.inb(UART_EFR) == 0:
        return "EFRv2 (16650V2/16850/16950)"
    p.outb(LCR, 0)
    status1 = p.inb(MCR)
    p.outb(LCR, 0xE0)
    status2 = p.inb(0x02)
    if not (status2 ^ status1) & UART_MCR_LOOP:
        p.outb(LCR, 0)
        p.outb(MCR, status1 ^ UART_MCR_LOOP)
        p.outb(LCR, 0xE0)
        status2 = p.inb(0x02)
        p.outb(LCR, 0)
        p.outb(MCR, status1)
        if (status2 ^ status1) & UART_MCR_LOOP:
            return "NS16550A"
    p.outb(LCR, 0)
    p.outb(FCR, UART_FCR_ENABLE_FIFO | UART_FCR7_64BYTE)
    status1 = p.inb(IIR) >> 5
    p.outb(FCR, UART_FCR_ENABLE_FIFO)
    p.outb(LCR, UART_LCR_CONF_MODE_A)
    p.outb(FCR, UART_FCR_ENABLE_FIFO | UART_FCR7_64BYTE)
    status2 = p.inb(IIR) >> 5
    p.outb(FCR, UART_FCR_ENABLE_FIFO)
    p.outb(LCR, 0)
    if status1 == 6 and status2 == 7:
        return "16750"
    iersave = p.inb(IER)
    p.outb(IER, iersave & ~UART_IER_UUE)
    if not p.inb(IER) & UART_IER_UUE:
        p.outb(IER, iersave | UART_IER_UUE)
        if p.inb(IER) & UART_IER_UUE:
            return "XScale"
    p.outb(IER, iersave)
    return "16550A"


@pytest.mark.parametrize("skip_test", [True, False])
def test_autoconfig_finds_a_16550a(skip_test):
    """UPF_SKIP_TEST is what 8250_pnp sets; without it the loopback test runs."""
    m = Machine(128)
    p = Port(m)
    p.outb(LCR, 0x03)
    assert autoconfig(p, skip_test) == "16550A"
    assert p.inb(LCR) == 0x03


def test_earlycon_without_baud():
    out = io.BytesIO()
    m = Machine(128, console=out)
    p = Port(m)
    ier = p.inb(IER)                                   # early_serial8250_setup
    p.outb(IER, ier & UART_IER_UUE)
    for ch in b"Linux version 6.1\n":                   # serial_putc
        while p.inb(LSR) & BOTH_EMPTY != BOTH_EMPTY:
            pass
        p.outb(THR, ch)
    assert out.getvalue() == b"Linux version 6.1\n"
    assert p.inb(LSR) == 0x60
    assert bytes(m.uart.written) == b"Linux version 6.1\n"


def test_divisor_latch_and_scratch():
    u = Uart16550()
    u.write(LCR, 1, 0x83)
    u.write(0, 1, 0x01)                # DLL
    u.write(1, 1, 0x00)                # DLM
    assert (u.read(0, 1), u.read(1, 1)) == (0x01, 0x00)
    u.write(LCR, 1, 0x03)
    u.write(IER, 1, 0xFF)
    assert u.read(IER, 1) == 0x0F      # only the four 16550 bits
    assert (u.dll, u.dlm) == (1, 0)
    u.write(SCR, 1, 0x5A)
    assert u.read(SCR, 1) == 0x5A
    assert u.written == b""            # DLL writes are not data


def test_fifo_control_shows_in_iir():
    u = Uart16550()
    assert u.read(IIR, 1) == 0x01
    u.write(FCR, 1, 0x07)
    assert u.read(IIR, 1) == 0xC1
    u.write(FCR, 1, 0x00)
    assert u.read(IIR, 1) == 0x01


def test_loopback_modem_status_and_data():
    u = Uart16550()
    u.write(MCR, 1, 0x1A)              # loop | RTS | OUT2
    assert u.read(MSR, 1) & 0xF0 == 0x90
    u.write(MCR, 1, 0x1F)
    assert u.read(MSR, 1) & 0xF0 == 0xF0
    u.write(THR, 1, 0x42)              # loops back, never reaches the line
    assert u.read(LSR, 1) & 0x01
    assert u.read(RBR, 1) == 0x42 and u.written == b""
    u.write(MCR, 1, 0x03)
    assert u.read(MSR, 1) & 0xF0 == 0xB0   # a connected terminal: CTS, DSR, DCD


def test_receive_path():
    u = Uart16550(input=b"hi")
    u.write(FCR, 1, 0x01)
    u.write(IER, 1, 0x01)              # received-data interrupt
    assert u.read(LSR, 1) & 0x01
    assert u.read(IIR, 1) == 0xC4
    assert u.read(RBR, 1) == ord("h")
    u.feed(b"x" * 40)                  # more than the 16-byte FIFO: a backlog
    got = []
    while u.read(LSR, 1) & 0x01:
        got.append(u.read(RBR, 1))
    assert bytes(got) == b"i" + b"x" * 40
    assert u.read(IIR, 1) == 0xC1
    assert u.read(RBR, 1) == 0


def test_thr_empty_interrupt_and_line():
    u = Uart16550()
    u.write(IER, 1, 0x02)
    assert u.read(IIR, 1) == 0x02      # THR empty
    assert u.read(IIR, 1) == 0x01      # acknowledged by reading IIR
    u.write(THR, 1, 0x41)
    assert not u.irq_pending           # MCR.OUT2 gates the line
    u.write(MCR, 1, 0x08)
    assert u.irq_pending
    assert u.read(IIR, 1) == 0x02


def test_registers_are_bytes_and_unknown_addresses_fail():
    m = Machine(128)
    with pytest.raises(DeviceError, match="4-byte read"):
        m.mmio_read(layout.UART_BASE, 4)
    with pytest.raises(DeviceError, match="beyond its 8 registers"):
        m.mmio_write(layout.UART_BASE + 8, 1, 0)
    with pytest.raises(DeviceError, match="no device"):
        m.mmio_read(0xF0000000, 1)
    assert m.device_at(layout.UART_BASE + 5)[1:] == (5, "16550 UART")
    assert m.device_at(0x100000) is None


def test_io_port_addresses():
    assert port_offset(0x3F8) == 0xFE3F8 and port_offset(0x3FC) == 0xFF3FC
    for p in (0, 0x3F8, 0x3FF, 0x80, 0xCF8, 0xFFFF):
        assert offset_port(port_offset(p)) == p
    assert offset_port(0x1000 + 0x10) is None          # not a port's address


def test_uart_through_port_0x3f8():
    out = io.BytesIO()
    m = Machine(128, console=out)
    port = Port(m, layout.IO_BASE)
    def outb(p, v): m.mmio_write(layout.IO_BASE + port_offset(p), 1, v)
    def inb(p): return m.mmio_read(layout.IO_BASE + port_offset(p), 1)
    outb(0x3FB, 0x03)
    assert inb(0x3FB) == 0x03 and inb(0x3FD) == 0x60
    outb(0x3F8, ord("k"))
    assert out.getvalue() == b"k"
    assert inb(0x80) == 0xFF                           # nothing there
    outb(0x80, 0)
    with pytest.raises(DeviceError, match="not a port's address"):
        m.mmio_read(layout.IO_BASE + 0x1010, 1)
    assert port.m is m


def test_port_space_reads_all_ones_for_wide_empty_ports():
    s = IoPortSpace()
    assert s.read(port_offset(0x60), 2) == 0xFFFF


def test_io_sapic_as_iosapic_init_reads_it():
    """iosapic_version(): select register 1, read the window; the redirection
    entries start masked and keep what the kernel writes."""
    m = Machine(128)
    base = layout.IOSAPIC_BASE
    m.mmio_write(base + 0x00, 4, 0x01)
    ver = m.mmio_read(base + 0x10, 4)
    assert ((ver >> 16) & 0xFF) + 1 == 24 and ver & 0xFF == 0x21
    m.mmio_write(base + 0x00, 4, 0x10 + 2 * 5)
    assert m.mmio_read(base + 0x10, 4) == 1 << 16
    m.mmio_write(base + 0x10, 4, 0xEF)
    assert m.mmio_read(base + 0x10, 4) == 0xEF
    m.mmio_write(base + 0x40, 4, 0xEF)
    assert m.iosapic.eois == [0xEF]
    with pytest.raises(DeviceError, match="32-bit"):
        m.mmio_read(base + 0x10, 1)
