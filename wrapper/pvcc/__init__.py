"""pvcc: paravirtualized IA-64 call sites from ordinary C.

Kept import-free on purpose: `pvcc` runs as CC thousands of times per kernel
build, and its fast path must not pay for imports it does not use.
"""

__version__ = "0.1.0"
