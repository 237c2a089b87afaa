"""Regenerate a passage in the middle (infilling): new bars that fit before *and* after.

The models only read left to right, so the bars after the gap cannot steer sampling
directly. Instead (sampling-importance-resampling with the models the project has):

1. **Propose.** The forward models, primed on the music before the gap (the same priming,
   constraints, genre or fusion as ``continue``), write ``candidates`` versions of the gap in
   one batch; the engine's budget is the gap's length, so every candidate fills it exactly.
2. **Weigh.** Each candidate is followed by the real bars after the gap, teacher-forced
   through the same models (all candidates stepped together, :class:`FollowScorer`): its
   weight is the log-likelihood of those bars (``lookahead_bars`` of them). Since the
   candidates come from p(gap | before), weighting by p(after | before, gap) targets
   p(gap | before, after), the distribution an infilling model would sample.
3. **Draw or pick.** ``choose='draw'`` draws the variants by those weights (without
   replacement); ``'best'`` takes the highest. Candidates whose last note leaps to the next
   bar's first note by more than ``--max-leap`` are left out while others remain.

docs/regenerate.md measures this against plain forward continuation and the original bars.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..encoding import vocab as V
from ..encoding.events import Melody, NoteEvent, bar_number, bar_starts, meter_at, meter_bar_length
from ..encoding.tokens import decompose, encode, in_key_of_span, normalising_shift
from ..errors import UsageError
from ..models.registry import FUSION, genre_names, load_model
from . import beat_groups
from .continuation import _fuse, _is_minor, _prime_tokens, _to_user_key, modal_tonic, pitch_range
from .engine import Context, generate
from .engine import prime as engine_prime
from .form import free_plan, genre_limits, holds_beats, keeps_barlines
from .fusion_share import fusion_share
from .motifs import Motifs
from .options import SamplingOptions
from .passage_key import in_passage_key, named_key, passage_key
from .stack import LSTMStack
from .ticks import position_ids, to_ticks, writable
from .weights import parse_weights

#: candidates sampled per regeneration (the engine steps them as one batch)
CANDIDATES = 64
#: bars after the gap whose likelihood weighs a candidate (measured in docs/regenerate.md)
LOOKAHEAD_BARS = 2
#: at most this many tokens of the following bars are teacher-forced
LOOKAHEAD_TOKENS = 64


@dataclass
class Span:
    """A melody cut around a gap [start, end): the music before and after it (user key)."""

    melody: Melody
    start: Fraction
    end: Fraction
    meter: str  # in force over the gap
    bar_pos: Fraction  # of the gap's start
    before: list[NoteEvent]
    after: list[NoteEvent]

    @property
    def length(self) -> Fraction:
        return self.end - self.start

    @property
    def original(self) -> list[NoteEvent]:
        """The events the gap holds now (cut at its edges), onsets absolute."""
        return _cut(self.melody.events, self.start, self.end, self.melody)


@dataclass
class RegenerateResult:
    """The new gap material per variant (user key, absolute onsets) and the whole melodies."""

    gaps: list[list[NoteEvent]]
    melodies: list[Melody]
    follow_loglik: list[float]  # nats: log-likelihood of the following bars after each variant
    settings: dict = field(default_factory=dict)
    seconds: float = 0.0
    candidates: int = 0


def bar_span(melody: Melody, start_bar: int, end_bar: int) -> tuple[Fraction, Fraction]:
    """Time span of bars ``start_bar``..``end_bar`` (inclusive, numbered as in the score)."""
    starts, first_number = bar_starts(melody)
    last_number = first_number + len(starts) - 1
    if not starts:
        raise UsageError("the melody is empty: nothing to regenerate")
    if not first_number <= start_bar <= end_bar <= last_number:
        raise UsageError(f"bars {start_bar}-{end_bar} are not in the melody (it has bars {first_number}-{last_number})", about="gap")
    a = max(starts[start_bar - first_number], melody.events[0].onset)
    k = end_bar - first_number + 1
    b = starts[k] if k < len(starts) else melody.end
    return a, b


def _cut(events: list[NoteEvent], a: Fraction, b: Fraction, melody: Melody) -> list[NoteEvent]:
    """The events sounding in [a, b), clipped to it (a clipped start gets its bar position)."""
    out = []
    for e in events:
        if e.end <= a or e.onset >= b:
            continue
        onset, end = max(e.onset, a), min(e.end, b)
        pos = e.bar_pos
        if onset > e.onset:
            pos = (e.bar_pos + onset - e.onset) % meter_bar_length(meter_at(melody, onset))
        out.append(NoteEvent(e.pitch, onset, end - onset, pos, e.spelling))
    return out


def _readable_prefix(events: list[NoteEvent]) -> list[NoteEvent]:
    """``events`` up to the first the vocabulary cannot write (a 7-tuplet after the gap): the
    bars after it are weighed only that far, not refused."""
    for k, e in enumerate(events):
        if not writable(e):
            return events[:k]
    return events


def split_span(melody: Melody, start: Fraction, end: Fraction) -> Span:
    """Cut ``melody`` around the gap [start, end); a note crossing an edge is cut there."""
    if not melody.events:
        raise UsageError("the melody is empty: nothing to regenerate")
    if not (melody.events[0].onset <= start < end):
        raise UsageError(f"the bars to regenerate (from bar {bar_number(melody, start)}) are empty or start before the melody's first note", about="gap")
    meter = meter_at(melody, start)
    changes = [at for at, m in melody.meters if start < at < end and m != meter]
    if changes:
        raise UsageError(f"the meter changes inside the bars to regenerate (in bar {bar_number(melody, changes[0])}); choose bars in one meter", about="gap")
    try:
        to_ticks(end - start)  # a gap the vocabulary's durations cannot fill is refused here
    except UsageError as err:
        raise UsageError(err.message, about="gap") from None
    before = _cut(melody.events, melody.events[0].onset, start, melody)
    after = _cut(melody.events, end, melody.end, melody) if end < melody.end else []
    bar = meter_bar_length(meter)
    covering = [e for e in melody.events if e.onset <= start < e.end]
    if covering:
        e = covering[0]
        pos = (e.bar_pos + start - e.onset) % bar
    elif before:
        last = before[-1]
        pos = (last.bar_pos + last.duration) % bar
    else:
        pos = melody.events[0].bar_pos
    return Span(melody, start, end, meter, pos, before, after)


class FollowScorer:
    """Log-likelihood of the bars after a gap, given the music before and each gap candidate.

    One stack of models (a genre model, or the fusion model with the weighted genre models,
    mixed as in phase 2 of a fusion) is primed once on the music before; all candidates are
    then teacher-forced together (rows that finish early keep their state), and the following
    tokens, the same for every row, are scored in one pass."""

    def __init__(self, span: Span, weights: dict[str, float], lookahead_bars: int = LOOKAHEAD_BARS, fused: bool | None = None):
        self.span = span
        self.shift = normalising_shift(span.melody.sharps)
        if not (len(weights) > 1 if fused is None else fused):
            self.stack = LSTMStack([load_model(next(iter(weights)))], [None])
            self.mix = None
        else:
            fusion = load_model(FUSION)
            order = list(fusion.config.genres)
            active = [g for g in order if g in weights]
            style = np.array([weights.get(g, 0.0) for g in order])
            self.stack = LSTMStack([fusion] + [load_model(g) for g in active], [style] + [None] * len(active))
            share = fusion_share(weights)
            self.mix = np.array([share] + [(1 - share) * weights[g] for g in active])[:, None, None]
        prefix = span.melody.with_events(span.before)
        self.prime = _prime_tokens(prefix if span.before else None, span.meter, self.shift, _length_after(span, prefix))
        horizon = span.end + lookahead_bars * meter_bar_length(span.meter)
        follow = _readable_prefix(_cut(span.after, span.end, horizon, span.melody))
        if follow:
            enc = encode(span.melody.with_events(follow), bos=False, eos=False)
            self.follow = (enc.tokens[:LOOKAHEAD_TOKENS], enc.positions[:LOOKAHEAD_TOKENS], enc.meters[:LOOKAHEAD_TOKENS])
        else:
            self.follow = (np.zeros(0, int), np.zeros(0, int), np.zeros(0, int))

    @property
    def follow_tokens(self) -> int:
        return len(self.follow[0])

    def _mixed_logp(self, logits: np.ndarray) -> np.ndarray:
        z = (self.mix * logits).sum(axis=0) if self.mix is not None else logits[0]
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    def score(self, gaps: list[list[NoteEvent]]) -> np.ndarray:
        """Nats per candidate; ``gaps`` are event lists in the normalised key, onsets from 0."""
        n = len(gaps)
        if not self.follow_tokens or not n:
            return np.zeros(n)
        meter = self.span.meter
        seqs = [gap_tokens(g, self.span.bar_pos, meter) for g in gaps]
        lengths = np.array([len(t) for t, _ in seqs])
        width = int(lengths.max())
        toks = np.zeros((n, width), dtype=np.int64)
        poss = np.zeros((n, width), dtype=np.int64)
        for i, (t, p) in enumerate(seqs):
            toks[i, : len(t)] = t
            poss[i, : len(p)] = p
        stack = self.stack
        m = len(stack.models)
        logits, (hs, cs) = engine_prime(stack, *self.prime, batch=n)
        biases: dict[int, np.ndarray] = {}

        def bias(meter_id: int) -> np.ndarray:  # (M, 1, 4U): broadcast over the rows
            if meter_id not in biases:
                biases[meter_id] = stack.input_bias(np.full((m, 1), meter_id))
            return biases[meter_id]

        gap_bias = bias(V.meter_id(meter))
        trackers = [self.prime.tracker.copy() for _ in range(n)] if stack.structured else []
        last = np.zeros((n, 3), dtype=np.int64)

        def structure(column: np.ndarray, live: np.ndarray) -> np.ndarray | None:
            """(M, n, 3) structure inputs of each row's token; a finished row reads padding
            whose result is thrown away, so its tracker must not read it."""
            if not trackers:
                return None
            for i, tok in enumerate(column.tolist()):
                if live[i]:
                    last[i] = trackers[i].push(tok)
            return np.broadcast_to(last, (m, n, 3))

        for t in range(width):
            live = lengths > t
            new_logits, (nh, nc) = stack.step(
                np.broadcast_to(toks[:, t], (m, n)), np.broadcast_to(poss[:, t], (m, n)), gap_bias, (hs, cs),
                structure(toks[:, t], live),
            )
            if live.all():
                logits, hs, cs = new_logits, nh, nc
            else:
                keep = live[None, :, None]
                logits = np.where(keep, new_logits, logits)
                hs = [np.where(keep, a, b) for a, b in zip(nh, hs)]
                cs = [np.where(keep, a, b) for a, b in zip(nc, cs)]
        total = np.zeros(n)
        ftoks, fposs, fmets = self.follow
        for j in range(len(ftoks)):
            total += self._mixed_logp(logits)[:, int(ftoks[j])]
            if j + 1 < len(ftoks):
                logits, (hs, cs) = stack.step(
                    np.full((m, n), int(ftoks[j])), np.full((m, n), int(fposs[j])), bias(int(fmets[j])), (hs, cs),
                    structure(np.full(n, int(ftoks[j])), np.ones(n, bool)),
                )
        return total


def _length_after(span: Span, prefix: Melody) -> Fraction:
    """Quarters from the end of the music before the gap to the end of the melody."""
    return span.melody.end - (prefix.end if span.before else span.start)


def gap_tokens(events: list[NoteEvent], bar_pos: Fraction, meter: str) -> tuple[list[int], list[int]]:
    """Tokens and position features of gap events (normalised key, contiguous from
    ``bar_pos``): what :func:`encode` gives without BOS/EOS, counted in integer ticks because
    the scorer re-encodes every candidate of every regeneration."""
    bar = to_ticks(meter_bar_length(meter))
    positions = position_ids(bar)
    pos = to_ticks(bar_pos) % bar
    toks: list[int] = []
    poss: list[int] = []
    for e in events:
        toks.append(V.REST if e.pitch is None else V.pitch_token(e.pitch))
        poss.append(positions[pos])
        for k, d in enumerate(_parts(e.duration)):
            if k:
                toks.append(V.TIE)
                poss.append(positions[pos])
            pos = (pos + to_ticks(d)) % bar
            toks.append(V.duration_token(d))  # type: ignore[arg-type]
            poss.append(positions[pos])
    return toks, poss


def _parts(duration: Fraction) -> list[Fraction]:
    parts = decompose(duration)
    if parts is None:
        raise UsageError(f"duration {duration} quarter(s) cannot be encoded")
    return parts


def _context(span: Span, shift: int, minor: bool, opts: SamplingOptions) -> Context:
    """Where the gap begins, in the normalised key; its range is the whole melody's."""
    low, high = pitch_range([e.pitch + shift for e in span.melody.events if e.pitch is not None], shift, opts)
    last_pitch = next((e.pitch + shift for e in reversed(span.before) if e.pitch is not None), None)
    ctx = Context(meter=span.meter, bar_pos=span.bar_pos, budget=span.length, minor=minor, last_pitch=last_pitch, low=low, high=high)
    # Inside a piece the gap leads on into the next bar: no cadence is forced. At the end of
    # the piece it is a continuation, and ends as ``continue`` would.
    ctx.plans = [free_plan(to_ticks(span.length), opts.end_on_stable and not span.after)]
    if opts.form != "free":
        outside = span.before + span.after
        if outside:
            ctx.motifs = Motifs.of(outside, to_ticks(meter_bar_length(span.meter)))
    return ctx


