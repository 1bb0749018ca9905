"""The user-mode Linux harness: ``loader`` (static ELF executable and the
Linux ia64 user ABI), ``syscalls`` (system calls and the model's hypercalls),
``program`` (load and run in one call: ``run_program``).
"""
