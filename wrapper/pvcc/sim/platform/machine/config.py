"""What the machine tells the kernel about its processor and clocks.

PAL reports these numbers and the kernel relies on them, so the CPU side must
implement what they say: ``nphys`` physical stacked registers (the kernel
patches ``rse_clear_invalid`` with the PAL_RSE_INFO count), ``impl_va_msb``
+ 1 implemented virtual address bits, ``phys_addr_bits`` physical ones,
``rid_bits`` of region id, ``n_itr``/``n_dtr`` translation registers, the
page sizes of ``page_sizes`` for inserts and purges, and an ITC that counts
``itc_hz`` ticks per second of the machine's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

# 4K 8K 16K 64K 256K 1M 4M 16M 64M 256M 4G: the architected purge sizes,
# the mask the kernel itself assumes when PAL_VM_PAGE_SIZE fails (mm/tlb.c).
ARCHITECTED_PAGE_SIZES = 0x115557000


@dataclass(frozen=True)
class ProcessorConfig:
    nphys: int = 96                  # physical stacked registers (pvcc-sim --nphys)
    lid: int = 0                     # cr.lid: id in bits 31:24, eid in 23:16
    impl_va_msb: int = 50            # 51 implemented VA bits (the kernel needs 51..61)
    phys_addr_bits: int = 50
    rid_bits: int = 24
    key_bits: int = 24
    n_pkr: int = 16
    n_itr: int = 8
    n_dtr: int = 8
    vhpt_walker: bool = False        # PAL_VM_SUMMARY vw: the SDM makes the walker optional
    page_sizes: int = ARCHITECTED_PAGE_SIZES
    platform_hz: int = 100_000_000   # SAL_FREQ_BASE (the kernel resets < 40 MHz to 75 MHz)
    itc_hz: int = 10_000_000         # ITC ticks per second: 100,000 per tick at HZ=100
    cpu_hz: int = 1_000_000_000      # reported only (/proc/cpuinfo)
    bus_hz: int = 200_000_000        # reported only

    @property
    def lid_id(self) -> int:
        return (self.lid >> 24) & 0xFF

    @property
    def lid_eid(self) -> int:
        return (self.lid >> 16) & 0xFF

    def ratio(self, hz: int) -> Fraction:
        """hz / platform_hz, the form PAL_FREQ_RATIOS reports."""
        r = Fraction(hz, self.platform_hz)
        if r.numerator >= 1 << 32 or r.denominator >= 1 << 32:
            raise ValueError(f"{hz} Hz is not a 32-bit ratio of {self.platform_hz} Hz")
        return r