def _joint_leap(gap: list[NoteEvent], after: list[NoteEvent], shift: int) -> int | None:
    last = next((e.pitch for e in reversed(gap) if e.pitch is not None), None)
    nxt = next((e.pitch for e in after if e.pitch is not None), None)
    if last is None or nxt is None:
        return None
    return abs(last - (nxt + shift))


def _weights(genre: str | None, weights: str | dict | None) -> dict[str, float]:
    if (genre is None) == (weights is None):
        raise UsageError("give either a genre or genre weights")
    known = genre_names()
    if genre is not None:
        name = genre.lower()
        if name not in known:
            raise UsageError(f"unknown genre '{genre}' (installed: {', '.join(known)})")
        return {name: 1.0}
    return parse_weights(weights, known)  # type: ignore[arg-type]


def sample_candidates(
    span: Span, w: dict[str, float], opts: SamplingOptions, n: int, rng: np.random.Generator, fused: bool | None = None,
) -> tuple[list[list[NoteEvent]], int, bool]:
    """``n`` forward continuations of the music before the gap, each filling it exactly
    (normalised key, onsets from the gap's start); also the shift and mode used. One genre
    model, or (``fused``, the default for several weights) the two-phase fusion."""
    shift = normalising_shift(span.melody.sharps)
    minor = _is_minor(span.melody, span.melody.mode, shift)
    prefix = span.melody.with_events(span.before)
    prime = _prime_tokens(prefix if span.before else None, span.meter, shift, _length_after(span, prefix))
    ctx = _context(span, shift, minor, opts)
    ctx.tonic = modal_tonic(span.melody, shift, minor)
    ctx.tracker = prime.tracker
    ctx.plans = ctx.plans * n  # one per row, as continue gives each variant its own
    ctx.rest_cap, ctx.strict_beats = genre_limits(w, span.meter, to_ticks(span.length))
    ctx.hold_beats_by_genre = {g: holds_beats(g, span.meter) for g in w}
    ctx.hold_beats = all(ctx.hold_beats_by_genre.values())
    ctx.keeps_barlines_by_genre = {g: keeps_barlines(g, span.meter) for g in w}
    ctx.keeps_barlines = all(ctx.keeps_barlines_by_genre.values())
    ctx.beat_starts = beat_groups.start_ticks(span.meter, beat_groups.for_passage(span.meter, span.melody, opts.beats))
    if not (len(w) > 1 if fused is None else fused):
        stack = LSTMStack([load_model(next(iter(w)))], [None])
        raw = generate(stack, engine_prime(stack, *prime, batch=n), ctx, opts, rng=rng)
    else:
        raw, _ = _fuse(w, prime, ctx, opts, n, rng)
    return raw, shift, minor


