"""Platforms of pvcc-sim: what surrounds the CPU (the machine of docs/machine.md)."""
