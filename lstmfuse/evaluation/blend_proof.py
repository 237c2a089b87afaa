"""Does a weighted fusion blend? Posterior and rhythm against weight for three genre pairs.

For each pair (A, B) and weight w of A in 0, .25, .5, .75, 1: ``n`` new 16-bar fusions in a
meter both genres use, judged by the style judge (the posterior of A and of B), with the share
of notes shorter than a quarter (a rhythm statistic no judge of ours computes). Run once with
the half-phrase leads (``continuation.LEAD_SHARE``, the default) and once without (0: the
weighted geometric mixture alone, the design before leads), in one process.

Run: ``python -m lstmfuse.evaluation.blend_proof --n 20 -o docs/blend.json`` (docs/fusion.md).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from ..generation import continuation
from .proofs import generate_many, spearman, write_report

PAIRS = (("folk", "irish", "6/8"), ("bach", "irish", "4/4"), ("palestrina", "scottish", "2/2"))
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


def judge():
    """The sequence style judge (shipped; see lstmfuse/data/reference/JUDGE_CARD.md)."""
    from ..metrics.reference import judge as sequence_judge

    return sequence_judge(), "sequence judge"


def _posteriors(j, melodies) -> np.ndarray:
    if hasattr(j, "posteriors"):
        return np.asarray(j.posteriors(melodies))
    return np.asarray(j.posterior(melodies))


def short_share(melodies) -> float:
    notes = [e for m in melodies for e in m.notes]
    return float(np.mean([e.duration < 1 for e in notes])) if notes else float("nan")


def rest_share(m) -> float:
    total = sum(e.duration for e in m.events)
    return float(sum(e.duration for e in m.events if e.pitch is None) / total) if total else 0.0


def sweep(a: str, b: str, meter: str, n: int, bars: int, seed: int, j) -> dict:
    ka, kb = j.genres.index(a), j.genres.index(b)
    rows, all_w, all_p = [], [], []
    for w in WEIGHTS:
        mix = {g: v for g, v in ((a, w), (b, 1 - w)) if v > 0}
        mels = generate_many(n, bars, seed, weights=mix, meter=meter)
        post = _posteriors(j, mels)
        rows.append({
            "weight_a": w, "p_a": round(float(post[:, ka].mean()), 3), "p_b": round(float(post[:, kb].mean()), 3),
            "short_notes": round(short_share(mels), 3), "max_rest_share": round(max(rest_share(m) for m in mels), 3),
        })
        all_w += [w] * len(mels)
        all_p += post[:, ka].tolist()
    means = [r["p_a"] for r in rows]
    return {
        "pair": [a, b], "meter": meter, "rows": rows, "rho": round(spearman(all_w, all_p), 3),
        "strictly_increasing": all(x < y for x, y in zip(means, means[1:])),
    }


def run(n: int, bars: int = 16, seed: int = 0, shares: tuple[float, ...] = (0.0, continuation.LEAD_SHARE)) -> dict:
    j, name = judge()
    default = continuation.LEAD_SHARE
    report: dict = {"n": n, "bars": bars, "seed": seed, "judge": name, "designs": {}}
    try:
        for share in shares:
            continuation.LEAD_SHARE = share
            label = "geometric mixture (no leads)" if share == 0 else f"half-phrase leads ({share})"
            started = time.perf_counter()
            report["designs"][label] = [sweep(a, b, meter, n, bars, seed, j) for a, b, meter in PAIRS]
            print(label, f"{time.perf_counter() - started:.0f} s", json.dumps(report["designs"][label]), flush=True)
    finally:
        continuation.LEAD_SHARE = default
    return report


def markdown(report: dict) -> str:
    lines = [f"Judge: {report['judge']}; {report['n']} fusions of {report['bars']} bars per point.", ""]
    lines.append("| design | pair (meter) | P(A) at w = 0 / .25 / .5 / .75 / 1 | P(B) at .5 | short notes at 0 / .5 / 1 | rho | increasing |")
    lines.append("| --- | --- | --- | ---: | --- | ---: | --- |")
    for label, sweeps in report["designs"].items():
        for s in sweeps:
            r = s["rows"]
            pa = " / ".join(f"{x['p_a']:.2f}" for x in r)
            sh = f"{r[0]['short_notes']:.2f} / {r[2]['short_notes']:.2f} / {r[4]['short_notes']:.2f}"
            lines.append(f"| {label} | {s['pair'][0]}+{s['pair'][1]} ({s['meter']}) | {pa} | {r[2]['p_b']:.2f} | {sh} | {s['rho']:.2f} | {'yes' if s['strictly_increasing'] else 'no'} |")
    return "\n".join(lines)


def plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    designs = list(report["designs"].items())
    fig, axes = plt.subplots(2, len(PAIRS), figsize=(4.2 * len(PAIRS), 6), sharex=True)
    for col in range(len(PAIRS)):
        for label, sweeps in designs:
            s = sweeps[col]
            w = [r["weight_a"] for r in s["rows"]]
            style = "-" if "leads" in label else "--"
            axes[0, col].plot(w, [r["p_a"] for r in s["rows"]], style, marker="o", label=f"P({s['pair'][0]}), {label}")
            axes[0, col].plot(w, [r["p_b"] for r in s["rows"]], style, marker="s", label=f"P({s['pair'][1]}), {label}")
            axes[1, col].plot(w, [r["short_notes"] for r in s["rows"]], style, marker="o", label=label)
        a, b = sweeps[col]["pair"]
        axes[0, col].set_title(f"{a} + {b} ({sweeps[col]['meter']})", fontsize=10)
        axes[1, col].set_xlabel(f"weight of {a}")
        axes[0, col].set_ylim(0, 1)
        axes[1, col].set_ylim(0, 1)
    axes[0, 0].set_ylabel(f"mean posterior ({report['judge']})")
    axes[1, 0].set_ylabel("share of notes shorter than a quarter")
    axes[0, 0].legend(fontsize=6)
    axes[1, 0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--bars", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", "--out", type=Path, default=None)
    args = ap.parse_args(argv)
    report = run(args.n, args.bars, args.seed)
    write_report(report, args.out, markdown, plot)


if __name__ == "__main__":
    main()