def choose(scores: np.ndarray, k: int, how: str, rng: np.random.Generator, allowed: np.ndarray | None = None) -> list[int]:
    """Indices of ``k`` candidates: drawn by weight exp(score) without replacement ('draw'),
    or the ``k`` best ('best'); candidates not ``allowed`` only when too few others remain."""
    order_pool = np.arange(len(scores))
    if allowed is not None and allowed.sum() >= k:
        order_pool = order_pool[allowed]
    if how == "best":
        return [int(i) for i in order_pool[np.argsort(-scores[order_pool], kind="stable")][:k]]
    if how != "draw":
        raise UsageError(f"choose must be 'draw' or 'best' (got '{how}')")
    picked: list[int] = []
    pool = list(order_pool)
    for _ in range(min(k, len(pool))):
        s = scores[pool]
        p = np.exp(s - s.max())
        i = int(rng.choice(len(pool), p=p / p.sum()))
        picked.append(int(pool.pop(i)))
    return picked


def joint_leap_limit(weights: dict[str, float]) -> int | None:
    """The genres' 95th percentile of |interval| between consecutive notes (semitones), from
    the shipped reference profiles (weighted for a fusion); None when a genre has none."""
    from ..errors import LstmfuseError
    from ..metrics.reference import profile

    folded = np.zeros(13)
    try:
        for g, share in weights.items():
            hist = np.asarray(profile(g).histograms["interval"], dtype=float)  # -12..+12, clipped
            for i, v in enumerate(hist):
                folded[abs(i - 12)] += share * v / max(hist.sum(), 1e-12)
    except (LstmfuseError, KeyError):
        return None
    return int(np.searchsorted(np.cumsum(folded) / folded.sum(), 0.95)) if folded.sum() > 0 else None


