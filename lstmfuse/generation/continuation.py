"""Continue a passage or fuse genres: the one implementation behind CLI, bridge and batch.

Phase 1 (every genre with a weight): each genre model continues the passage on its own,
sampled stochastically. Phase 2: the fusion LSTM, conditioned on the composer's weight
vector, writes one melody; at every step its next-token distribution is mixed with the
weighted genre models' (weighted geometric mean) and pulled towards the phase-1 melodies
in proportion to their genre's weight. See docs/fusion.md for why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from ..encoding import vocab as V
from ..encoding.events import Melody, NoteEvent, bar_number, meter_at, meter_bar_length
from ..encoding.structure import StructureTracker, features, tracker_for
from ..encoding.tokens import Unrepresentable, encode, in_key_of_span, normalising_shift, unrepresentable
from ..errors import UsageError
from ..models.registry import FUSION, genre_names, load_model
from ..theory import MAJOR_SCALE
from . import beat_groups
from .engine import Context, Guide, generate
from .engine import prime as engine_prime
from .motifs import OWN_FIGURE_BONUS, Motifs
from .form import PHRASE_BARS, FormPlan, PassageForm, TunePosition, choose_plan, closing_in, draw_pickup, ends_as, free_plan, genre_approach, genre_approach2, genre_final_offset, genre_limits, genre_register, holds_beats, keeps_barlines, never_upbeat, passage_form, register_base, with_template_feel, draw_tune_level, genre_first_offset
from .fusion_share import fusion_share
from .options import SamplingOptions
from .passage_key import PassageKey, in_passage_key, named_key, passage_key
from .spelling import spell
from .stack import LSTMStack
from .ticks import from_ticks, on_grid, to_ticks, writable
from .weights import parse_weights

#: pull (nats) of a phase-1 melody of weight 1 on the phase-2 choice
GUIDE_STRENGTH = 1.5
#: the models are primed on at most the passage's last this-many tokens. They were trained
#: on 128-token windows from a zero state, and on held-out music the last 64 tokens predict
#: what follows within 0.01 bit/token of the whole prefix (bench/context_length.py,
#: docs/fusion.md), while every priming token is a sequential step of every model.
PRIMING_TOKENS = 64


@dataclass
class Result:
    """Generated material in the user's key, onsets continuing from the passage's end."""

    melodies: list[Melody]
    settings: dict = field(default_factory=dict)
    seconds: float = 0.0
    plans: list[dict] = field(default_factory=list)  # the phrase plan each melody followed
    #: per melody of a fusion of several genres: (quarters from the start of the new material,
    #: the genre leading from there), one entry per half-phrase; empty otherwise
    leads: list[list[tuple[Fraction, str]]] = field(default_factory=list)


class Prime(NamedTuple):
    """What the models read before the new material: the passage's last tokens, their
    structure inputs, and the tracker that read the whole passage (it reads on, per row)."""

    tokens: np.ndarray
    positions: np.ndarray
    meters: np.ndarray
    structure: np.ndarray
    tracker: StructureTracker


#: the fewest events a tail after an unreadable value must hold to prime the models on
MIN_READABLE_TAIL = 8


def _readable_tail(events: list[NoteEvent]) -> list[NoteEvent]:
    """``events`` after the last one the vocabulary cannot write (a 7-tuplet in the passage's
    last bars), where at least MIN_READABLE_TAIL remain and the first starts on the tick grid;
    else all of them (and encoding them names the value's bar)."""
    bad = [k for k, e in enumerate(events) if not writable(e)]
    if bad and len(events) - bad[-1] - 1 >= MIN_READABLE_TAIL and on_grid(events[bad[-1] + 1].bar_pos):
        return events[bad[-1] + 1:]
    return events


def _prime_tokens(passage: Melody | None, meter: str, shift: int, length_after: Fraction | None = None, start_pos: Fraction = Fraction(0)) -> Prime:
    """``length_after``: quarters from the passage's end to the end of the piece (the new
    material's length for a continuation), so the models know how many bars are left.
    ``start_pos``: without a passage, where in the bar the tune starts (after a pickup)."""
    if passage is None or not passage.events:
        tracker = tracker_for(meter, start_pos, length_after)
        toks = np.array([V.BOS])
        # <bos> stands where the first event will (as the encoder writes it): on an upbeat's
        # offbeat, not on the downbeat
        bos_pos = np.array([V.position_id(start_pos % meter_bar_length(meter))])
        return Prime(toks, bos_pos, np.array([V.meter_id(meter)]), features(toks, tracker), tracker)
    # The whole passage is read for the structure inputs (the lookbacks and the place in the
    # phrase count from its start); the models are primed on its tail only.
    first = passage.events[0]
    try:
        enc = encode(passage, eos=False)
    except Unrepresentable:  # an early value the vocabulary cannot write: read the tail only
        tail = _readable_tail(passage.events[-PRIMING_TOKENS:])
        first = tail[0]
        try:
            enc = encode(replace(passage, events=tail), eos=False)
        except Unrepresentable as err:  # in the tail too: name its bar as the whole passage counts
            raise unrepresentable(passage, err.event) if err.event is not None else err from None
    total = None if length_after is None else passage.end - first.onset + length_after
    tracker = tracker_for(meter, first.bar_pos, total)
    structure = features(enc.tokens, tracker)
    keep = slice(-PRIMING_TOKENS, None)
    return Prime(enc.tokens[keep], enc.positions[keep], enc.meters[keep], structure[keep], tracker)


def _context(
    passage: Melody | None, bars: int, meter: str, minor: bool, shift: int, opts: SamplingOptions,
    register: tuple[int, int] | None = None, as_written: Melody | None = None,
) -> Context:
    """``as_written``: the passage as the score has it, where ``passage`` is what the models hear
    (its bars under an earlier key moved into this one): the range is the score's."""
    bar = meter_bar_length(meter)
    if passage is not None and passage.events:
        last = passage.events[-1]
        pos = (last.bar_pos + last.duration) % bar
        to_bar_end = (bar - pos) % bar
        notes = [e.pitch + shift for e in (as_written or passage).events if e.pitch is not None]
        last_pitch = next((e.pitch + shift for e in reversed(passage.events) if e.pitch is not None), None)
    else:
        pos, to_bar_end, last_pitch, notes = Fraction(0), Fraction(0), None, []
    low, high = pitch_range(notes, shift, opts, register)
    return Context(meter=meter, bar_pos=pos, budget=to_bar_end + bars * bar, minor=minor, last_pitch=last_pitch, low=low, high=high)


def pitch_range(notes: list[int], shift: int, opts: SamplingOptions, register: tuple[int, int] | None = None) -> tuple[int, int]:
    """The range to write in (normalised MIDI): the music's own notes widened by a major third
    each way and to at least 15 semitones, unless the options name the lowest/highest note.
    Without notes, the genres' own ``register`` (form.genre_register), else C4-A5:
    a fixed C4-A5 kept Irish and Scottish tunes, which reach D6, 3 semitones below their own."""
    low, high = (min(notes) - 4, max(notes) + 4) if notes else (register or (60, 81))
    if high - low < 15:
        mid = (low + high) // 2
        low, high = mid - 8, mid + 8
    if opts.lowest is not None:
        low = opts.lowest + shift
    if opts.highest is not None:
        high = opts.highest + shift
    clamped = max(low, V.PITCH_LOW), min(high, V.PITCH_HIGH)
    if clamped[1] - clamped[0] < 5:  # no room: the sampler found no note to write (a RuntimeError)
        from music21 import pitch

        def name(midi: int) -> str:
            p = pitch.Pitch(midi=midi)
            return f"{p.name.replace('-', 'b')}{p.octave}"

        what = f"the passage lies at {name(min(notes) - shift)} to {name(max(notes) - shift)}" if notes else "the range asked for"
        raise UsageError(f"{what}, outside what the models write ({name(V.PITCH_LOW - shift)} to {name(V.PITCH_HIGH - shift)} "
                         "in this key): move it by an octave or more, or give --lowest/--highest inside that range",
                         about="range" if opts.lowest is not None or opts.highest is not None or not notes else "passage")
    return clamped


def _is_minor(passage: Melody | None, mode: str | None, shift: int) -> bool:
    if mode in ("major", "minor"):
        return mode == "minor"
    if passage is not None and passage.notes:  # modal or unknown: does it rest on the relative minor?
        return (passage.notes[-1].pitch + shift) % 12 == 9
    return False


def modal_tonic(passage: Melody | None, shift: int, minor: bool) -> int | None:
    """The normalised pitch class of the final the passage's source names (D in a D-dorian
    Palestrina piece under no signature), where it is a note of the key but neither its major
    nor its minor tonic; else None. The genres' final degrees and cadences were measured from
    the named final, and a continuation drew them from C or A: 60% of Palestrina's held-out
    pieces are modal, and continuations of their first 8 bars ended on the triad of their own
    final 0.23 of the time (the pieces themselves 0.78; now 0.95; docs/fusion.md, "A modal
    passage keeps its final")."""
    if passage is None or not passage.tonic:
        return None
    from ..metrics.form import tonic_pitch_class

    pc = (tonic_pitch_class(passage) + shift) % 12
    return pc if pc != (9 if minor else 0) and pc in MAJOR_SCALE else None


def _to_user_key(events: list[NoteEvent], start: Fraction, sharps: int, shift: int, minor: bool = False) -> list[NoteEvent]:
    out = []
    for e in events:
        if e.pitch is None:
            out.append(NoteEvent(None, e.onset + start, e.duration, e.bar_pos))
        else:
            out.append(NoteEvent(e.pitch - shift, e.onset + start, e.duration, e.bar_pos, spell(e.pitch, sharps, shift, minor)))
    return out


def _silence(passage: Melody | None) -> Melody | None:
    """A passage of rests only that ends on a barline (a blank score's empty bars selected in
    MuseScore), else None. There is nothing in it to continue: the new bars are a tune from
    nothing in its meter and key, starting on that barline without an upbeat (before
    2026-12-04 the models read the rests as a passage, and the tune began wherever they happened
    to: folk in C at seed 1 on E3 repeated, at another length on B4)."""
    if passage is None or not passage.events or passage.notes:
        return None
    last = passage.events[-1]
    bar = meter_bar_length(meter_at(passage, last.onset))
    return passage if (last.bar_pos + last.duration) % bar == 0 else None


def _check_bars(bars: int, variants: int) -> None:
    for name, value in (("bars", bars), ("variants", variants)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise UsageError(f"{name} must be a whole number (got {value!r})")
    if not 1 <= bars <= 256:
        raise UsageError(f"bars must be between 1 and 256 (got {bars})")
    if not 1 <= variants <= 32:
        raise UsageError(f"variants must be between 1 and 32 (got {variants})")


def continue_melody(
    passage: Melody | None,
    *,
    bars: int,
    genre: str | None = None,
    weights: str | dict | None = None,
    options: SamplingOptions | None = None,
    variants: int = 1,
    meter: str | None = None,
    sharps: int | None = None,
    mode: str | None = None,
    position: TunePosition | None = None,
    key=None,
) -> Result:
    """Continue ``passage`` (or start from nothing) by ``bars`` whole bars.

    Give ``genre`` for one genre model, or ``weights`` ('folk=0.7,irish=0.3') for a fusion.
    The result keeps the passage's key signature, meter and bar position, and is spelled in its key.
    ``position``: where the passage stands in its tune (a selection from the middle of a score),
    so the new phrases fall where the tune's do; None: the passage begins a phrase.
    ``key``: the key the passage and the new notes are in ('F', 'e' = E minor, a
    :class:`~lstmfuse.theory.Key`), where neither its signature nor its notes say it; None: the
    signature's, or the one the notes are in where the signature does not write them.
    """
    started = time.perf_counter()
    opts = options or SamplingOptions()
    if not isinstance(opts, SamplingOptions):
        raise UsageError(f"options must be a SamplingOptions (got {type(opts).__name__})")
    if opts.seed is None:  # drawn here: every random stream needs one, and the settings record it
        opts = replace(opts, seed=int(np.random.SeedSequence().entropy % 2**32))
    _check_bars(bars, variants)
    if (genre is None) == (weights is None):
        raise UsageError("give either a genre or genre weights")
    if genre is not None and not isinstance(genre, str):
        raise UsageError(f"genre must be a genre's name such as 'folk' (got {genre!r})")
    if passage is not None and not isinstance(passage, Melody):
        raise UsageError(f"the passage must be a Melody (or a score or file, through lstmfuse.continue_passage; got {type(passage).__name__})")
    if position is not None and not isinstance(position, TunePosition):
        raise UsageError(f"position must be a TunePosition (got {type(position).__name__})")
    if sharps is not None and (not isinstance(sharps, int) or isinstance(sharps, bool) or not -7 <= sharps <= 7):
        raise UsageError(f"sharps must be a whole number from -7 (seven flats) to 7 (got {sharps!r})")
    if mode is not None and mode not in ("major", "minor"):
        raise UsageError(f"mode must be 'major' or 'minor' (got {mode!r})")
    known = genre_names()
    silence = _silence(passage)
    if silence is not None:  # rests only, to a barline: a new tune after them, in their meter and key
        meter, sharps, mode, passage = meter or silence.meter, silence.sharps if sharps is None else sharps, mode or silence.mode, None
    meter = meter or (passage.meter if passage else "4/4")
    meter_bar_length(meter)  # validates
    sharps = passage.sharps if passage is not None and sharps is None else (sharps or 0)
    mode = mode or (passage.mode if passage else None)
    written = sharps  # the score keeps its signature; the notes are continued in their own key
    as_written = passage  # its range is the register to write in
    if passage is not None:  # bars under an earlier signature, heard in the one in force at the end
        passage = in_key_of_span(passage)
    key = passage_key(passage, sharps, mode) if key is None else named_key(key, sharps, mode)
    if key.from_notes:
        if passage is not None:
            passage = in_passage_key(passage, key)
        else:  # a new melody in the key named: its signature too
            written = key.sharps
        sharps, mode = key.sharps, key.mode
    shift = normalising_shift(sharps)
    minor = _is_minor(passage, mode, shift)
    if genre is not None:
        name = genre.lower()
        if name not in known:
            raise UsageError(f"unknown genre '{genre}' (installed: {', '.join(known)})")
        w = {name: 1.0}
    else:
        w = parse_weights(weights, known)  # type: ignore[arg-type]
    ctx = _context(passage, bars, meter, minor, shift, opts, genre_register(w, sharps), as_written)
    ctx.tonic = modal_tonic(passage, shift, minor)
    rng = np.random.default_rng(opts.seed)
    pickup, form_genre = 0, None
    if (passage is None or not passage.events) and opts.form != "free":
        # a tune from nothing takes its upbeat and (its first variant) its phrase layout from one
        # genre drawn by weight, as every variant's layout is: it starts on an upbeat as often and
        # as long as that genre's real tunes in this meter do, and its last bar is short by it as
        # often too. (Before, the heaviest genre's: at 50/50 the first named, so the order the
        # weights were typed in decided whether a Palestrina + Scottish tune had an upbeat.)
        form_genre = _draw_genre(w, rng)
        pickup, short_end = draw_pickup(form_genre, meter, to_ticks(meter_bar_length(meter)), rng)
        if silence is not None:  # the rests are the user's: the tune starts on the barline after them
            pickup, short_end = 0, False
        if pickup:
            ctx.bar_pos = meter_bar_length(meter) - from_ticks(pickup)
            if not short_end:  # the upbeat and then whole bars
                ctx.budget += from_ticks(pickup)
    prime = _prime_tokens(passage, meter, shift, ctx.budget, ctx.bar_pos)
    ctx.tracker = prime.tracker
    start = passage.end if passage is not None and passage.events else silence.end if silence is not None else Fraction(0)
    if position is None:  # the passage begins a phrase, with the upbeat it begins with
        from ..metrics.form import upbeat

        # (after a change of meter the first meter's upbeat says nothing of the last one's phrases)
        one_meter = passage is not None and len({m for _, m in passage.meters} | {passage.meter}) == 1
        position = TunePosition(0, upbeat(passage) if one_meter else Fraction(0))
    position.check(meter_bar_length(meter))
    form = _passage_form(passage, ctx, shift, position)
    upbeat = to_ticks(position.upbeat) if passage is not None and passage.events else 0
    ctx.plans, own_plans = _plans(opts, w, form, ctx, bars, variants, rng, pickup, form_genre, upbeat)
    if passage is None or not passage.events:  # a tune from nothing swings as its template does
        ctx.plans = [with_template_feel(plan, meter) for plan in ctx.plans]
    ctx.passage_phrases = form.phrases
    ctx.passage_upbeat = form.upbeat_tokens
    if opts.form != "free":
        if passage is not None and passage.events:
            ctx.register_base = register_base(form.phrases, [e.pitch + shift for e in passage.events if e.pitch is not None])
        elif form_genre is not None and len(w) == 1:  # a tune from nothing lies where its genre's real tunes lie
            # (a stream of its own: the plans and the notes draw from ``rng`` as before). Not a
            # blend: one genre's level pulled the other's half-phrases out of their register
            # (at w = .5 P(B) 0.41 -> 0.37, 0.22 -> 0.19, 0.34 -> 0.30), so its first phrase sets it
            ctx.register_base = draw_tune_level(form_genre, np.random.default_rng([opts.seed, 7]), sharps)
            first = genre_first_offset(form_genre)
            if ctx.register_base is not None and first is not None:  # and begins where they begin
                ctx.first_target = ctx.register_base + first
        ctx.final_offset = genre_final_offset(w)
        ctx.approach, ctx.approach_genre = genre_approach(w), max(sorted(w), key=w.get)
        ctx.approach2 = genre_approach2(w)
    ctx.rest_cap, ctx.strict_beats = genre_limits(w, meter, to_ticks(ctx.budget))
    ctx.hold_beats_by_genre = {g: holds_beats(g, meter) for g in w}
    ctx.hold_beats = all(ctx.hold_beats_by_genre.values())
    ctx.keeps_barlines_by_genre = {g: keeps_barlines(g, meter) for g in w}
    ctx.keeps_barlines = all(ctx.keeps_barlines_by_genre.values())
    groups = beat_groups.for_passage(meter, passage, opts.beats)
    ctx.beat_starts = beat_groups.start_ticks(meter, groups)
    if passage is not None and passage.events and opts.form != "free":
        ctx.motifs = Motifs.of(passage.events, to_ticks(meter_bar_length(meter)))
    elif opts.form != "free" and len(w) == 1:  # a tune from nothing takes up its own turns
        # (one genre: a blend's half-phrases are each its lead's, and no real blend says how
        # often they should take up each other's turns)
        ctx.own_figure_bonus = OWN_FIGURE_BONUS.get(next(iter(w)), 0.0)
    settings = {
        "bars": bars,
        "meter": meter,
        "key_signature_sharps": written,
        "mode": "minor" if minor else "major",
        "variants": variants,
        "sampling": opts.to_dict(),
    }
    if silence is not None:
        settings["after_rests"] = str(silence.end)
    if key.from_notes:  # the key the notes are in, where the signature says another
        settings["key_of_notes"] = key.settings(written)
    elif as_written is not None and as_written.signatures and as_written.key_span[0] > 0:  # a passage that changes key
        at = bar_number(as_written, as_written.key_span[0])
        key_name = PassageKey(written, "minor" if minor else "major", None, False).name
        settings["key_change"] = {"bar": at, "sharps": written, "name": key_name,
                                  "said": f"key: the passage changes key in bar {at}; continued in {key_name}, the key from there, "
                                          "the bars before it heard as if written in it"}
    if groups is not None:
        settings["beat_groups"] = beat_groups.label(groups)
    if pickup:
        settings["pickup_quarters"] = str(from_ticks(pickup))
        settings["pickup_genre"] = form_genre
    leads: list[list[tuple[Fraction, str]]] = []
    if genre is not None:
        stack = LSTMStack([load_model(name)], [None])
        raw = generate(stack, engine_prime(stack, *prime, batch=variants), ctx, opts, rng=rng)
        settings["genre"] = name
    else:
        settings["weights"] = w
        raw, schedules = _fuse(w, prime, ctx, opts, variants, rng, own_plans)
        leads = [[(Fraction(lead.tick, V.TICKS_PER_QUARTER), lead.genre) for lead in rows] for rows in schedules]
    melodies = [
        Melody(_to_user_key(events, start, sharps, shift, minor), meter=meter, sharps=written, mode=settings["mode"], source="lstmfuse",
               beat_groups=groups)
        for events in raw
    ]
    return Result(melodies, settings, time.perf_counter() - started, [p.describe() for p in ctx.plans], leads)


def _passage_form(passage: Melody | None, ctx: Context, shift: int, position: TunePosition) -> PassageForm:
    """Where the passage stands in its phrase (its partial last bar counts) and its last
    phrases, cut on the tune's phrase grid (``position``: from upbeat to upbeat where the tune
    has one)."""
    if passage is None or not passage.events:
        return PassageForm()
    from ..metrics.form import bar_grid, tonic_pitch_class

    grid = bar_grid(passage)
    into = position.bars_before % PHRASE_BARS  # bars of its phrase before the passage's first barline
    phrase_start = grid.start - into * grid.bar - position.upbeat
    form = passage_form(passage.events, grid.bar, phrase_start, grid.n_bars, tonic_pitch_class(passage), shift, position.upbeat)
    form.bars_into_phrase = (into + grid.n_bars + (1 if ctx.bar_pos else 0)) % PHRASE_BARS
    return form


def _draw_genre(weights: dict[str, float], rng: np.random.Generator) -> str:
    """A genre drawn by weight (the order the weights were given in does not matter)."""
    names = sorted(weights)
    shares = np.array([weights[g] for g in names], dtype=float)
    return names[int(rng.choice(len(names), p=shares / shares.sum()))]


def _plans(
    opts: SamplingOptions, weights: dict[str, float], passage: PassageForm, ctx: Context,
    bars: int, variants: int, rng: np.random.Generator, pickup: int = 0, first: str | None = None, upbeat: int = 0,
) -> list[FormPlan]:
    """One phrase plan per variant; in a fusion each variant takes the layouts of a genre drawn
    by weight, so the forms mix in the proportions the composer set. ``first``: the genre the
    first variant's layout comes from, already drawn (a tune from nothing: the genre of its upbeat).
    ``upbeat``: the passage's (ticks), which the continuation's phrases begin with too.
    Also, per variant of a fusion, a plan of each of its genres (the same phrase lengths) from
    which a half-phrase that genre leads takes its ending (``form.ends_as``)."""
    bar = to_ticks(meter_bar_length(ctx.meter))
    budget = to_ticks(ctx.budget)
    if opts.form == "free":  # draws nothing: the random stream stays as it was without plans
        return [free_plan(budget, opts.end_on_stable)] * variants, [{} for _ in range(variants)]

    def plan_of(genre: str) -> FormPlan:
        return choose_plan(
            opts.form, genre, meter=ctx.meter, budget_ticks=budget, lead_ticks=pickup or budget - bars * bar, bar_ticks=bar,
            passage=passage, end_on_stable=opts.end_on_stable, rng=rng, pickup_ticks=pickup, passage_upbeat=upbeat,
        )

    plans = [plan_of(first if v == 0 and first else _draw_genre(weights, rng)) for v in range(variants)]
    # in a blend, each genre's own plan with the same phrase lengths: how its half-phrases end
    # (form.ends_as; the template's genre keeps the plan drawn above)
    own: list[dict[str, FormPlan]] = [{} for _ in range(variants)]
    if len(weights) > 1 and opts.form == "auto":
        for v, plan in enumerate(plans):
            own[v] = {g: plan if g == plan.template_genre else plan_of(g) for g in sorted(weights)}
    return plans, own


def _fuse(
    weights: dict[str, float], prime, ctx: Context, opts: SamplingOptions, variants: int, rng,
    own_plans: list[dict[str, FormPlan]] | None = None,
) -> tuple[list[list[NoteEvent]], list[list]]:
    """Phase 1 and phase 2 of a fusion: the melodies (normalised key) and each row's lead
    schedule. ``own_plans``: per variant, each genre's plan with the variant's phrase lengths
    (``_plans``): a genre's phase-1 melody, and phase 2's half-phrases it leads, end as it does."""
    fusion = load_model(FUSION)
    order = list(fusion.config.genres)
    missing = [g for g in weights if g not in order]
    if missing:
        raise UsageError(f"the fusion model was not trained on {', '.join(missing)} (it knows {', '.join(order)})")
    active = [g for g in order if g in weights]
    style = np.array([weights.get(g, 0.0) for g in order])
    # One stack (fusion model + weighted genre models), primed once on the passage.
    stack = LSTMStack([fusion] + [load_model(g) for g in active], [style] + [None] * len(active))
    primed = engine_prime(stack, *prime, batch=variants)
    # Phase 1: each genre model writes its own continuation from the shared priming (the
    # fusion model's slice of the stack is left out: its phase-1 text would be thrown away).
    genres_only = LSTMStack(stack.models[1:], [None] * len(active))
    logits, (hs, cs) = primed
    plans = ctx.plans
    own = own_plans if plans and own_plans and all(own_plans) else None
    if own:  # row k * variants + v: genre k's melody for variant v, ending its phrases as k does
        ctx.plans = [ends_as(plans[v], [own[v][g]] * (2 * len(plans[v].segments))) for g in active for v in range(variants)]
    phase1 = generate(genres_only, (logits[1:], ([h[1:] for h in hs], [c[1:] for c in cs])), ctx, opts, rng=rng)
    ctx.plans = plans
    material = {g: phase1[k * variants : (k + 1) * variants] for k, g in enumerate(active)}
    # Phase 2: the fusion LSTM with the weight vector, mixed with the genres, guided by phase 1;
    # with several genres, each half-phrase is led by one of them (blending, see docs/fusion.md).
    share = fusion_share(weights)  # the fusion model's part of the mixture (fusion_share.py)
    mix = np.array([share] + [(1 - share) * weights[g] for g in active])
    guides = [[Guide(material[g][v], GUIDE_STRENGTH) for g in active] for v in range(variants)]
    leads: list[list] = []
    if len(active) > 1:
        plans = ctx.plans or [None]  # row v follows plans[v % len(plans)], as in the engine
        bar, start = to_ticks(meter_bar_length(ctx.meter)), to_ticks(ctx.bar_pos)
        leads = [_lead_schedule(plans[v % len(plans)], weights, active, order, stack, rng, bar, start) for v in range(variants)]
        if own:  # each half-phrase ends as its lead's real ones do
            ctx.plans = [ends_as(ctx.plans[v], [own[v][lead.genre] for lead in leads[v]]) for v in range(len(ctx.plans))]
        if ctx.plans and opts.end_on_stable and opts.form == "auto":  # the last half-phrase's lead closes the tune
            short_end = (ctx.bar_pos + ctx.budget) % meter_bar_length(ctx.meter) != 0  # a tune from nothing ending on its short bar
            ctx.plans = [closing_in(ctx.plans[v], leads[v][-1].genre, ctx.meter, bar, rng, short_end) for v in range(len(ctx.plans))]
    else:
        guides = [[Guide(material[g][v], GUIDE_STRENGTH * weights[g]) for g in active] for v in range(variants)]
    return generate(stack, primed, ctx, opts, weights=mix, guides=guides, leads=leads or None, rng=rng), leads


#: within a unit led by a genre, that genre's share of the genre models' part of the mixture
#: (the rest is shared by weight). 1.0: a half-phrase is in its lead genre's voice (its model,
#: its phase-1 material, the fusion model conditioned on it), and the fusion model, which reads
#: the whole line, carries it across the joins. At 0.6 (2026-12-01, commit 0979234) the other
#: genre still vetoed the lead's rhythms: Irish-led bars beside Bach were judged Irish 0.14
#: (real Irish 4/4 bars: 0.36); see docs/fusion.md for the figures that chose 1.0.
LEAD_SHARE = 1.0
#: how much harder than ``GUIDE_STRENGTH`` the lead's phase-1 melody pulls inside its unit: the
#: second genre's units keep more of their own rhythm (at w = .5, Irish-led units beside Bach
#: 0.71 short notes at 1.5, 0.64 at 1.0; real Irish 4/4 units 0.82), but the pull drags the
#: first note of a unit towards the lead's own line, and the leap into a unit grows. 1.5 since
#: commit 4b0b60f (2.0 from 87ebc0a): measured again with 60 fusions a pair and phrases from
#: upbeat to upbeat, 2.0 made folk+Irish leap 3.78 semitones into a unit, past the 3.0-3.2 that
#: real folk and Irish tunes leap across the same boundaries, a seam; 1.5: 3.32, Bach+Irish 2.64
#: (real 2.55-3.14), Palestrina+Scottish 2.68 (2.11-5.17).
#: docs/fusion.md, "The lead's own material pulls harder" (python -m lstmfuse.evaluation.lead_guide).
LEAD_GUIDE = 1.5
#: how much harder again the lead's phase-1 melody pulls the durations than the pitches inside
#: its unit. The pitch pull is held at LEAD_GUIDE by the seam it makes at a unit's start (the
#: leap into it); the rhythm makes no seam, and at 1.0 the second genre's units lost theirs to
#: the line around them: Irish-led half-phrases beside Bach had 0.18 of their notes in dotted
#: pairs (dotted eighth, sixteenth) where real Irish 4/4 ones have 0.37. At 2.0 (2026-12-03)
#: five of the blend proof's six leads come nearer their genre's real note lengths (Bach-led
#: ones move away a little); docs/fusion.md, "The lead's rhythm pulls harder"
#: (python -m lstmfuse.evaluation.lead_guide --knob LEAD_RHYTHM).
LEAD_RHYTHM = 2.0


def lead_order(weights: dict[str, float], active: list[str], units: int, rng: np.random.Generator) -> list[str]:
    """Which genre leads each unit: every genre as often as its weight says (largest share
    first, spread evenly like a Bresenham line), from a random starting point per variant."""
    w = np.array([weights[g] for g in active], dtype=float)
    w = w / w.sum()
    count = np.zeros(len(active))
    offset = rng.random(len(active)) * 0.5  # break ties differently per variant
    out = []
    for i in range(units):
        k = int(np.argmax(w * (i + 1) + offset * w - count))
        count[k] += 1
        out.append(active[k])
    return out


def _lead_schedule(
    plan: FormPlan | None, weights: dict[str, float], active: list[str], order: list[str], stack: LSTMStack, rng,
    bar: int = 0, start: int = 0,
) -> list:
    """Lead changes at every half-phrase of the plan (2 bars in a 4-bar phrase). In a tune
    whose phrases start with an upbeat (``start``: the first event's place in its bar of
    ``bar`` ticks), a genre that never starts a phrase so (Palestrina) takes the lead at the
    barline after it: the genre before it writes the upbeat, as a pickup into its bar (its
    half-phrases began with an eighth before the barline, 13% of their notes shorter than a
    quarter where real Palestrina has 1%)."""
    from .engine import Lead

    starts: list[int] = []
    t = 0
    for seg in (plan.segments if plan is not None else ()):
        starts += [t, t + seg.ticks // 2] if seg.ticks >= 2 else [t]
        t += seg.ticks
    starts = starts or [0]
    leaders = lead_order(weights, active, len(starts), rng)
    if bar:
        starts = [tick + ((bar - (start + tick) % bar) % bar if tick and never_upbeat(lead) else 0) for tick, lead in zip(starts, leaders)]
    out = []
    for tick, lead in zip(starts, leaders):
        shares = {g: (1 - LEAD_SHARE) * weights[g] + (LEAD_SHARE if g == lead else 0.0) for g in active}
        fused = fusion_share({lead: 1.0})  # in its half-phrase, the lead's own
        model_w = np.array([fused] + [(1 - fused) * shares[g] for g in active])
        style = np.array([shares.get(g, 0.0) for g in order])
        out.append(Lead(tick, model_w, stack.style_term(0, style), tuple(LEAD_GUIDE * shares[g] for g in active), lead, LEAD_RHYTHM))
    return out
