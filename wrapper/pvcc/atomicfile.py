"""Publishing a file whole: readers see the old file or the new one, never half of one.

``write_atomic(path, data)`` writes into a fresh temporary file next to
``path`` (same directory, so the final rename stays on one file system),
optionally lets the caller check the temporary (``check(tmp)``), then renames
it over ``path``.  On any failure, an interrupt included, the temporary is
removed and ``path`` is left as it was; an OSError about the temporary
names ``path``, the file the user asked for.
"""

from __future__ import annotations

import os
import tempfile


def write_atomic(path: str, data: bytes | bytearray | str, *, mode: int | None = None,
                 fsync: bool = False, check=None) -> None:
    """Replace ``path`` by ``data`` (str is written as UTF-8) in one rename.

    ``mode`` sets the permissions (a temporary file is created 0600);
    ``fsync`` flushes the bytes to disk before the rename; ``check``, if
    given, is called with the temporary's path before the rename and may
    raise to abandon the write.
    """
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                                   dir=directory)
    except OSError as e:
        raise OSError(e.errno, e.strerror, path) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        if check is not None:
            check(tmp)
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError) and e.filename == tmp:
            raise OSError(e.errno, e.strerror, path) from None
        raise
