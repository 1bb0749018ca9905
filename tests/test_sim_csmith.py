"""The csmith harness of pvcc-sim: real csmith programs, the host's reference
checksum, and IA-64 builds at every level with and without the kernel flags.

When pvcc-sim's model is installed the same sample is run in it and every
cell must agree with the host; until then the cells report "no model" and
this checks everything up to the model.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pvcc.sim.lab import csmith

try:
    csmith.csmith_exe()
    csmith.csmith_include()
    HAVE_CSMITH = True
except csmith.HarnessError:
    HAVE_CSMITH = False

needs_csmith = pytest.mark.skipif(not HAVE_CSMITH,
                                  reason="needs Debian's csmith and libcsmith-dev")
CAMPAIGN = Path(__file__).resolve().parents[1] / "tools" / "sim_campaign.py"
# Seeds whose programs finish quickly on the host (and so in the model).
SAMPLE_SEEDS = (1, 4, 9)


@needs_csmith
def test_generate_is_deterministic_and_leaves_no_platform_info(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    csmith.generate(7, str(tmp_path / "a.c"))
    csmith.generate(7, str(tmp_path / "b.c"))
    assert (tmp_path / "a.c").read_text().count("\n") > 50
    assert (tmp_path / "a.c").read_text() == (tmp_path / "b.c").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.c", "b.c"]


@needs_csmith
def test_host_reference_and_timeout(tmp_path):
    src = tmp_path / "p.c"
    csmith.generate(1, str(src))
    ref = csmith.host_reference(str(src), str(tmp_path))
    assert ref.outcome is None and ref.checksum.startswith("checksum = ")
    loop = tmp_path / "loop.c"
    loop.write_text("#include <stdio.h>\nint main(void) { for (;;) ; }\n")
    ref = csmith.host_reference(str(loop), str(tmp_path), timeout=0.5)
    assert ref.outcome == csmith.HOST_TIMEOUT_OUTCOME and ref.checksum is None


@pytest.fixture(scope="module")
def sample(gcc, tmp_path_factory):
    """The sample programs built at every level and flag set: {seed: workdir}."""
    if not HAVE_CSMITH:
        pytest.skip("needs Debian's csmith and libcsmith-dev")
    old = os.environ.get("PVCC_GCC")
    os.environ["PVCC_GCC"] = gcc
    try:
        dirs = {}
        for seed in SAMPLE_SEEDS:
            d = tmp_path_factory.mktemp(f"csmith-{seed}")
            dirs[seed] = (d, csmith.run_program(seed, str(d), model=False))
        yield dirs
    finally:
        if old is None:
            del os.environ["PVCC_GCC"]
        else:
            os.environ["PVCC_GCC"] = old


@needs_csmith
@pytest.mark.parametrize("seed", SAMPLE_SEEDS)
def test_sample_builds_at_every_level_and_flag_set(sample, seed):
    d, r = sample[seed]
    assert r.host is None, r.detail
    assert len(r.cells) == len(csmith.LEVELS) * len(csmith.FLAG_SETS)
    assert [c.outcome for c in r.cells] == [csmith.NO_MODEL] * len(r.cells)
    for c in r.cells:
        assert (d / f"csmith-{seed}{c.level}-{c.flags}").is_file()


@needs_csmith
@pytest.mark.skipif(not csmith.model_available(), reason="pvcc-sim's model is not installed")
@pytest.mark.parametrize("seed", SAMPLE_SEEDS)
def test_sample_agrees_with_the_host_in_the_model(sample, seed):
    """Every build with --spec succeed, and with --spec fail where GCC speculates;
    a disagreement or a model error fails."""
    d, _ = sample[seed]
    r = csmith.run_program(seed, str(d), specs=("succeed", "fail"), reuse=True,
                           max_insns=20_000_000)
    assert r.host is None, r.detail
    assert len(r.cells) == (len(csmith.LEVELS) + len(csmith.SPECULATING_LEVELS)) * 2
    assert {(c.level, c.spec) for c in r.cells if c.spec == "fail"} == {
        (lv, "fail") for lv in csmith.SPECULATING_LEVELS}
    assert [c.outcome for c in r.cells] == [csmith.AGREE] * len(r.cells), csmith.failures([r])


def test_table_counts_outcomes_and_discards():
    cells = [csmith.Cell("-O2", "kernel", "succeed", csmith.AGREE),
             csmith.Cell("-O0", "plain", "succeed", csmith.DISAGREE, "model 'x', host 'y'"),
             csmith.Cell("-O0", "plain", "succeed", csmith.AGREE)]
    results = [csmith.ProgramResult(1, None, "checksum = 1", cells[:2]),
               csmith.ProgramResult(2, None, "checksum = 2", cells[2:]),
               csmith.ProgramResult(3, csmith.HOST_TIMEOUT_OUTCOME, None, [])]
    lines = csmith.table(results).splitlines()
    assert lines[0] == "csmith: 3 programs, 2 compared, 1 discarded (host timeout), 0 host errors"
    assert lines[1].split() == ["level", "flags", "spec", "agree", "disagree", "model", "error",
                                "build", "error"]
    assert lines[2].split() == ["-O0", "plain", "succeed", "1", "1", "0", "0"]
    assert lines[3].split() == ["-O2", "kernel", "succeed", "1", "0", "0", "0"]
    assert lines[4].split() == ["total", "2", "1", "0", "0"]
    assert csmith.failures(results) == [
        "seed 1 -O0 plain succeed: disagree: model 'x', host 'y'"]


def test_campaign_bad_usage_is_one_line():
    p = subprocess.run([sys.executable, str(CAMPAIGN), "--flags", "xen"], capture_output=True,
                       text=True, check=False, env=dict(os.environ))
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == ["sim_campaign: error: bad --flags ['xen']"]
