"""Generation speed: lstmfuse's stepped NumPy engine vs the seeds' predict-per-step generator.

Same process, same machine: a 4-bar continuation (4/4) of a bundled example with the
shipped folk model, a 3-genre 4-bar fusion (folk, irish, scottish + the fusion model), the
same fusion with ``--form free`` (no phrase plan, no motif bonus),
and the seeds' generator producing the same 4 bars (64 sixteenth-note steps, one
``model.predict`` on the 64-step window per step; LSTM(256), weights untrained: the time
does not depend on the values). Model time only (no file I/O), median and p95.

    .venv/bin/python bench/bench_generate.py [--runs 30] [--seed-runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from lstmfuse import GenreWeights, SamplingOptions, continue_passage, load_score, passage_of  # noqa: E402

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "essen-altdeu10-1.krn"


def timings(fn, runs: int) -> list[float]:
    fn()  # warm caches (model load, masks)
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def interleaved(fn_a, fn_b, runs: int) -> tuple[list[float], list[float]]:
    """Time two functions run by turns (A, B, A, B, ...), each warmed first."""
    fn_a(), fn_b()
    out_a, out_b = [], []
    for _ in range(runs):
        for fn, out in ((fn_a, out_a), (fn_b, out_b)):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
    return out_a, out_b


def p95(xs: list[float]) -> float:
    return float(np.percentile(xs, 95))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--seed-runs", type=int, default=3)
    args = ap.parse_args()
    passage = passage_of(load_score(EXAMPLE))
    weights = GenreWeights.parse("folk=0.5,irish=0.3,scottish=0.2")
    counter = iter(range(10**9))
    cont = timings(lambda: continue_passage(passage, bars=4, genre="folk", options=SamplingOptions(seed=next(counter))), args.runs)
    # the fusion with its phrase plan, and the same without plan or motif bonus (--form free),
    # run alternately so a change in the machine's load hits both alike
    fusion, fusion_free = interleaved(
        lambda: continue_passage(passage, bars=4, weights=weights, options=SamplingOptions(seed=next(counter))),
        lambda: continue_passage(passage, bars=4, weights=weights, options=SamplingOptions(seed=next(counter), form="free")),
        args.runs,
    )
    # the fusion with and without the models' structure inputs (lookbacks, phrase place), by turns
    from lstmfuse.generation.stack import LSTMStack

    def without_structure():
        plain = LSTMStack.__init__

        def init(self, *a, **k):
            plain(self, *a, **k)
            self.structured = False  # the stack skips the structure inputs (the models read "unknown")

        LSTMStack.__init__ = init
        try:
            continue_passage(passage, bars=4, weights=weights, options=SamplingOptions(seed=next(counter)))
        finally:
            LSTMStack.__init__ = plain

    fusion_s, fusion_plain = interleaved(
        lambda: continue_passage(passage, bars=4, weights=weights, options=SamplingOptions(seed=next(counter))),
        without_structure,
        args.runs,
    )
    # pitches at the models' own odds (the default since 2026-12-03) or tempered like the note
    # lengths (the design before), the same seeds, by turns: what the per-row settings cost
    from lstmfuse.evaluation.pitch_odds import TEMPERED as tempered
    pitch_seeds = iter(range(10**6))
    paired = iter(range(10**6))
    fusion_own, fusion_tempered = interleaved(
        lambda: continue_passage(passage, bars=4, weights=weights, options=SamplingOptions(seed=next(pitch_seeds))),
        lambda: continue_passage(passage, bars=4, weights=weights, options=SamplingOptions(seed=next(paired), **tempered)),
        args.runs,
    )
    # a 16-bar Irish jig from nothing taking up its own turns (the default since 2026-12-03) or
    # not, the same seeds, by turns: what the own-figure bonus and its leap odds cost
    from lstmfuse.evaluation.own_figures import without_own_figures
    from lstmfuse.generation import continue_melody

    def jig(seed: int):
        return continue_melody(None, bars=16, genre="irish", meter="6/8", options=SamplingOptions(seed=seed))

    def jig_without(seed: int):
        with without_own_figures():
            return jig(seed)

    own_seeds, plain_seeds = iter(range(10**6)), iter(range(10**6))
    tune_own, tune_plain = interleaved(lambda: jig(next(own_seeds)), lambda: jig_without(next(plain_seeds)), args.runs)
    import seeds_baseline as seeds

    vocab = 40
    model = seeds.build_model(vocab)
    seed_ids = list(np.random.default_rng(0).integers(0, vocab, 64))
    seeds_t = timings(lambda: seeds.generate(model, seed_ids, 64, vocab), args.seed_runs)
    rows = [
        ("lstmfuse 4-bar continuation (folk)", cont), ("lstmfuse 3-genre 4-bar fusion", fusion),
        ("the same fusion, --form free", fusion_free), ("fusion (structure inputs read)", fusion_s),
        ("the same fusion, structure inputs skipped", fusion_plain), ("fusion, pitches at the models' own odds", fusion_own),
        ("the same fusion, pitches tempered", fusion_tempered), ("16-bar Irish tune from nothing, own turns", tune_own),
        ("the same tune, without the own-figure bonus", tune_plain), ("seeds predict-per-step, 4 bars (64 steps)", seeds_t),
    ]
    for name, ts in rows:
        print(f"{name:45s} median {1000 * statistics.median(ts):9.1f} ms   p95 {1000 * p95(ts):9.1f} ms   (n={len(ts)})")
    base = statistics.median(seeds_t)
    print(f"speed-up, continuation: {base / statistics.median(cont):.0f}x; fusion: {base / statistics.median(fusion):.0f}x")
    print(f"phrase plan + motifs cost: fusion {statistics.median(fusion) / statistics.median(fusion_free):.2f}x the free fusion's time")
    print(f"structure inputs cost: fusion {statistics.median(fusion_s) / statistics.median(fusion_plain):.2f}x the time without them")
    print(f"pitches at their own odds: fusion {statistics.median(fusion_own) / statistics.median(fusion_tempered):.2f}x the tempered fusion's time")
    print(f"own turns: a tune from nothing {statistics.median(tune_own) / statistics.median(tune_plain):.2f}x the time without the bonus")


if __name__ == "__main__":
    main()
