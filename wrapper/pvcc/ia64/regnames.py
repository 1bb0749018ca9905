"""Application and control register names as objdump prints them.

A leaf of the decoder: the instruction text (``text``), the semantic layer and
the catalog's register names all read these tables; it imports nothing.
"""

# Application register names as objdump prints them (others print as "arN").
AR_NAMES = {
    0: "k0", 1: "k1", 2: "k2", 3: "k3", 4: "k4", 5: "k5", 6: "k6", 7: "k7",
    16: "rsc", 17: "bsp", 18: "bspstore", 19: "rnat", 21: "fcr", 24: "eflag",
    25: "csd", 26: "ssd", 27: "cflg", 28: "fsr", 29: "fir", 30: "fdr", 32: "ccv",
    36: "unat", 40: "fpsr", 44: "itc", 45: "ruc", 64: "pfs", 65: "lc", 66: "ec",
}
# Control register names as objdump prints them (others print as "crN").
CR_NAMES = {
    0: "dcr", 1: "itm", 2: "iva", 8: "pta", 16: "ipsr", 17: "isr", 19: "iip",
    20: "ifa", 21: "itir", 22: "iipa", 23: "ifs", 24: "iim", 25: "iha",
    26: "iib0", 27: "iib1", 64: "lid", 65: "ivr", 66: "tpr", 67: "eoi",
    68: "irr0", 69: "irr1", 70: "irr2", 71: "irr3", 72: "itv", 73: "pmv",
    74: "cmcv", 80: "lrr0", 81: "lrr1",
}


def ar_name(ar: int) -> str:
    return "ar." + AR_NAMES[ar] if ar in AR_NAMES else f"ar{ar}"


def cr_name(cr: int) -> str:
    return "cr." + CR_NAMES[cr] if cr in CR_NAMES else f"cr{cr}"
