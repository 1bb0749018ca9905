"""Fuzz the reader and the checker with mutated real objects (hypothesis).

Whatever bytes an object holds, `open_object` either returns an object or
raises ObjectError (one line, naming the file), and `check_object` on any
object that was read returns a report: never another exception.  Only
genuine format errors become an ObjectError, so a bug of the loader (a
missing bounds check, a wrong field) fails these tests.
"""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asmtools import AS, ASM_DIR, LD, needs_binutils
from pvcc import elf
from pvcc.check import check_object
from pvcc.objects import ObjectError, load_object

pytestmark = needs_binutils

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, bytes]:
    d = tmp_path_factory.mktemp("fuzz")
    out = {}
    for name in ("good", "sites", "stubs"):
        o = d / f"{name}.o"
        subprocess.run([AS, "-x", "-mconstant-gp", "-I", str(ASM_DIR), str(ASM_DIR / f"{name}.s"),
                        "-o", str(o)], check=True, capture_output=True)
        out[name] = o.read_bytes()
    exe = d / "sites.elf"
    subprocess.run([LD, "-e", "bar", str(d / "sites.o"), str(d / "stubs.o"), "-o", str(exe)],
                   check=True, capture_output=True)
    out["sites.elf"] = exe.read_bytes()
    so = d / "good.so"      # dynamic relocations in the record section
    subprocess.run([LD, "-shared", str(d / "good.o"), str(d / "stubs.o"), "-o", str(so)],
                   check=True, capture_output=True)
    out["good.so"] = so.read_bytes()
    return out


def exercise(name: str, data: bytes) -> None:
    try:
        obj = load_object(name, data)
    except ObjectError as e:
        msg = str(e)
        assert msg.startswith(f"{name}: ") and "\n" not in msg, msg
        return
    rep = check_object(obj)
    for v in rep.violations:
        assert "\n" not in str(v)
    for r in obj.records or []:
        obj.where(r.start)


def interesting_offsets(data: bytes) -> list[int]:
    """Offsets worth hitting more often: ELF header, section headers, tables."""
    headers = elf.section_header_table(data)
    offs = list(range(elf.EHDR_SIZE))
    for sh in headers:
        offs += list(range(sh.hdr, min(len(data), sh.hdr + elf.SHDR.size)))
        off, size = sh.header.sh_offset, sh.header.sh_size
        if off < len(data):
            offs += list(range(off, min(len(data), off + min(size, 256))))
    return offs


NAMES = st.sampled_from(["good", "sites", "stubs", "sites.elf", "good.so"])


@SETTINGS
@given(name=NAMES, data=st.data())
def test_flipped_bytes(corpus, name, data):
    blob = bytearray(corpus[name])
    hot = interesting_offsets(bytes(blob))
    n = data.draw(st.integers(1, 8))
    for _ in range(n):
        if data.draw(st.booleans()):
            off = data.draw(st.sampled_from(hot))
        else:
            off = data.draw(st.integers(0, len(blob) - 1))
        blob[off] ^= data.draw(st.integers(1, 255))
    exercise(name, bytes(blob))


@SETTINGS
@given(name=NAMES, data=st.data())
def test_overwritten_runs(corpus, name, data):
    blob = bytearray(corpus[name])
    hot = interesting_offsets(bytes(blob))
    off = data.draw(st.sampled_from(hot))
    chunk = data.draw(st.binary(min_size=1, max_size=16))
    if data.draw(st.booleans()):
        # plausible-looking values: small, huge, sign-extended
        chunk = data.draw(st.sampled_from([
            b"\x00" * 8, b"\xff" * 8, b"\x40\x00\x00\x00\x00\x00\x00\x00",
            b"\x00\x00\x00\x00\x00\x00\x00\x80", b"\x27\x00\x00\x00", b"\x49\x00\x00\x00"]))
    blob[off:off + len(chunk)] = chunk
    exercise(name, bytes(blob[:len(corpus[name])]))


@SETTINGS
@given(name=NAMES, data=st.data())
def test_truncated(corpus, name, data):
    blob = corpus[name]
    cut = data.draw(st.integers(0, len(blob) - 1))
    exercise(name, blob[:cut])


@SETTINGS
@given(name=NAMES, data=st.data())
def test_truncated_and_flipped(corpus, name, data):
    blob = bytearray(corpus[name])
    for _ in range(data.draw(st.integers(1, 4))):
        off = data.draw(st.integers(0, len(blob) - 1))
        blob[off] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(len(blob) // 2, len(blob)))
    exercise(name, bytes(blob[:cut]))


def test_corpus_is_valid(corpus):
    for name in ("good", "sites", "stubs", "sites.elf"):
        rep = check_object(load_object(name, corpus[name]))
        assert rep.violations == [], (name, rep.violations)
    # The shared object calls through its PLT (a region violation): it is here for the reader.
    assert len(load_object("good.so", corpus["good.so"]).records) == 1


def test_only_format_errors_are_user_errors():
    # Anything else the loader raises is a bug of pvcc, and must fail the tests above.
    from pvcc.objects import FORMAT_ERRORS

    for bug in (TypeError, AttributeError, KeyError, IndexError, AssertionError, NameError):
        assert not issubclass(bug, FORMAT_ERRORS), bug
