"""write_atomic: the whole new file or the old one, never a temporary left behind."""

import os

import pytest

from pvcc.atomicfile import write_atomic


def test_writes_text_and_bytes_with_the_mode_asked(tmp_path):
    out = tmp_path / "t.h"
    write_atomic(str(out), "héllo\n")
    assert out.read_bytes() == "héllo\n".encode()
    write_atomic(str(out), bytearray(b"\x7fELF"), mode=0o755)
    assert out.read_bytes() == b"\x7fELF" and (out.stat().st_mode & 0o777) == 0o755
    assert os.listdir(tmp_path) == ["t.h"]


def test_a_failed_check_keeps_the_old_file_and_no_temporary(tmp_path):
    out = tmp_path / "t.o"
    out.write_bytes(b"old")
    seen = []

    def check(tmp):
        with open(tmp, "rb") as f:
            seen.append(f.read())
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        write_atomic(str(out), b"new", fsync=True, check=check)
    assert seen == [b"new"] and out.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["t.o"]


def test_errors_name_the_requested_path(tmp_path):
    missing = tmp_path / "no" / "t.S"
    with pytest.raises(OSError) as e:
        write_atomic(str(missing), "x")
    assert e.value.filename == str(missing)
    (tmp_path / "d").mkdir()
    with pytest.raises(IsADirectoryError) as e:
        write_atomic(str(tmp_path / "d"), "x")
    assert e.value.filename == str(tmp_path / "d") and os.listdir(tmp_path) == ["d"]
