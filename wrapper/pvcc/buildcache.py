"""A content-keyed build cache: a directory per key, built once, published whole.

``pvcc.pluginbuild`` keeps its plugins in one (``<cache>/plugins/KEY``), pvcc-sim
its runtime libraries in another (``<cache>/simrt/KEY``, ``pvcc.sim.lab.build``).
A KEY hashes everything the build's output depends on (``framed_hash``); a
compiler's part of it is ``pvcc.compilers.compiler_identity``.  ``build_cache_entry``
builds a key's directory under a lock, in a temporary directory renamed into
place, so concurrent builds (a ``make -j``) build it once and nobody sees half
of it.

Only ``os`` is imported at module level: the callers import this module on their
slow path only (a key not built yet).
"""

from __future__ import annotations

import os


def framed_hash():
    """A sha256 and its ``add(tag, data)``: each part goes in framed by its tag and
    length, so two different lists of parts never hash alike (str as UTF-8)."""
    import hashlib

    h = hashlib.sha256()

    def add(tag: str, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        h.update(f"{tag}\0{len(data)}\0".encode())
        h.update(data)

    return h, add


def build_cache_entry(final: str, marker: str, build) -> None:
    """Build the cache directory ``final`` once, however many processes ask at once.

    Under a lock (``.lock-KEY`` beside it): unless ``final/marker`` exists (someone
    else built it while we waited), sweep the temporaries of builds that died and a
    ``final`` without ``marker`` (debris), call ``build(tmp)`` in a fresh temporary
    directory and rename that to ``final`` (mode 0755).  A failed build leaves nothing.
    """
    import fcntl
    import shutil
    import tempfile

    top = os.path.dirname(final)
    key = os.path.basename(final)
    with open(os.path.join(top, f".lock-{key}"), "a+") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        if os.path.isfile(os.path.join(final, marker)):
            return
        # Temp dirs of builds that died: nobody else holds the lock.
        for name in os.listdir(top):
            if name.startswith(f".tmp-{key}-"):
                shutil.rmtree(os.path.join(top, name), ignore_errors=True)
        if os.path.isdir(final):
            shutil.rmtree(final, ignore_errors=True)
        tmp = tempfile.mkdtemp(prefix=f".tmp-{key}-", dir=top)
        try:
            build(tmp)
            os.chmod(tmp, 0o755)
            os.rename(tmp, final)
            tmp = None
        finally:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
