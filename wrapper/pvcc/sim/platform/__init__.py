"""Platforms a CPU is wired to: ``userland`` (the user-mode Linux harness that
``pvcc-sim run`` uses: ELF loader, user ABI, system calls and hypercalls),
``hostcall`` (load images and call their functions from Python), and
``machine`` (the machine Linux boots on: firmware, ACPI, UART, boot loader).
"""
