"""Fetch Debian ``gcc-N-source`` packages through a private apt configuration.

The system's apt sources are never edited.  For GCC versions the host's own
release does not carry, pvcc keeps an apt configuration of its own under the
cache (``<cache>/apt``): its own ``sources.list``, empty ``sources.list.d`` and
preferences, and its own state and cache directories.  The archive it points
at is the one the system already uses: the URI is read from
``/etc/apt/sources.list`` and ``/etc/apt/sources.list.d``, never written into
this code.  ``apt-get download`` fetches the ``.deb`` (as any user: nothing is
installed), and ``dpkg-deb -x`` unpacks it inside the cache.

Used only on the slow path of ``pvcc-toolchain install``.
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
from pathlib import Path

#: Suites the private configuration lists, in order of preference: a stable
#: release first (its packages do not change under us), then unstable.
PRIVATE_SUITES = ("trixie", "sid")

DEFAULT_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
SYSTEM_SOURCES = "/etc/apt/sources.list"
SYSTEM_SOURCE_PARTS = "/etc/apt/sources.list.d"


class AptError(Exception):
    """A one-line description of what went wrong fetching a source package."""


class SourceEntry:
    """One ``deb`` line (or deb822 stanza) of the system's apt configuration."""

    __slots__ = ("components", "origin", "signed_by", "suites", "types", "uris")

    def __init__(self, types, uris, suites, components, signed_by, origin):
        self.types = types
        self.uris = uris
        self.suites = suites
        self.components = components
        self.signed_by = signed_by
        self.origin = origin

    def __repr__(self):
        return (f"SourceEntry({self.types}, {self.uris}, {self.suites}, "
                f"{self.components}, signed_by={self.signed_by!r}, origin={self.origin!r})")


def _parse_one_line(text: str, origin: str) -> list[SourceEntry]:
    entries = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        options = {}
        m = re.match(r"^(deb|deb-src)\s+\[([^\]]*)\]\s+(.*)$", line)
        if m:
            kind, opts, rest = m.groups()
            for opt in opts.split():
                if "=" in opt:
                    k, v = opt.split("=", 1)
                    options[k.lower()] = v
        else:
            parts = line.split(None, 1)
            if len(parts) != 2 or parts[0] not in ("deb", "deb-src"):
                continue
            kind, rest = parts
        fields = rest.split()
        if len(fields) < 2:
            continue
        uri, suite, components = fields[0], fields[1], fields[2:]
        entries.append(SourceEntry([kind], [uri], [suite], components,
                                   options.get("signed-by"), origin))
    return entries


def _parse_deb822(text: str, origin: str) -> list[SourceEntry]:
    entries = []
    for stanza in re.split(r"\n[ \t]*\n", text):
        fields: dict[str, str] = {}
        key = None
        for raw in stanza.splitlines():
            if raw.startswith("#"):
                continue
            if raw[:1] in (" ", "\t") and key:
                fields[key] += "\n" + raw.strip()
                continue
            if ":" not in raw:
                continue
            key, value = raw.split(":", 1)
            key = key.strip().lower()
            fields[key] = value.strip()
        if not fields.get("uris") or not fields.get("types"):
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        signed_by = fields.get("signed-by")
        if signed_by and "\n" in signed_by:     # an inline key block: let apt use its defaults
            signed_by = None
        entries.append(SourceEntry(fields["types"].split(), fields["uris"].split(),
                                   fields.get("suites", "").split(),
                                   fields.get("components", "").split(), signed_by, origin))
    return entries


def system_entries(sources: str = SYSTEM_SOURCES,
                   parts: str = SYSTEM_SOURCE_PARTS) -> list[SourceEntry]:
    """Every enabled entry of the system's apt sources (read-only)."""
    entries: list[SourceEntry] = []
    files = [sources] + sorted(glob.glob(os.path.join(parts, "*.list"))) \
        + sorted(glob.glob(os.path.join(parts, "*.sources")))
    for path in files:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        if path.endswith(".sources"):
            entries += _parse_deb822(text, path)
        else:
            entries += _parse_one_line(text, path)
    return entries


def host_codename() -> str | None:
    try:
        with open("/etc/os-release", encoding="utf-8") as f:
            for line in f:
                if line.startswith("VERSION_CODENAME="):
                    return line.split("=", 1)[1].strip().strip('"') or None
    except OSError:
        pass
    return None


def system_mirror(entries: list[SourceEntry] | None = None) -> tuple[str, str | None]:
    """(URI, keyring) of the Debian archive the system already uses.

    Picks a ``deb`` entry carrying ``main`` of a plain release suite (not
    -security, -updates, -backports), preferring the host's own codename.
    ``PVCC_APT_MIRROR`` overrides the URI (for hosts whose apt points elsewhere).
    """
    override = os.environ.get("PVCC_APT_MIRROR")
    keyring = DEFAULT_KEYRING if os.path.exists(DEFAULT_KEYRING) else None
    if override:
        return override.rstrip("/"), keyring
    if entries is None:
        entries = system_entries()
    codename = host_codename()
    best = None
    for e in entries:
        if "deb" not in e.types or "main" not in e.components:
            continue
        plain = [s for s in e.suites if "/" not in s and "-" not in s]
        if not plain:
            continue
        uri = next((u for u in e.uris if u.startswith(("http://", "https://"))), None)
        if uri is None or "security" in uri:
            continue
        score = 2 if codename in plain else 1
        if best is None or score > best[0]:
            best = (score, uri, e.signed_by)
    if best is None:
        raise AptError("no Debian archive found in /etc/apt/sources.list(.d); "
                       "set PVCC_APT_MIRROR to the archive URI")
    _, uri, signed_by = best
    if signed_by and os.path.exists(signed_by):
        keyring = signed_by
    return uri.rstrip("/"), keyring