def pick(
    span: Span, raw: list[list[NoteEvent]], scores: np.ndarray, opts: SamplingOptions, variants: int, how: str,
    rng: np.random.Generator, shift: int, leap_limit: int | None,
) -> list[int]:
    """Choose the variants among the candidates by weight. At the joint into the next bar the
    candidates whose leap stays within the genre's 95th percentile are kept if there are
    enough of them, else those within ``max_leap``, else all."""
    allowed = None
    if span.after:
        leaps = [_joint_leap(g, span.after, shift) for g in raw]
        for limit in (min(leap_limit, opts.max_leap or 127) if leap_limit is not None else None, opts.max_leap):
            if limit is None:
                continue
            ok = np.array([d is None or d <= limit for d in leaps])
            if ok.sum() >= variants:
                allowed = ok
                break
    return choose(scores, variants, how, rng, allowed)


def _unique(raw: list[list[NoteEvent]]) -> list[int]:
    seen: dict[tuple, int] = {}
    for i, events in enumerate(raw):
        seen.setdefault(tuple((e.pitch, e.duration) for e in events), i)
    return sorted(seen.values())


def regenerate_span(
    melody: Melody,
    start: Fraction,
    end: Fraction,
    *,
    genre: str | None = None,
    weights: str | dict | None = None,
    options: SamplingOptions | None = None,
    variants: int = 1,
    candidates: int = CANDIDATES,
    lookahead_bars: int = LOOKAHEAD_BARS,
    how: str = "draw",
    key=None,
) -> RegenerateResult:
    """Replace the melody's events in [start, end) (quarters); see the module docstring.
    ``key`` ('F', 'e' = E minor, a :class:`~lstmfuse.theory.Key`): the key the music is in where
    neither its signature nor its notes say it (``regenerate --key``); None: the signature's, or
    the key the notes are in where the signature writes another."""
    started = time.perf_counter()
    opts = options or SamplingOptions()
    if not 1 <= variants <= 32:
        raise UsageError(f"variants must be between 1 and 32 (got {variants})")
    if not variants <= candidates <= 1024:
        raise UsageError(f"candidates must be between the number of variants and 1024 (got {candidates})")
    if opts.form not in ("auto", "free"):
        raise UsageError(f"form '{opts.form}' is for continuing; regenerated bars follow the piece's own form (use --form auto or free)", about="form")
    if not 0 <= lookahead_bars <= 16:
        raise UsageError(f"lookahead must be between 0 and 16 bars (got {lookahead_bars})")
    w = _weights(genre, weights)
    until = melody.key_span[1]
    if until is not None and start < until < end:  # new bars in one key, as in one meter
        raise UsageError(f"the key signature changes inside the bars to regenerate (in bar {bar_number(melody, until)}); "
                         "choose bars in one key", about="gap")
    heard = in_key_of_span(melody)  # bars under another signature, heard in the gap's key
    # the models read the key the notes are in (or the one the user names)
    key = passage_key(heard, melody.sharps, melody.mode) if key is None else named_key(key, melody.sharps, melody.mode)
    span = split_span(in_passage_key(heard, key), start, end)
    kept = split_span(melody, start, end) if heard is not melody else span  # the score's own bars around the gap
    rng = np.random.default_rng(opts.seed)
    fused = genre is None
    raw, shift, minor = sample_candidates(span, w, opts, candidates, rng, fused)
    keep = _unique(raw)
    raw = [raw[i] for i in keep]
    scores = FollowScorer(span, w, lookahead_bars, fused).score(raw) if lookahead_bars else np.zeros(len(raw))
    picked = pick(span, raw, scores, opts, variants, how, rng, shift, joint_leap_limit(w))
    while len(picked) < variants:  # fewer distinct candidates than variants: repeat the best
        picked.append(picked[0])
    mode = "minor" if minor else "major"
    gaps = [_to_user_key(raw[i], span.start, key.sharps, shift, minor) for i in picked]
    melodies = [melody.with_events(kept.before + g + kept.after) for g in gaps]
    settings = {
        "regenerate": {"start": str(span.start), "end": str(span.end), "candidates": candidates, "distinct": len(raw),
                       "lookahead_bars": lookahead_bars, "choose": how},
        "meter": span.meter,
        "key_signature_sharps": melody.sharps,
        "mode": mode,
        "variants": variants,
        "sampling": opts.to_dict(),
        **({"genre": next(iter(w))} if genre is not None else {"weights": w}),
    }
    if key.from_notes:
        settings["key_of_notes"] = key.settings(melody.sharps)
    return RegenerateResult(gaps, melodies, [float(scores[i]) for i in picked], settings, time.perf_counter() - started, candidates)


