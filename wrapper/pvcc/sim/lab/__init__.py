"""The proof lab around the model: ``build`` (``pvcc-sim cc``), ``prove``
(three-way execution proof), ``csmith`` (random programs against the host),
``weave`` (intrinsics woven into csmith programs), ``drivers`` (drivers for
testcases), ``hostile`` (hostile returns of the hypervisor layer).  The lab
plugs into the CPU and the platforms; they never import it.
"""
