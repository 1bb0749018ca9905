"""The privileged machine the model presents: PSR, control and region registers,
CPUID, the interval time counter, the VHPT hash, and the effect log.

Values are those of an Itanium 2 (Madison) where the architecture leaves them
to the implementation; where it leaves them undefined the model picks a
documented deterministic value (see docs/sim.md).
"""

from __future__ import annotations

M64 = (1 << 64) - 1

# CPUID[0..1]: vendor "GenuineIntel"; CPUID[2]: reserved 0; CPUID[3]: version
# (number 4, revision 2, model 2, family 0x1f, archrev 0: Itanium 2, Madison);
# CPUID[4]: features lb (long branch) and ao (16-byte atomic operations).
CPUID = (
    int.from_bytes(b"GenuineI", "little"),
    int.from_bytes(b"ntel\0\0\0\0", "little"),
    0,
    (0 << 32) | (0x1F << 24) | (2 << 16) | (2 << 8) | 4,
    0x5,
)

# PSR bits the model knows by name.
PSR_BITS = {"be": 1, "up": 2, "ac": 3, "mfl": 4, "mfh": 5, "ic": 13, "i": 14, "pk": 15,
            "dt": 17, "dfl": 18, "dfh": 19, "sp": 20, "pp": 21, "di": 22, "si": 23,
            "db": 24, "lp": 25, "tb": 26, "rt": 27, "cpl": 32, "is": 34, "mc": 35,
            "it": 36, "id": 37, "da": 38, "dd": 39, "ss": 40, "ri": 41, "ed": 43,
            "bn": 44, "ia": 45}

# What `mov r = psr` reads: PSR{36:0} (bits 63:37 read as 0).
PSR_READ = 0x1FFFFFFFFF

ITC_START = 1_000_000
ITC_STEP = 1_000


class Privileged:
    """PSR, CRs, RRs, PKRs, debug/perf registers, ITC and the effect log."""

    def __init__(self):
        # A user-level program starts with the translation bits on, cpl 0 (the
        # model runs kernel code too), interrupts off.
        psr = 0
        for b in ("ic", "dt", "rt", "it", "bn"):
            psr |= 1 << PSR_BITS[b]
        self.psr = psr
        self.cr = [0] * 128
        self.cr[66] = 1 << 16  # tpr.mmi: external interrupts masked
        self.cr[72] = self.cr[73] = self.cr[74] = 1 << 16  # itv, pmv, cmcv masked
        self.cr[80] = self.cr[81] = 1 << 16  # lrr0, lrr1 masked
        self.cr[8] = 0x1F << 2  # pta: size 2**31, vf 0, ve 0
        # Region registers: rid = region number, ps = 16 KiB (14), ve 0.
        self.rr = [(n << 8) | (14 << 2) for n in range(8)]
        self.pkr: dict[int, int] = {}
        self.dbr: dict[int, int] = {}
        self.ibr: dict[int, int] = {}
        self.pmc: dict[int, int] = {}
        self.pmd: dict[int, int] = {}
        self.itc_base = ITC_START
        self.itc_reads = 0
        self.effects: list[tuple] = []  # (what, address, *operands)

    # ITC: every read returns the previous value plus ITC_STEP, so the values a
    # program sees do not depend on how many instructions ran in between
    # (a paravirtualized and a native build read the same sequence).
    def read_itc(self) -> int:
        self.itc_reads += 1
        return (self.itc_base + self.itc_reads * ITC_STEP) & M64

    def write_itc(self, value: int) -> None:
        self.itc_base = value
        self.itc_reads = 0

    def thash(self, va: int) -> int:
        """The VHPT entry address of ``va`` (short format per the SDM's hash;
        long format: the model's own hash, documented in docs/sim.md)."""
        pta = self.cr[8]
        vrn = va >> 61
        ps = (self.rr[vrn] >> 2) & 0x3F
        size = (pta >> 2) & 0x3F
        mask = (1 << size) - 1
        base = pta & ~0x7FFF & ((1 << 61) - 1) & ~mask
        vpn = (va & ((1 << 61) - 1)) >> ps
        if (pta >> 8) & 1:  # long format: 32-byte entries, vpn xor rid
            rid = (self.rr[vrn] >> 8) & 0xFFFFFF
            offset = (((vpn ^ rid) << 5) & mask)
            return (vrn << 61) | base | offset
        return (vrn << 61) | base | ((vpn << 3) & mask)

    def ttag(self, va: int) -> int:
        """Translation tag (model-defined: region id and virtual page number, ti bit 0)."""
        vrn = va >> 61
        ps = (self.rr[vrn] >> 2) & 0x3F
        rid = (self.rr[vrn] >> 8) & 0xFFFFFF
        vpn = (va & ((1 << 61) - 1)) >> ps
        return ((vpn ^ (rid << 39)) & ((1 << 63) - 1))

    def log(self, what: str, addr: int, *operands: int) -> None:
        self.effects.append((what, addr, *operands))