def regenerate(
    melody: Melody,
    start_bar: int,
    end_bar: int,
    *,
    genre: str | None = None,
    weights: str | dict | None = None,
    options: SamplingOptions | None = None,
    variants: int = 1,
    candidates: int = CANDIDATES,
    lookahead_bars: int = LOOKAHEAD_BARS,
    how: str = "draw",
    key=None,
) -> RegenerateResult:
    """Regenerate bars ``start_bar``..``end_bar`` (inclusive, numbered as in the score: a
    pickup is bar 0) so they continue what comes before and lead into what comes after.
    ``key``: as for :func:`regenerate_span`."""
    a, b = bar_span(melody, start_bar, end_bar)
    return regenerate_span(
        melody, a, b, genre=genre, weights=weights, options=options, variants=variants,
        candidates=candidates, lookahead_bars=lookahead_bars, how=how, key=key,
    )


def parse_bars(text: str) -> tuple[str, int, int]:
    """'9-12' -> ('range', 9, 12); '9' -> ('range', 9, 9); 'last:2' -> ('last', 2, 0)."""
    s = str(text).strip().lower().replace(" ", "")
    try:
        if s.startswith("last"):
            n = int(s[4:].lstrip(":") or 1)
            if n < 1:
                raise ValueError
            return "last", n, 0
        a, _, b = s.partition("-")
        first, last = int(a), int(b or a)
    except ValueError:
        raise UsageError(f"bars must look like 9-12, 9 or last:2 (got '{text}')") from None
    if first < 0 or last < first:
        raise UsageError(f"bars {text}: the first bar must be >= 0 and not after the last")
    return "range", first, last


__all__ = [
    "CANDIDATES", "FollowScorer", "LOOKAHEAD_BARS", "RegenerateResult", "Span", "bar_span", "bar_starts",
    "choose", "joint_leap_limit", "parse_bars", "pick", "regenerate", "regenerate_span", "sample_candidates", "split_span",
]
