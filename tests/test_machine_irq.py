"""The UART's interrupt through the I/O SAPIC (Machine(uart_irq=True), what
pvcc-sim boot uses; docs/machine.md): the DSDT's Interrupt resource, and the
redirection entry's vector delivered on the line's rising edges (edge) or
until EOI (level)."""

from __future__ import annotations

from pvcc.sim.platform.machine import Machine
from pvcc.sim.platform.machine.iosapic import EOI, REG_SELECT, WINDOW
from pvcc.sim.platform.machine.uart import IER, IER_THRI, IIR, MCR, MCR_OUT2, THR

EXT_IRQ_4 = b"\x89\x06\x00\x03\x01\x04\x00\x00\x00"  # consumer, edge, high, exclusive, GSI 4


def machine(level: bool = False):
    m = Machine(128, uart_irq=True)
    got = []
    m.iosapic.deliver = got.append
    s = m.iosapic
    s.write(REG_SELECT, 4, 0x10 + 2 * 4)
    s.write(WINDOW, 4, 0x30 | (1 << 15 if level else 0))   # vector 0x30, unmasked
    return m, got


def test_dsdt_has_the_interrupt_only_with_uart_irq():
    dsdt = {name: data for name, _, data in Machine(128, uart_irq=True).acpi_tables()}["DSDT"]
    assert EXT_IRQ_4 in dsdt
    plain = {name: data for name, _, data in Machine(128).acpi_tables()}["DSDT"]
    assert EXT_IRQ_4 not in plain


def test_edge_triggered_thr_empty():
    m, got = machine()
    u = m.uart
    u.write(MCR, 1, MCR_OUT2)
    assert got == []
    u.write(IER, 1, IER_THRI)            # THR empty: the line rises
    assert got == [0x30]
    u.write(THR, 1, ord("x"))            # still high: no new edge
    assert got == [0x30]
    assert u.read(IIR, 1) & 0x0F == 0x02  # acknowledges THR empty: the line falls
    u.write(THR, 1, ord("y"))            # empty again at once: a new edge
    assert got == [0x30, 0x30]


def test_masked_entry_delivers_nothing():
    m, got = machine()
    s = m.iosapic
    s.write(REG_SELECT, 4, 0x10 + 2 * 4)
    s.write(WINDOW, 4, 0x30 | (1 << 16))
    m.uart.write(MCR, 1, MCR_OUT2)
    m.uart.write(IER, 1, IER_THRI)
    assert got == []


def test_level_triggered_until_eoi():
    m, got = machine(level=True)
    u = m.uart
    u.write(MCR, 1, MCR_OUT2)
    u.write(IER, 1, IER_THRI)
    u.write(THR, 1, ord("x"))
    assert got == [0x30]                 # once, while in flight
    m.iosapic.write(EOI, 4, 0x30)        # still asserted: delivered again
    assert got == [0x30, 0x30]
    u.read(IIR, 1)                       # the line falls
    m.iosapic.write(EOI, 4, 0x30)
    assert got == [0x30, 0x30]
