"""The IA-64 system architecture on top of the CPU (SDM volume 2):
interruptions, address translation, the interrupt controller and the timer.
"""
