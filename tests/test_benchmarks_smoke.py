"""A smoke run of benchmarks/run.py with tiny counts, so the benchmarks cannot rot.

The figures of such a run mean nothing (and no test asserts a timing); what is checked is
that every case runs, or says why it did not (wechatpy or nginx missing, async client not
yet landed), and that the saved JSON carries what a reader needs to trust a figure.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_run_measures_or_explains_every_case(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick",
                           "--json", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert result["versions"]["python"] == ".".join(map(str, sys.version_info[:3]))
    assert {"wxcore", "wechatpy", "urllib3"} <= set(result["versions"])
    assert result["machine"]["cpus"] >= 1
    groups = {row["group"] for row in result["rows"]}
    assert groups == {"messages", "in-process call", "loopback", "loopback async", "import",
                      "memory", "token stampede"}
    for row in result["rows"]:
        if row["ratios"]:
            assert all(math.isfinite(r) and r > 0 for r in row["ratios"]), row
            assert min(row["ratios"]) <= row["median"] <= max(row["ratios"]), row
        else:
            assert row["note"], f"{row['case']} over {row['reference']}: neither run nor explained"
    stampede = [r for r in result["rows"] if r["group"] == "token stampede" and r["ratios"]]
    assert stampede and all(r["ratios"] == [1.0] for r in stampede), stampede
    # the table printed is the one saved
    for row in result["rows"]:
        assert row["case"] in done.stdout
