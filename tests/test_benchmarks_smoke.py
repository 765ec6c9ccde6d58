"""A smoke run of benchmarks/run.py with tiny counts, so the benchmarks cannot rot.

The figures of such a run mean nothing (and no test asserts a timing); what is checked is
that every row runs -- wechatpy's (the test extra installs it), the loopback rows against
nginx and the Redis stampede (tests/run.sh installs nginx-light and redis-server) -- that
the saved JSON carries what a reader needs to trust a figure, and that the chart is drawn.
The instruction counting of ``--instructions`` is checked on one side: it counts the calls,
not the interpreter around them.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_quick_run_measures_every_row_and_draws_the_chart(tmp_path: Path) -> None:
    out, chart = tmp_path / "results.json", tmp_path / "chart.png"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick",
                           "--json", str(out), "--chart", str(chart)],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert result["versions"]["python"] == ".".join(map(str, sys.version_info[:3]))
    assert result["versions"]["wechatpy"] == "1.8.18"
    assert result["machine"]["cpus"] >= 1 and result["server"].startswith("nginx")
    groups = {row["group"] for row in result["rows"]}
    assert groups == {"messages", "in-process call", "loopback", "loopback async", "import",
                      "memory", "token stampede"}
    for row in result["rows"]:
        assert row["ratios"], f"{row['case']} over {row['reference']}: not run ({row['note']})"
        assert all(math.isfinite(r) and r > 0 for r in row["ratios"]), row
        assert min(row["ratios"]) <= row["median"] <= max(row["ratios"]), row
        assert row["mode"] == {"memory": "bytes", "token stampede": "count"}.get(
            row["group"], "time"), row
    stampede = [r for r in result["rows"] if r["group"] == "token stampede"]
    assert [r["case"].split()[1] for r in stampede] == ["threads,", "processes", "asyncio"]
    for row in stampede:  # one upstream fetch for wxcore; wechatpy's count beside it
        assert row["ratios"] == [1.0] and row["note"].startswith("wechatpy: "), row
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the table printed is the one saved
    for row in result["rows"]:
        assert row["case"] in done.stdout


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind (tests/run.sh installs it)")
def test_instruction_counts_are_of_the_calls_alone(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "tiny_side.py").write_text(
        "def unit(size):\n    return lambda: sorted(range(int(size), 0, -1))\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import instructions

    side = ("tiny_side:unit", ("300",))
    few, more = instructions.per_call([side, side], [20, 60])
    # start-up, imports and warm-up are not counted: per call, 20 calls cost what 60 do
    assert few > 1000 and abs(few - more) / more < 0.05, (few, more)