class PrivateApt:
    """apt with its own sources, state and cache under ``root`` (``<cache>/apt``)."""

    def __init__(self, root: Path, log=None):
        self.root = Path(root)
        self.log = log           # callable(str) receiving command output, or None

    @property
    def debs(self) -> Path:
        return self.root / "debs"

    def options(self) -> list[str]:
        r = self.root
        opts = {
            "Dir::Etc::SourceList": r / "sources.list",
            "Dir::Etc::SourceParts": r / "sources.list.d",
            "Dir::Etc::Preferences": r / "preferences",
            "Dir::Etc::PreferencesParts": r / "preferences.d",
            "Dir::State": r / "state",
            "Dir::Cache": r / "cache",
        }
        out = []
        for k, v in opts.items():
            out += ["-o", f"{k}={v}"]
        if os.geteuid() == 0:
            # Files live in root's cache; apt's _apt sandbox user cannot write there.
            out += ["-o", "APT::Sandbox::User=root"]
        return out

    def setup(self) -> None:
        uri, keyring = system_mirror()
        for d in ("sources.list.d", "preferences.d", "state/lists/partial",
                  "cache/archives/partial", "debs"):
            (self.root / d).mkdir(parents=True, exist_ok=True)
        opt = f"[signed-by={keyring}] " if keyring else ""
        text = "".join(f"deb {opt}{uri} {suite} main\n" for suite in PRIVATE_SUITES)
        path = self.root / "sources.list"
        try:
            if path.read_text() == text:
                return
        except OSError:
            pass
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
        # New sources: old lists are stale.
        for f in (self.root / "state" / "lists").glob("*_*"):
            f.unlink()

    def _run(self, args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
        cmd = [args[0]] + self.options() + args[1:]
        env = dict(os.environ, LC_ALL="C", DEBIAN_FRONTEND="noninteractive")
        if self.log:
            self.log("$ " + " ".join(cmd))
        p = subprocess.run(cmd, check=False, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if self.log:
            self.log(p.stdout)
        return p

    def update(self) -> None:
        p = self._run(["apt-get", "-q", "update"])
        if p.returncode != 0:
            raise AptError("apt-get update (private configuration) failed: "
                           + _last_error(p.stdout))

    def have_lists(self) -> bool:
        return any((self.root / "state" / "lists").glob("*_Packages*"))

    def cached_deb(self, package: str) -> Path | None:
        debs = sorted(self.debs.glob(f"{package}_*.deb"))
        return debs[-1] if debs else None

    def download(self, package: str) -> Path:
        """Download ``package`` (from the first suite that has it) into ``debs``."""
        found = self.cached_deb(package)
        if found:
            return found
        self.setup()
        if not self.have_lists():
            self.update()
        # Download into a scratch dir and move the finished file: an interrupted
        # download never leaves a truncated .deb where cached_deb() looks.
        import shutil
        import tempfile
        updated = False
        while True:
            errors = []
            for suite in PRIVATE_SUITES:
                with tempfile.TemporaryDirectory(dir=self.debs, prefix=".dl-") as tmp:
                    p = self._run(["apt-get", "-q", "download", f"{package}/{suite}"], cwd=tmp)
                    got = sorted(Path(tmp).glob(f"{package}_*.deb"))
                    if p.returncode == 0 and got:
                        dest = self.debs / got[-1].name
                        shutil.move(str(got[-1]), dest)
                        return dest
                errors.append(_last_error(p.stdout))
            if updated:
                break
            self.update()
            updated = True
        raise AptError(f"{package} not found in {', '.join(PRIVATE_SUITES)}: {errors[-1]}")


def _last_error(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errs = [ln for ln in lines if ln.startswith(("E:", "W:", "Err:"))]
    return (errs or lines or ["(no output)"])[-1]


def deb_version(deb: Path) -> str:
    p = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], check=False, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    return p.stdout.strip()


def extract(deb: Path, dest: Path) -> None:
    """``dpkg-deb -x`` into ``dest``, atomically (via ``dest.tmp``)."""
    tmp = dest.with_name(dest.name + ".tmp")
    if tmp.exists():
        subprocess.run(["rm", "-rf", str(tmp)], check=True)
    tmp.mkdir(parents=True)
    p = subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp)], check=False, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        raise AptError(f"dpkg-deb -x {deb.name} failed: {_last_error(p.stdout)}")
    os.rename(tmp, dest)


def host_candidate(package: str) -> str | None:
    """The version the system's own apt would install, or None if it has none."""
    try:
        p = subprocess.run(["apt-cache", "policy", package], check=False, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True,
                           env=dict(os.environ, LC_ALL="C"))
    except OSError:
        return None
    m = re.search(r"^\s*Candidate:\s*(\S+)", p.stdout, re.MULTILINE)
    if not m or m.group(1) == "(none)":
        return None
    return m.group(1)
