"""The README's chart: every measured row of a run as a ratio, with its spread.

    python benchmarks/chart.py RESULTS.json docs/img/benchmarks.png

Each bar is the median of the paired rounds, the whisker the lowest-highest round, the tick
the target; a ratio above 1 means wxcore is faster (for import and memory, lower is better,
so those rows are drawn as reference / wxcore to read the same way). A row counted in
instructions (``run.py --instructions``) says so in its label. Needs matplotlib (the
``bench`` extra).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _readable(row: dict[str, Any]) -> tuple[float, float, float, float | None]:
    """(median, low, high, target) with higher meaning better for wxcore."""
    ratios = row["ratios"]
    target = float(row["target"].split()[1]) if row["target"] else None
    if row["target"].startswith("<="):
        ratios = [1 / r for r in ratios]
        target = 1 / target if target else None
    ratios = sorted(ratios)
    mid = len(ratios) // 2
    median = ratios[mid] if len(ratios) % 2 else (ratios[mid - 1] + ratios[mid]) / 2
    return median, ratios[0], ratios[-1], target


def draw(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # counts (stampede) and the urllib3 import floor (not wxcore) stay in the table only
    rows = [r for r in result["rows"] if r["ratios"] and r["reference"] != "upstream fetches"
            and r["case"].startswith(("import wxcore", "GET", "pipeline", "parse", "get", "post",
                                      "per idle"))]
    labels, medians, lows, highs, targets = [], [], [], [], []
    for r in rows:
        median, low, high, target = _readable(r)
        counted = " (instructions)" if r.get("mode") == "instructions" else ""
        if r["target"].startswith("<="):  # time or bytes: drawn as reference / wxcore
            labels.append(f"{r['group']}: {r['reference']} / {r['case']}{counted}")
        else:
            labels.append(f"{r['group']} {r['case']}: wxcore / {r['reference']}{counted}")
        medians.append(median)
        lows.append(median - low)
        highs.append(high - median)
        targets.append(target)
    fig, ax = plt.subplots(figsize=(11, 0.42 * len(rows) + 1.6))
    ys = range(len(rows))[::-1]
    colors = ["#2b7bba" if "floor" in r["reference"] or "raw" in r["reference"] else "#e08a2c"
              for r in rows]
    ax.barh(list(ys), medians, xerr=[lows, highs], color=colors, capsize=3, log=True)
    for y, target in zip(ys, targets):
        if target:
            ax.plot([target, target], [y - 0.4, y + 0.4], color="black", linewidth=2)
    for y, median, high in zip(ys, medians, highs):
        ax.text((median + high) * 1.1, y, f"{median:.2f}x", va="center", fontsize=8)
    ax.axvline(1.0, color="grey", linewidth=0.8, linestyle="--")
    ax.set_yticks(list(ys), labels, fontsize=8)
    ax.set_xlabel("ratio, log scale (> 1: wxcore faster or smaller)\n"
                  "bar: median of paired rounds; whisker: lowest-highest round; black tick: target"
                  "\n(instructions): one count under callgrind, steady whatever the load")
    versions = result["versions"]
    ax.set_title(f"wxcore {versions['wxcore']} vs hand-written floors (blue) and "
                 f"wechatpy {versions['wechatpy']} (orange)\nPython {versions['python']}, "
                 f"{result['machine']['cpus']} shared CPUs, {result['when']}\n"
                 f"loopback server: {result['server']}", fontsize=9)
    ax.xaxis.label.set_fontsize(8)
    ax.set_xlim(0.2, max(m + h for m, h in zip(medians, highs)) * 2.5)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    draw(json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2]))
