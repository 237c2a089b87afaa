"""Phrase plans: the form a generated melody follows over many bars.

An LSTM primed on a passage writes idiomatic bars, but nothing makes bar 9 recall bar 1, a
phrase close, or a tune end. A :class:`FormPlan` says, for each phrase of the new material,
whether it is new, repeats an earlier phrase (exactly, transposed, or with a new ending), how
it ends (tonic, a half cadence on the dominant, or open) and how long its last note lasts.

Plans are not invented here: ``lstmfuse reference build`` reads the phrase layout of every
real tune in each genre's training split (:func:`lstmfuse.metrics.form.phrase_layout`) into
``data/reference/<genre>/form.json``, and :func:`choose_plan` draws one of those real layouts
(one from the right meter when the genre has enough), so an Irish reel comes out AABB-like and
an Essen song with its repeated opening phrase, as often as the corpus has them. The engine
(:mod:`.engine`) realises the plan; ``--form free`` is the plain model without a plan.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field, replace
from fractions import Fraction

import numpy as np

from ..encoding import vocab as V
from ..encoding.tokens import normalising_shift
from ..errors import LstmfuseError, UsageError
from ..metrics.reference import APPROACH_SPAN
from ..paths import package_data
from ..theory import MAJOR_SCALE
from .ticks import DURATION_TICKS, fillable

#: bars per phrase (the unit the layouts were learnt in; metrics.form.PHRASE_BARS)
PHRASE_BARS = 4
#: how many phrases of the passage a continuation's plan may refer back to
PASSAGE_PHRASES = 4
#: longest final note a plan asks for, in bars (Palestrina's cantus ends on a longa over 1.5 bars on average)
FINAL_BARS_MAX = 2.0
#: fewest layouts of a meter before plans fall back to the genre's layouts in any meter
MIN_SAME_METER = 30
#: white keys of the normalised key (C major / A minor): diatonic transposition moves along them
_WHITE = MAJOR_SCALE
_EXPLICIT = re.compile(r"^([A-Z]'*)+$")


@dataclass(frozen=True)
class Segment:
    """One phrase of the plan, in the engine's ticks (see :mod:`.ticks`).

    ``relation``: 'new', 'exact', 'transposed' or 'varied' (the first half repeats, the ending
    is new). ``source``: an earlier segment's index (>= 0), or a passage phrase (-1 the last,
    -2 the one before, ...). ``steps``: diatonic transposition of a copy. ``cadence``: the pitch
    its last note must have: 'tonic', 'dominant', 'stable' (the tonic triad), or 'open' (none).
    ``end_ticks``: its last note (from onset to the segment's end) lasts at least this long.
    ``end_cap``: where the real phrase did not breathe, no note or rest of the phrase's last bar
    lasts longer than this (the genre's median note), so it does not breathe here either.
    ``register``: the real phrase's mean pitch against the tune's (semitones; None: unknown),
    which the engine leans towards (engine._register_pull).
    ``upbeat``: in a tune with an upbeat every phrase begins with one; a 'varied' copy repeats
    it and the first half from the barline on (two whole bars), as real second strains do.
    ``skip``: a continuation's first phrase, whose upbeat ends the passage, copies its source
    without the source's upbeat.
    """

    ticks: int
    relation: str = "new"
    source: int | None = None
    steps: int = 0
    cadence: str = "open"
    end_ticks: int = 0
    end_cap: int = 0
    register: float | None = None
    upbeat: int = 0  # the phrase begins with this upbeat: a varied copy keeps it and two whole bars
    #: a continuation's first phrase whose upbeat the passage already played: a copy leaves
    #: out the source's first ``skip`` ticks (its upbeat)
    skip: int = 0
    #: where the phrase's first half ends (ticks from the segment's start; 0: not planned) and how
    #: long the note ending there lasts at least: the real phrase breathed there (a chorale's
    #: 4 bars are two 2-bar phrases)
    mid_at: int = 0
    mid_ticks: int = 0
    #: where the real phrase did not breathe there, no note or rest of the bar before ``mid_at``
    #: lasts longer than this (the genre's median note), as ``end_cap`` at its end
    mid_cap: int = 0
    #: the real phrase's breath: its cadence note stopped this long (ticks) before the phrase's
    #: end and a rest filled it (0: the note lasted to the end)
    end_rest: int = 0
    #: the same where its first half ends (``mid_at``): the note before stops this long before it
    mid_rest: int = 0


@dataclass(frozen=True)
class FormPlan:
    segments: tuple[Segment, ...]
    label: str = "free"
    template: str = ""  # the real tune whose layout this is
    #: nats added to a dotted eighth struck on a quarter-note beat in the first phrase: the
    #: template tune swings (a hornpipe), and so does this one (:func:`with_template_feel`)
    feel: float = 0.0

    @functools.cached_property
    def template_genre(self) -> str:
        """The genre of the real tune the layout came from ('irish/...#2' -> 'irish')."""
        return self.template.split("/")[0]

    def describe(self) -> dict:
        """What goes into the output's metadata."""
        return {
            "label": self.label,
            "template": self.template,
            **({"dotted_feel": self.feel} if self.feel else {}),
            "phrases": [
                {"ticks": s.ticks, "relation": s.relation, "source": s.source, "steps": s.steps,
                 "cadence": s.cadence, "end_ticks": s.end_ticks, "end_cap": s.end_cap, "register": s.register,
                 "mid_at": s.mid_at, "mid_ticks": s.mid_ticks, "mid_cap": s.mid_cap,
                 **({"end_rest": s.end_rest} if s.end_rest else {}), **({"mid_rest": s.mid_rest} if s.mid_rest else {})}
                for s in self.segments
            ],
        }


@dataclass
class PassageForm:
    """What the plan needs to know of the passage being continued: how many bars of its
    current phrase it has already played, and its last complete phrases as token lists
    (normalised key), oldest first, each with the cadence it ends on."""

    bars_into_phrase: int = 0
    phrases: list[list[int]] = field(default_factory=list)
    cadences: list[str] = field(default_factory=list)
    #: a passage that ends on the upbeat of its next phrase: that upbeat's tokens (the start of
    #: the continuation's first phrase, which a later phrase may copy); else empty
    upbeat_tokens: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class TunePosition:
    """Where a passage stands in the tune it was taken from, so that its continuation keeps the
    tune's phrase grid (4-bar phrases counted from the tune's first full bar, each beginning
    with the tune's upbeat): ``bars_before``, the tune's full bars before the passage's first
    barline (a pickup bar not counted); ``upbeat``, the tune's upbeat in quarters (0: none).
    A passage selected from bar 5 of a jig that opens on an eighth is
    ``TunePosition(4, Fraction(1, 2))``. Without one, the passage is taken to begin a phrase,
    with the upbeat it begins with (``metrics.form.upbeat``)."""

    bars_before: int = 0
    upbeat: Fraction = Fraction(0)

    def check(self, bar: Fraction) -> None:
        if self.bars_before < 0:
            raise UsageError(f"bars before the passage must be 0 or more (got {self.bars_before})", about="passage")
        if not 0 <= self.upbeat < bar:
            raise UsageError(f"the tune's upbeat must be shorter than a bar of {bar} quarters (got {self.upbeat})", about="passage")


def free_plan(budget_ticks: int, end_on_stable: bool) -> FormPlan:
    """The plain model: one segment, ending on the tonic triad if asked (the behaviour before plans)."""
    return FormPlan((Segment(budget_ticks, cadence="stable" if end_on_stable else "open"),), "free")


def has_layouts(genre: str) -> bool:
    """Whether ``genre`` ships phrase layouts (a genre a user trained without
    ``lstmfuse reference build --only form`` has none: its plans are free)."""
    return (package_data() / "reference" / genre / "form.json").exists()


@functools.cache
def _layouts(genre: str) -> dict:
    path = package_data() / "reference" / genre / "form.json"
    if not path.exists():
        raise LstmfuseError(f"no phrase layouts for genre '{genre}' (run 'lstmfuse reference build --only form')", path)
    data = json.loads(path.read_text())
    rel, cad = data["relations"], data["cadences"]
    for t in data["layouts"]:
        t["phrases"] = [
            {"relation": rel[r], "source": src, "shift": shift, "cadence": cad[c], "end_bars": end,
             "register": more[0] if more else None, "breathes": bool(more[1]) if len(more) > 1 else None,
             "end_last": more[2] if len(more) > 2 else None,
             "mid_breathes": bool(more[3]) if len(more) > 3 else None, "mid_last": more[4] if len(more) > 4 else None,
             "mid_bars": more[5] if len(more) > 5 else None, "end_rest": more[6] if len(more) > 6 else None,
             "mid_rest": more[7] if len(more) > 7 else None}
            for r, src, shift, c, end, *more in t["phrases"]
        ]
    return data


@functools.cache
def never_upbeat(genre: str) -> bool:
    """Whether none of ``genre``'s real tunes, in any meter, starts on an upbeat (Palestrina:
    none of 1048; form.json "pickups"). False for a genre without layouts (nothing known)."""
    if not has_layouts(genre):
        return False
    counts = _layouts(genre).get("pickups", {})
    return bool(counts) and all(float(share) == 0 or n == 0 for meter in counts.values() for share, n in meter.items())


def form_reference(genre: str) -> dict:
    """The learnt form data of a genre: {'layouts': [...], 'final_bars': {meter: [...]}}."""
    return _layouts(genre)


#: a genre "crosses the main beat" of a compound meter if more of its off-beat notes do than this
BEAT_CROSSING = 0.05


def _weighted(weights: dict[str, float], value) -> np.ndarray | None:
    """The weighted mean of ``value(form reference)`` over the genres whose form.json has it
    (``value`` raises KeyError where a field is missing: an older reference file); None if none."""
    got = []
    for g, w in weights.items():
        if has_layouts(g):
            try:
                got.append((w, np.asarray(value(_layouts(g)), dtype=float)))
            except KeyError:
                pass
    total = sum(w for w, _ in got)
    return sum(w * v for w, v in got) / total if total else None


def genre_limits(weights: dict[str, float], meter: str, budget_ticks: int) -> tuple[int | None, bool]:
    """What the weighted genres' real tunes never do, as limits for the engine: the most rest
    (their 95th percentile of rest share, weighted, times the budget) and, in 6/8, 9/8 and 12/8,
    whether notes must not cross the dotted-quarter beat (real tunes of every shipped genre cross
    it in under 0.3% of off-beat notes; Bach and Palestrina never saw these meters at all)."""
    cap = _weighted(weights, lambda ref: ref["rest_share_p95"])
    if cap is None:
        return None, False
    strict = False
    if meter in ("6/8", "9/8", "12/8"):
        strict = float(_weighted(weights, lambda ref: ref["beat_crossing"].get(meter, 0.0))) < BEAT_CROSSING
    return int(float(cap) * budget_ticks), strict


#: a genre whose real tunes in a compound meter let fewer than this share of the notes that start
#: on a main beat run past the next one without ending on one (a half note from a 6/8 downbeat,
#: 3/4's rhythm) is held to the beats (held-out 6/8: folk 0.027, Irish 0.004, Scottish 0.001);
#: so is a genre that never wrote the meter (Bach and Palestrina in 6/8: 0.11 and 0.43 of 40
#: tunes from nothing did, before 2026-12-03)
BEAT_SPANNING = 0.01


def holds_beats(genre: str, meter: str) -> bool:
    """Must ``genre``'s notes that start on a main beat of ``meter`` (6/8, 9/8, 12/8) end within
    that beat or on a later one? (form.json "beat_spanning"; no tunes in the meter: yes)."""
    if meter not in ("6/8", "9/8", "12/8") or not has_layouts(genre):
        return False
    return float(_layouts(genre).get("beat_spanning", {}).get(meter, 0.0)) < BEAT_SPANNING


#: fewest real tunes of a genre in a meter for the genre to count as having written it
MIN_TUNES_IN_METER = 10


def keeps_barlines(genre: str, meter: str) -> bool:
    """Must ``genre``'s notes end at the barline in ``meter`` (a note from the downbeat may
    last whole bars)? Yes in a simple meter the genre never wrote (fewer than
    ``MIN_TUNES_IN_METER`` tunes; form.json "pickups"), unless its bar is half the genre's
    main bar: Palestrina's ties over the middle of its 4/2 bar (7.1% of its notes cross its
    barlines, suspensions) are its own in 2/2 and 4/4, but in 3/4 it tied 30% of the notes of
    continued folk songs over the barline (the songs: 0.3%; docs/form.md, "Simple meters a
    genre never wrote"). Compound meters have ``holds_beats``, additive ones their groups."""
    from ..encoding.events import meter_bar_length
    from . import beat_groups

    if not has_layouts(genre) or beat_ticks(meter) == COMPOUND_BEAT or beat_groups.is_additive(meter):
        return False
    tunes = {m: sum(c.values()) for m, c in _layouts(genre).get("pickups", {}).items()}
    if not tunes or tunes.get(meter, 0) >= MIN_TUNES_IN_METER:
        return False
    main = max(tunes, key=tunes.get)
    return meter_bar_length(main) != 2 * meter_bar_length(meter)


#: the share of a genre's real tunes (in the meter) that close on form.json's FINAL_RUN strikes
#: of one pitch at or above which its tunes may close so (engine._holds_fourth_strike)
HAMMERED_CLOSE = 0.05


@functools.cache  # asked on every step of a tune's closing window
def hammers_final(genre: str, meter: str) -> bool:
    """May ``genre``'s tunes in ``meter`` close on four or more strikes of their last pitch, as
    ``HAMMERED_CLOSE`` of its real tunes there do (form.json "final_runs", all its meters where
    it has fewer than ``MIN_TUNES_IN_METER`` tunes in this one)? No without reference data: the
    close is rare in every genre's tunes."""
    if not has_layouts(genre):
        return False
    runs = _layouts(genre).get("final_runs")
    if not runs:
        return False
    tunes, hammered = runs[meter] if runs.get(meter, [0])[0] >= MIN_TUNES_IN_METER else (
        sum(r[0] for r in runs.values()), sum(r[1] for r in runs.values()))
    return bool(tunes) and hammered / tunes >= HAMMERED_CLOSE


def written_register(ref: dict, sharps: int) -> list[int] | None:
    """Where a genre's real tunes in this key signature lie as written (the 10th percentile of
    their lowest notes, the 90th of their highest; form.json 'written'), or its tunes in all keys
    where this one has too few; None for older reference files."""
    written = ref.get("written")
    if written is None:
        return None
    return written["register_by_key"].get(str(sharps), written["register"])


def genre_register(weights: dict[str, float], sharps: int = 0) -> tuple[int, int] | None:
    """The register (normalised MIDI) a tune from nothing in the key of ``sharps`` is written in:
    where the genre's real tunes in that key lie as written (:func:`written_register`), moved to
    the normalised key; a blend may go wherever any of its genres goes (the span of their
    registers), so each genre's half-phrases keep to their own. None if no genre has one.

    Real tunes keep their instrument's or voice's range whatever their key: Irish ones D4-B5 in
    G, D or A. Taken in the normalised key (every tune moved to C), the register mixed tunes
    moved up a fourth (from G) with tunes moved down a tone (from D), and an Irish tune in G came
    out a fourth too low (G3-A5). Real folk tunes in C lie low (G3-E5: Boehme's songs) and Irish
    ones in C high (C4-C6): the mean of the two registers cramped Irish half-phrases beside folk
    (at w = .5 in C heard as Irish 0.46 -> 0.41); docs/form.md, "Where a tune lies in its key"."""
    shift = normalising_shift(sharps)
    known = [g for g, w in weights.items() if w > 0 and has_layouts(g)]
    spans = [written_register(form_reference(g), sharps) for g in known]
    if known and all(spans):
        return min(lo for lo, _ in spans) + shift, max(hi for _, hi in spans) + shift
    both = _weighted(weights, lambda ref: ref["register"])  # older reference files: normalised
    return None if both is None else (int(round(both[0])), int(round(both[1])))


def genre_final_offset(weights: dict[str, float]) -> float | None:
    """Where the weighted genres' real tunes end against their mean pitch (semitones, form.json
    'final_offset': irish -3.2, scottish -3.5, bach -3.4, folk -2.2, palestrina -0.5): a tune
    comes home to its lower tonic. None without reference data."""
    value = _weighted(weights, lambda ref: ref["final_offset"])
    return None if value is None else float(value)


def genre_first_offset(genre: str) -> float | None:
    """Where the genre's real tunes begin against their mean pitch (semitones, form.json
    'first_offset', the training split; an upbeat's first note counts): most begin below it, on
    the tonic or the 5th below, and rise. None without reference data (an older form.json)."""
    if not has_layouts(genre):
        return None
    value = form_reference(genre).get("first_offset")
    return None if value is None else float(value)


def genre_by_meter_and_key(genres: list[str], meter: str, sharps: int) -> dict[str, float]:
    """Per genre, its share of the real tunes in ``meter`` and the key signature ``sharps``
    among ``genres`` (the training tunes form.json counts: tunes per meter times the share in
    that key, the two read as independent), summing to 1; empty where none of them has such
    tunes. What a passage with no notes can be matched on (the plugin's ``auto`` on a blank
    score: 4/4 in C is folk's, 0.64, Bach's 0.24; 6/8 in G folk's 0.42, Irish's 0.41)."""
    counts = {}
    for g in genres:
        if not has_layouts(g):
            continue
        ref = form_reference(g)
        in_meter = sum(ref.get("pickups", {}).get(meter, {}).values())
        keys = [k for k, _ in ref.get("written", {}).get("levels", [])]
        if in_meter and keys:
            counts[g] = in_meter * keys.count(sharps) / len(keys)
    total = sum(counts.values())
    return {g: round(c / total, 4) for g, c in counts.items() if c} if total else {}


def genre_approach(weights: dict[str, float]) -> np.ndarray | None:
    """Nats per move onto the tune's last note (-APPROACH_SPAN..APPROACH_SPAN semitones, the last
    note less the one before): the log-probability of that move among the weighted genres' real
    tunes' last moves (form.json 'approach', add-half smoothed). A repeated last note gains no
    more than the likeliest step onto it: the models already re-strike a jig's or a reel's tonic
    to fill its last bar (Irish 0.50-0.72 of tunes from nothing, real 0.46), and weighed as its
    real share it took 0.87-0.88 of Irish endings. None without reference data (an older
    form.json). docs/form.md, "The note before the last"."""
    end = _weighted(weights, _approach_shares)
    if end is None:
        return None
    out = np.log(end)
    steps = [APPROACH_SPAN + d for d in (-2, -1, 1, 2)]
    out[APPROACH_SPAN] = min(out[APPROACH_SPAN], out[steps].max())
    return out


def _approach_shares(ref: dict) -> np.ndarray:
    """A form reference's moves onto the last note as shares (add-half smoothed)."""
    counts = np.asarray(ref["approach"], float)
    return (counts + 0.5) / (counts.sum() + 0.5 * len(counts))


def genre_approach2(weights: dict[str, float]) -> np.ndarray | None:
    """Nats per move from the note two before the last onto the last note (-APPROACH_SPAN..
    APPROACH_SPAN semitones): the log-probability that a line of the weighted genres gets there
    in two moves, one of its intervals anywhere in its real tunes (profile.json 'interval') and
    then one of its real moves onto a last note ('approach'). The approach alone drew only the
    note before the last, which can only choose among what the model offers there: a Bach line
    that had sunk a fifth below its final was offered no step home and re-struck it (0.27-0.35
    of tunes) or leapt. None without reference data. docs/form.md, "Two notes from home"."""
    from ..metrics.reference import profile

    end = _weighted(weights, _approach_shares)
    got = []
    for g, w in weights.items():
        try:
            got.append((w, np.asarray(profile(g).histograms["interval"], float)))
        except (LstmfuseError, KeyError):
            pass
    total = sum(w for w, _ in got)
    if end is None or not total:
        return None
    steps = sum(w * h for w, h in got) / total
    two = np.convolve(steps / steps.sum(), end)  # moves -2 SPAN .. 2 SPAN
    return np.log(two[APPROACH_SPAN : 3 * APPROACH_SPAN + 1] + TWO_STEP_FLOOR)


#: added to the two-move shares before their log, so that a move no real line makes in two
#: notes costs about 9 nats, not an infinite amount (the last note is forced home in any case)
TWO_STEP_FLOOR = 1e-4


def draw_tune_level(genre: str, rng: np.random.Generator, sharps: int = 0) -> float | None:
    """The level (mean pitch, normalised) a tune from nothing in the key of ``sharps`` lies at:
    drawn from the genre's real tunes in that key signature as written (form.json 'written'
    levels; all keys' where it has fewer than reference.MIN_KEY_TUNES tunes), moved to the
    normalised key; None for older reference files. Its phrases' registers are offsets from it
    (``Context.register_base``). Left to the models' first phrase, Irish tunes lay 2.6 semitones
    below real ones and Bach's 1.7 below; docs/form.md, "A tune from nothing lies where real ones
    do" and "Where a tune lies in its key"."""
    if not has_layouts(genre):
        return None
    ref = form_reference(genre)
    written = ref.get("written")
    if written is None:  # an older reference file: levels in the normalised key only
        levels = ref.get("tune_means")
        return float(levels[int(rng.integers(len(levels)))]) if levels else None
    own_key = str(sharps) in written["register_by_key"]  # the keys with enough tunes of their own
    levels = [level for key, level in written["levels"] if key == sharps or not own_key]
    return float(levels[int(rng.integers(len(levels)))]) + normalising_shift(sharps) if levels else None


def register_base(passage_phrases: list[list[int]], passage_notes: list[int]) -> float | None:
    """The level a continuation's phrase registers are offsets from: the mean pitch of the
    passage's last phrases (normalised tokens), else of all its notes (None without notes)."""
    pitches = [V.token_pitch(t) for ph in passage_phrases[-PASSAGE_PHRASES:] for t in ph if V.PITCH_BASE <= t < V.DURATION_BASE]
    if pitches:
        return float(np.mean(pitches))
    return float(np.mean(passage_notes)) if passage_notes else None


def typical_meter_and_key(genre: str) -> tuple[str, int, str]:
    """The genre's most common meter (corpora.genres) and key signature with mode (form.json)."""
    from ..corpora.genres import get_genre

    meter = get_genre(genre).meter
    if not has_layouts(genre):
        return meter, 0, "major"
    sharps, mode, _count = _layouts(genre)["keys"][0]
    return meter, int(sharps), str(mode)


def _phrase_ticks(budget: int, lead: int, bar: int, bars_into_phrase: int, pickup: bool = False, upbeat: int = 0) -> list[int]:
    """Split the new material into phrases: first the rest of the passage's phrase (with the
    partial bar that completes the passage's last bar), then whole phrases; a short tail joins
    the phrase before it when it is under half a phrase. ``pickup``: a tune from nothing whose
    ``lead`` is its upbeat: every phrase is four bars that begin with an upbeat (the first is
    the upbeat and four bars less the next phrase's upbeat); a tune that ends on the short bar
    ends with a whole phrase, one that ends on a whole bar has its last phrase longer by the upbeat.
    ``upbeat``: a continuation of a passage that began with this upbeat: its phrases run from
    upbeat to upbeat, so each ends that much before the barline the passage's phrases would
    end on, and the last (the new material ends on a whole bar) is longer by it."""
    phrase = PHRASE_BARS * bar
    out: list[int] = []
    left = budget
    # with an upbeat every phrase starts with one: the first is the upbeat and four bars less
    # the next phrase's upbeat, so all phrases are four bars long, each ending before an upbeat
    first = phrase if pickup else lead + ((PHRASE_BARS - bars_into_phrase) % PHRASE_BARS) * bar - upbeat
    if first <= 0:  # the passage ends on the next phrase's upbeat (or just before it)
        first += phrase
    if first and first < left:
        out.append(first)
        left -= first
    while left > 0:
        take = min(phrase, left)
        out.append(take)
        left -= take
    if len(out) > 1 and out[-1] < phrase // 2:
        tail = out.pop()
        out[-1] += tail
    return out


def _draw_layout(genre: str, meter: str, n: int, rng: np.random.Generator) -> tuple[list[dict], str]:
    data = _layouts(genre)
    pool = [t for t in data["layouts"] if len(t["phrases"]) >= n]
    same = [t for t in pool if t["meter"] == meter]
    if len(same) >= MIN_SAME_METER:
        pool = same
    if not pool:  # longer than any real tune: repeat the longest layouts' first phrase pattern
        longest = max(len(t["phrases"]) for t in data["layouts"])
        pool = [t for t in data["layouts"] if len(t["phrases"]) == longest]
    t = pool[int(rng.integers(len(pool)))]
    phrases = list(t["phrases"])
    while len(phrases) < n:  # tile: a second strain that recalls the first
        k = len(phrases) % len(t["phrases"])
        base = dict(t["phrases"][k])
        base.update(relation="exact" if k < len(t["phrases"]) else base["relation"], source=k, shift=0)
        phrases.append(base)
    return phrases[:n], t["id"]


#: semitones above the tonic of the notes a tune may stop on: its triad in either mode (the
#: third that is not the mode's falls back to the tonic, ``cadence_pitch_classes``)
HOME_DEGREES = frozenset({0, 3, 4, 7})


def _final_cadence(genre: str, form: str, rng: np.random.Generator) -> str:
    """'tonic', or 'degreeN' (N semitones above it), drawn from the final degrees of the genre's
    real tunes (those with 3% or more: folk ends on the 3rd 13% of the time, Palestrina's cantus
    on the 5th 28% and the 3rd 26%) that lie on the tonic triad (``HOME_DEGREES``): a real tune's
    written last note off it is mostly no ending: 76% of Irish and 60% of Scottish ones are
    shorter than a quarter (a note leading back into a repeat; tonic finals 29% and 26%), and
    Bach's lie in the key of their last note by music21's key analysis, modal chorales under
    their signature's minor (docs/form.md, "A tune stops at home"). Explicit layouts always
    close on the tonic."""
    if form != "auto":
        return "tonic"
    shares = {d: v for d, v in _layouts(genre)["final_degrees"].items() if int(d) in HOME_DEGREES}
    degrees = list(shares)
    p = np.array([shares[d] for d in degrees], dtype=float)
    d = int(degrees[int(rng.choice(len(degrees), p=p / p.sum()))])
    return "tonic" if d == 0 else f"degree{d}"


def _final_ticks(genre: str, meter: str, bar: int, rng: np.random.Generator) -> int:
    """A final-note length for a tune that ends on a whole bar, drawn from the genre's real tunes
    in this meter that end so (form.json "final_bars_whole_bar"; else all its tunes in the
    meter, else in any meter), to the nearest eighth and at least a quarter: a reel's final
    eighth would look cut off, but a jig's final quarter is what real jigs ending on a whole bar
    write. (Until 2bcfa25 every final was rounded up to a beat, a jig's to a
    dotted quarter: generated Irish 6/8 tunes ending on a whole bar ended on 0.54 bars, real
    ones on 0.30, and the style judge heard them as Scottish, 0.53-0.58.)"""
    data = _layouts(genre) if has_layouts(genre) else {}
    finals = data.get("final_bars", {})
    own = data.get("final_bars_whole_bar", {}).get(meter)
    pool = own or finals.get(meter) or [v for vs in finals.values() for v in vs]
    bars = float(pool[int(rng.integers(len(pool)))]) if pool else 0.5
    eighth = 60
    ticks = max(2 * eighth, int(min(bars, FINAL_BARS_MAX) * bar / eighth + 0.5) * eighth)
    if own:
        return ticks
    # a length from other meters, or from tunes cut short: started on the pulse at or before
    # where it would have (Bach's quarter-bar final in 6/8 began on the fifth eighth; training
    # folk 6/8 tunes that end on a barline start their last note on the pulse 83 of 87 times)
    pulse = _pulse(meter)
    return -(-ticks // pulse) * pulse


def closing_in(plan: FormPlan, genre: str, meter: str, bar: int, rng: np.random.Generator, short_end: bool = False) -> FormPlan:
    """``plan`` with its tune's last note drawn as ``genre``'s real tunes end (degree and
    length), where the plan's layout came from another genre: in a blend the genre that leads
    the last half-phrase closes the tune in its own manner, not the template's (a Palestrina-led
    close on a Scottish template's quarter note hung; a Scottish close on a Palestrina
    template's breve stalled). A plan that ends on a copied phrase, an explicit layout or no
    final cadence is kept. ``short_end``: the tune ends on the short bar that completes its
    upbeat (a tune from nothing); else on a barline. (Until 2026-12-03 any plan with an upbeat
    whose phrases filled whole bars was taken for one, so a continuation of a passage with an
    upbeat closed on a short bar's final, five eighths in 6/8, placed before a barline: it began
    on the second eighth.)"""
    last = plan.segments[-1] if plan.segments else None
    template = plan.template_genre
    if last is None or not has_layouts(genre) or not has_layouts(template) or template == genre or last.cadence in ("copied", "open"):
        return plan
    if short_end and last.upbeat:  # the short bar that completes the upbeat
        end_ticks = _final_ticks_after_pickup(genre, meter, bar, last.upbeat, rng)
    else:
        end_ticks = min(_final_ticks(genre, meter, bar, rng), _on_beats(last.ticks // 2, beat_ticks(meter))) or _short_note(meter)
    closed = replace(last, cadence=_final_cadence(genre, "auto", rng), end_ticks=end_ticks, end_cap=0)
    return replace(plan, segments=plan.segments[:-1] + (closed,))


#: the fields of a :class:`Segment` that say how each of its halves ends (the length of the
#: note that closes it, the cap where it does not breathe, the rest after it; ``ends_as``)
MID_FIELDS = ("mid_at", "mid_ticks", "mid_cap", "mid_rest")
END_FIELDS = ("end_ticks", "end_cap", "end_rest")


def ends_as(plan: FormPlan, halves: list[FormPlan]) -> FormPlan:
    """``plan`` (its phrases, repeats, cadences and registers) with each half-phrase ending as
    the plan in ``halves`` says (two a phrase: the first half's breath from ``halves[2k]``, the
    phrase end from ``halves[2k + 1]``). In a blend each half-phrase has a lead genre, and a
    plan of that genre's own layouts with the same phrase lengths tells how its real phrases
    close: a jig's half-phrase runs on in eighths where a folk song's holds a note and breathes.
    With every half-phrase ending as the template's genre's, folk-led half-phrases of folk+Irish
    ended on less than a sixth of a bar 0.25 of the time (real folk 0.13), now 0.13
    (docs/fusion.md, "Each lead ends its half-phrase"). A phrase that copies another, or whose
    counterpart copies (no ending of its own), keeps its own."""
    if len(halves) != 2 * len(plan.segments):
        return plan
    out = []
    for k, seg in enumerate(plan.segments):
        first, second = halves[2 * k].segments, halves[2 * k + 1].segments
        if seg.cadence == "copied" or len(first) != len(plan.segments) or len(second) != len(plan.segments):
            out.append(seg)
            continue
        mid, end = first[k], second[k]
        if mid.ticks == seg.ticks and mid.cadence != "copied":
            seg = replace(seg, **{f: getattr(mid, f) for f in MID_FIELDS})
        if end.ticks == seg.ticks and end.cadence != "copied":
            seg = replace(seg, **{f: getattr(end, f) for f in END_FIELDS})
        out.append(seg)
    return replace(plan, segments=tuple(out))


def draw_pickup(genre: str, meter: str, bar: int, rng: np.random.Generator) -> tuple[int, bool]:
    """An upbeat (ticks; 0: none) for a tune from nothing, and whether its last bar is the short
    one that completes it, drawn as the genre's real tunes in this meter do: most jigs and reels
    start on one (held-out tunes: Irish 77%, Scottish 71%, folk 65%), chorales on the last beat;
    written Irish tunes with an upbeat end on the short bar 70% of the time, folk 96%. No data
    for the meter: none."""
    data = _layouts(genre) if has_layouts(genre) else {}
    counts = data.get("pickups", {}).get(meter)
    if not counts or all(float(v) == 0 for v in counts):  # none to draw: the random stream stays as it was
        return 0, False
    values = list(counts)
    p = np.array([counts[v] for v in values], dtype=float)
    share = Fraction(float(values[int(rng.choice(len(values), p=p / p.sum()))])).limit_denominator(48)
    ticks = int(round(share * bar))
    if not (0 < ticks < bar and fillable(ticks)):
        return 0, False
    endings = data.get("pickup_endings", {}).get(meter, {})
    short, full = endings.get("completes", 1), endings.get("full", 0)
    return ticks, bool(rng.random() < short / (short + full))


#: the fewest real tunes with the same upbeat whose finals a tune's short last bar draws from
MIN_SAME_PICKUP = 10


def _final_ticks_after_pickup(genre: str, meter: str, bar: int, pickup: int, rng: np.random.Generator) -> int:
    """The last note of a tune that began with a pickup, drawn from the final notes of the
    genre's real tunes whose last bar is the short one that completes their pickup (a jig's
    final quarter, a reel's final quarter or eighth), in eighths, within that short bar: of
    the tunes with this same pickup where there are enough (form.json "final_bars_by_pickup",
    since 2026-12-03), else of all, started on the pulse."""
    data = _layouts(genre) if has_layouts(genre) else {}
    short = bar - pickup
    eighth = 60
    same = {k: c for k, c in data.get("final_bars_by_pickup", {}).get(meter, {}).items() if int(round(float(k) * bar)) == pickup}
    counts = next(iter(same.values()), {})
    if sum(counts.values()) >= MIN_SAME_PICKUP:  # the finals of real tunes with this very upbeat
        values = list(counts)
        p = np.array([counts[v] for v in values], dtype=float)
        bars = float(values[int(rng.choice(len(values), p=p / p.sum()))])
        return max(eighth, min(short, int(round(bars * bar / eighth)) * eighth))
    finals = data.get("final_bars_after_pickup", {})
    pool = finals.get(meter) or data.get("final_bars", {}).get(meter) or [0.5]
    bars = float(pool[int(rng.integers(len(pool)))])
    ticks = max(eighth, min(short, int(round(bars * bar / eighth)) * eighth))
    # a length from tunes with other upbeats: started on the pulse at or before where it would
    # have (a 4/4 tune's three-quarter final after a quarter upbeat, placed after an eighth
    # upbeat, began on the second eighth: 6 of 60 folk 4/4 tunes from nothing, real 11 of 286)
    pulse = _pulse(meter)
    start = short - ticks
    return short - (start // pulse) * pulse if start > 0 else ticks


#: the dotted-quarter beat of 6/8, 9/8 and 12/8, in ticks
COMPOUND_BEAT = 180


def beat_ticks(meter: str) -> int:
    """The beat a phrase-final note is measured in: a dotted quarter in 6/8, 9/8 and 12/8, else
    the time signature's note value."""
    num, den = (int(x) for x in meter.split("/"))
    if den == 8 and num % 3 == 0 and num > 3:
        return COMPOUND_BEAT
    return 480 // den


@functools.cache
def median_note_ticks(genre: str, meter: str | None = None) -> int:
    """The genre's median note length (ticks): the length a phrase end must exceed to breathe,
    as metrics.form.phrase_end_lengthening counts it (against the tune's own median). In
    ``meter``, the median of its real tunes' medians there (form.json "median_notes": Irish 2/4
    runs in sixteenths, its 6/8 in eighths; folk 4/4 in quarters); else, or for a meter the
    genre has too few tunes in, from its reference profile's note-length histogram (0 where
    there is none)."""
    from ..metrics.reference import profile
    from ..metrics.rhythm import NOTE_LENGTH_BINS
    from .ticks import to_ticks

    if meter is not None and has_layouts(genre):
        medians = _layouts(genre).get("median_notes", {})
        if meter in medians:
            return to_ticks(Fraction(medians[meter]).limit_denominator(96))
    try:
        hist = np.asarray(profile(genre).histograms["note_length"], dtype=float)
    except (LstmfuseError, KeyError):
        return 0
    k = int(np.searchsorted(np.cumsum(hist[: len(NOTE_LENGTH_BINS)]), 0.5 * hist.sum()))
    return to_ticks(NOTE_LENGTH_BINS[min(k, len(NOTE_LENGTH_BINS) - 1)])


@functools.cache  # asked on every step of a tune's last phrase
def penultimate_note_ticks(genre: str, meter: str) -> int:
    """How long the note before the last lasts in the genre's real tunes in ``meter`` (the median,
    form.json "penultimate_notes": a Palestrina line's is a whole note, twice its median note);
    the median note where the genre has too few tunes in the meter (``median_note_ticks``)."""
    from .ticks import to_ticks

    if has_layouts(genre):
        lengths = _layouts(genre).get("penultimate_notes", {})
        if meter in lengths:
            return to_ticks(Fraction(lengths[meter]).limit_denominator(96))
    return median_note_ticks(genre, meter)


def _short_note(meter: str) -> int:
    """The meter's short note: an eighth (a quarter in x/2 time)."""
    return beat_ticks(meter) // (3 if beat_ticks(meter) == COMPOUND_BEAT else 2)


def _pulse(meter: str) -> int:
    """The grid a phrase's last note starts on: the dotted-quarter beat of a compound meter,
    else the beat but no longer than a quarter (2/2: quarters, as reels place their cadences)."""
    beat = beat_ticks(meter)
    return beat if beat == COMPOUND_BEAT else min(beat, 120)


def _cadence_before_upbeat(end_last: float, bar: int, pickup: int, beat: int) -> int:
    """The least length of a phrase's last note when the phrase ends ``pickup`` before the
    barline (the next phrase's upbeat follows): the real cadence note's length (``end_last``,
    bars), started on the pulse (``beat``, :func:`_pulse`) at or before where the real one
    started, so that it never crosses a beat it did not cross (a folk 6/8 phrase: dotted
    quarter, quarter, then the eighth upbeat; the quarter is the cadence note). In a compound
    meter it starts no earlier than the last main beat before the upbeat: a held note across
    the dotted-quarter beat is rare in real tunes (folk 6/8: 7.5% of phrase-final bars)."""
    at = bar - pickup  # where the phrase ends inside its last bar
    length = int(round(min(end_last, 1.0) * bar))
    start = 0 if length >= at else ((at - length) // beat) * beat
    if beat == COMPOUND_BEAT:
        start = max(start, ((at - 1) // beat) * beat)
    return at - start


#: the shortest cadence note a planned breath follows (an eighth)
BREATH_NOTE = 60
_ONE_TOKEN = frozenset(DURATION_TICKS)


def _breath(entry: dict, end_ticks: int, bar: int, at: int, pulse: int) -> tuple[int, int]:
    """(end_ticks, end_rest) of a phrase whose real counterpart ended on a rest: its cadence
    note as long as the real phrase's (``end_last`` less ``end_rest``: from the note's onset to
    the phrase's end, less the rest; in bars), started on the ``pulse`` (:func:`_pulse`) at or
    before where the real one started, in the phrase's last bar (``at``: where the phrase ends
    in that bar, ticks), and a rest to the phrase's end (a folk 6/8 phrase: a quarter on the
    beat and a dotted-quarter rest before the eighth upbeat). Unchanged where the real phrase
    held its note to the end, or where the note or the rest is not one duration token (it
    would need a tie), or the note is shorter than ``BREATH_NOTE``. Held-out Essen phrases end
    on a rest in 0.27-0.52 of cases; ours never did (docs/form.md, "Phrases breathe")."""
    rest_bars, last_bars = entry.get("end_rest"), entry.get("end_last")
    if not rest_bars or not last_bars:
        return end_ticks, 0
    note = int(round((min(float(last_bars), 1.0) - float(rest_bars)) * bar))
    start = max(at - int(round(min(float(last_bars), 1.0) * bar)), 0) // pulse * pulse
    note = min(note, at - start)
    rest = at - start - note
    if note < BREATH_NOTE or rest <= 0 or note not in _ONE_TOKEN or rest not in _ONE_TOKEN:
        return end_ticks, 0
    return at - start, rest


def _on_beats(ticks: float, beat: int) -> int:
    """Round down to whole beats: a phrase's last note lasts a beat, two, a bar; never 2.42 beats."""
    return int(ticks // beat) * beat


def _steps(semitones: int) -> int:
    return int(round(semitones * 7 / 12))


def label_of(relations: list[tuple[str, int | None]]) -> str:
    """A readable layout name: AABA, ABAC, AA'BA'... (passage phrases are lower case)."""
    letters: list[str] = []
    next_letter = 0
    for rel, src in relations:
        if rel == "new" or src is None or src >= len(letters):
            letters.append(chr(ord("A") + next_letter % 26))
            next_letter += 1
        else:
            base = letters[src].rstrip("'")
            letters.append(base + ("'" if rel in ("varied", "transposed") else ""))
    return "".join(letters)


def parse_form(text: str | None) -> str:
    """'auto' (default), 'free', or an explicit layout such as AABB, ABAC, AA'BA'."""
    value = (text or "auto").strip()
    if value.lower() in ("auto", "free"):
        return value.lower()
    if not _EXPLICIT.match(value):
        raise UsageError(f"unknown form '{text}' (use auto, free, or a layout of capital letters like AABB, ABAC, AA'BA')", about="form")
    return value


def _explicit_phrases(form: str, n: int) -> list[dict]:
    letters = re.findall(r"[A-Z]'*", form)
    out: list[dict] = []
    first_of: dict[str, int] = {}
    for k in range(n):
        token = letters[k % len(letters)]
        base = token[0]
        if base in first_of:
            rel = "varied" if token.endswith("'") else "exact"
            out.append({"relation": rel, "source": first_of[base], "shift": 0, "cadence": "dominant", "end_bars": 0.5})
        else:
            first_of[base] = k
            out.append({"relation": "new", "source": None, "shift": 0, "cadence": "dominant", "end_bars": 0.5})
    return out


def choose_plan(
    form: str,
    genre: str,
    *,
    meter: str,
    budget_ticks: int,
    lead_ticks: int,
    bar_ticks: int,
    passage: PassageForm | None,
    end_on_stable: bool,
    rng: np.random.Generator,
    pickup_ticks: int = 0,
    passage_upbeat: int = 0,
) -> FormPlan:
    """A plan for ``budget_ticks`` of new material in ``genre``'s manner (see module doc).
    ``pickup_ticks``: a tune from nothing that begins with this upbeat (``lead_ticks`` equal to
    it); every phrase is four bars from upbeat to upbeat and closes before the next upbeat,
    and the last ends on the short bar where the budget ends there (else on a whole bar).
    ``passage_upbeat``: a continuation of a passage that began with this upbeat: its phrases
    too run from upbeat to upbeat (the passage's phrases are cut so, :class:`PassageForm`), a
    first phrase whose upbeat ends the passage copies without it, and the last ends on a
    whole bar, where the new material ends."""
    if form == "free" or (form == "auto" and not has_layouts(genre)):
        return free_plan(budget_ticks, end_on_stable)
    passage = passage or PassageForm()
    upbeat = pickup_ticks or passage_upbeat
    lengths = _phrase_ticks(budget_ticks, lead_ticks, bar_ticks, passage.bars_into_phrase, pickup=bool(pickup_ticks),
                            upbeat=0 if pickup_ticks else passage_upbeat)
    phrase = PHRASE_BARS * bar_ticks
    n_past = min(len(passage.phrases), PASSAGE_PHRASES)
    if form == "auto":
        entries, template = _draw_layout(genre, meter, n_past + len(lengths), rng)
    else:
        entries, template = _explicit_phrases(form, n_past + len(lengths)), f"explicit {form}"
    past_cadences = passage.cadences[-n_past:] if n_past else []
    # a tune with an upbeat that ends on the short bar completing it: its budget is whole bars
    ends_short = bool(pickup_ticks) and budget_ticks % bar_ticks == 0
    # the template's phrases in the passage's place: their register is the passage's own level
    past = [entries[k].get("register") for k in range(n_past)]
    past_register = 0.0 if not n_past else (float(np.mean(past)) if None not in past else None)
    segments: list[Segment] = []
    relations: list[tuple[str, int | None]] = [("new", None)] * n_past
    for k, ticks in enumerate(lengths):
        e = entries[n_past + k]
        rel, src = e["relation"], e["source"]
        last = k == len(lengths) - 1
        cadence = {"tonic": "tonic", "dominant": "dominant", "other": "other"}.get(e["cadence"], "open")
        # a phrase whose real last note was shorter than a beat ends on a short note (its pitch
        # still the cadence's), and no note of its last bar is longer than the real one was
        real_end = int(round(min(float(e["end_bars"]), 1.0) * bar_ticks))
        end_ticks = _on_beats(real_end, beat_ticks(meter))
        if upbeat and not (last and passage_upbeat):  # it ends where the next upbeat starts
            last_note = e.get("end_last")  # None: an explicit layout, or form.json before it
            end_ticks = _cadence_before_upbeat(float(e["end_bars"] if last_note is None else last_note), bar_ticks, upbeat, _pulse(meter))
        end_cap = 0
        # it did not hold a beat, or its longest note was no longer than its tune's median
        # (it did not breathe, as metrics.form.phrase_end_lengthening counts it): neither may
        # ours (a model that knows where the phrase ends would)
        if not end_ticks or e.get("breathes") is False:
            end_ticks = min(_short_note(meter), real_end) if real_end else _short_note(meter)
            end_cap = max(median_note_ticks(genre, meter), real_end)
        # a tune with an upbeat: its last phrase is short by it (else it ends on a whole bar)
        short_last = ends_short and last
        if last:
            if end_on_stable:  # the degrees the genre's real tunes end on, as often as they do
                cadence = _final_cadence(genre, form, rng)
            if end_on_stable and short_last:  # the short last bar of a tune with an upbeat
                end_ticks = _final_ticks_after_pickup(genre, meter, bar_ticks, pickup_ticks, rng)
                end_cap = 0
            elif end_on_stable:
                end_ticks = min(_final_ticks(genre, meter, bar_ticks, rng), _on_beats(ticks // 2, beat_ticks(meter))) or _short_note(meter)
                end_cap = 0  # the tune's last note is the genre's final, long or short
        # where the real phrase breathed (a rest after its cadence note), so does ours
        end_rest = 0
        if not last and not end_cap:
            end_ticks, end_rest = _breath(e, end_ticks, bar_ticks, bar_ticks - upbeat if upbeat else bar_ticks, _pulse(meter))
        source: int | None = None
        if short_last and rel in ("exact", "transposed"):  # it may repeat the start of a phrase only
            rel = "varied"
        # a continuation's first phrase, when the passage ends on its upbeat (on a barline that
        # ends a phrase of the barline grid): a copy leaves out the upbeat the passage played
        skip = passage_upbeat if k == 0 and passage_upbeat and not lead_ticks and not passage.bars_into_phrase else 0
        # a continuation's last phrase is longer by the upbeat (it ends on the barline): it may
        # repeat the start of a phrase only, as a last bar short by the upbeat may
        long_last = bool(passage_upbeat) and last and ticks + skip == phrase + passage_upbeat
        if long_last and rel in ("exact", "transposed"):
            rel = "varied"
        if rel != "new" and src is not None and (ticks + skip == phrase or short_last or long_last):
            if src < n_past:
                source = src - n_past  # -1 = the passage's last phrase
                src_cadence = past_cadences[src]
                if not passage.phrases[source]:  # not copyable (tied in, or off the grid)
                    source = None
            elif src - n_past < k and _whole_phrase(segments[src - n_past], phrase, passage):
                source = src - n_past
                src_cadence = segments[source].cadence
            else:
                source = None
            if source is not None and rel in ("exact", "transposed") and last and (
                    src_cadence != cadence or _copied_final_ticks(segments, source, passage) < end_ticks):
                # the tune must close: keep the phrase, write a new ending (also where the phrase
                # it repeats closed on a shorter note than the tune's final)
                rel = "varied"
            if source is not None and rel in ("exact", "transposed"):
                cadence, end_ticks, end_cap, end_rest = "copied", 0, 0, 0
        if source is None:
            rel = "new"
        relations.append((rel, None if source is None else source + n_past))
        register = e.get("register")
        # an offset from the passage's last phrases (the template's phrases in their place)
        register = None if register is None or past_register is None else register - past_register
        mid_at, mid_ticks, mid_cap, mid_rest = _mid_breath(e, rel, ticks + skip, phrase, skip, bar_ticks, upbeat, meter, genre)
        segments.append(Segment(ticks, rel, source, _steps(int(e.get("shift", 0))), cadence, end_ticks, end_cap, register, upbeat, skip,
                                mid_at, mid_ticks, mid_cap, end_rest, mid_rest))
    return FormPlan(tuple(segments), label_of(relations), template)


#: per genre, the bonus (nats) of :func:`with_template_feel`; a genre not named keeps its model's
#: own feel. Measured on tunes from nothing (60 a meter, seeds 0-59, 2026-12-02): the Irish model
#: wrote a dotted eighth and a sixteenth for 0.060 of its 4/4 events, and 20% of its 4/4 tunes
#: swung (more than 0.1), where real held-out Irish 4/4 tunes have 0.138 and 47% (hornpipes);
#: with 1.5 on the first phrase of a tune whose template swings: 0.144 and 42%, 2/2 0.045 ->
#: 0.080 (real 0.098). The Scottish model swings as its real tunes do (4/4 0.100, real 0.092):
#: a bonus made it swing more (0.178), so it has none. docs/form.md, "Hornpipes swing".
TEMPLATE_FEEL = {"irish": 1.5}
#: a template swings when more than this share of its events are dotted-eighth-sixteenth pairs
SWINGING_TEMPLATE = 0.1


@functools.lru_cache(maxsize=16)
def _dotted_shares(genre: str) -> dict[str, float]:
    return {t["id"]: float(t.get("dotted", 0.0)) for t in _layouts(genre)["layouts"]} if has_layouts(genre) else {}


def with_template_feel(plan: FormPlan, meter: str) -> FormPlan:
    """``plan`` with the swing of its template tune, for a tune from nothing: where the real
    tune its layout came from is a hornpipe (dotted eighths and sixteenths) and its genre's
    model under-writes that feel (``TEMPLATE_FEEL``), the first phrase favours a dotted eighth
    on each quarter-note beat, and the model, reading its own first phrase, keeps the swing.
    Compound meters (a jig's beat is three eighths) and other templates are left as they are."""
    genre = plan.template_genre
    bonus = TEMPLATE_FEEL.get(genre, 0.0)
    if not bonus or meter in ("6/8", "9/8", "12/8") or _dotted_shares(genre).get(plan.template, 0.0) <= SWINGING_TEMPLATE:
        return plan
    return replace(plan, feel=bonus)


#: a phrase plans a breath at the end of its first half only where the genre's real tunes
#: lengthen bar 2 of the 4-bar grid more than bars 1 and 3 on average by this much (form.json
#: 'lengthening_by_bar', training split, bars 1 / 2 / 3: Bach 0.24 / 0.51 / 0.27, folk 0.58 /
#: 0.74 / 0.57, Scottish 0.64 / 0.67 / 0.52, Irish 0.55 / 0.54 / 0.44 (+0.05); Palestrina
#: 0.807 / 0.802 / 0.796 (+0.0005): its bar 2 is no breath point at all)
MID_BREATH_MARGIN = 0.02


def breathes_midway(genre: str) -> bool:
    """Whether ``genre``'s real phrases breathe at the end of their first half more than inside
    it. Palestrina's do not (every bar holds a long note as often): planned there, the breath
    made a quarter of its 4/2 tunes move in whole notes (median note a whole: 25% of 80, real 6%),
    and against that median its phrase ends breathed less (bar 4 lengthened 0.57, 0.64 without;
    real 0.79). True for reference files without the field, as before."""
    by_bar = form_reference(genre).get("lengthening_by_bar") if has_layouts(genre) else None
    if not by_bar or None in by_bar[:3]:
        return True
    return by_bar[1] - (by_bar[0] + by_bar[2]) / 2 > MID_BREATH_MARGIN


def _mid_breath(entry: dict, relation: str, span: int, phrase: int, skip: int, bar: int, upbeat: int, meter: str,
                genre: str) -> tuple[int, int, int, int]:
    """(mid_at, mid_ticks, mid_cap, mid_rest) of a phrase: where its first half ends, and as the real
    phrase of the layout did there (``mid_breathes``, ``mid_last``), either the least length of
    the note ending there (on the pulse before the next upbeat, or on whole beats, as a phrase
    end's) or the cap on the bar before it (the genre's median note) where it did not breathe.
    Real chorales lengthen bar 2 of the 4-bar grid as often as bar 4 (0.52 and 0.49 of them);
    Irish tunes less (0.47 and 0.65). Where the real half ended on a rest (``mid_rest``), its
    note and the rest as :func:`_breath` plans a phrase end's. (0, 0, 0, 0): not planned (a
    whole copy repeats its source's; a phrase the passage began; a layout from before the field)."""
    breathes = entry.get("mid_breathes")
    if breathes is None or relation in ("exact", "transposed") or span < phrase or not breathes_midway(genre):
        return 0, 0, 0, 0
    length = float(entry.get("mid_last") or 0.0)
    at = phrase // 2 - skip
    if not breathes:
        # capped at the median note only where that is shorter than the beat (a reel's eighth):
        # a Palestrina phrase "not breathing" holds halves, its median and its beat, and the cap
        # took away the whole notes its real tunes hold there (bar 2 lengthened 0.56, real 0.82)
        median = median_note_ticks(genre, meter)
        if at <= bar or median >= beat_ticks(meter):
            return 0, 0, 0, 0
        return at, 0, max(median, int(round(min(length, 1.0) * bar))), 0
    if upbeat:
        ticks = _cadence_before_upbeat(length, bar, upbeat, _pulse(meter))
    else:  # the longest note of that bar with its breath, as a phrase end's end_bars
        ticks = _on_beats(int(round(min(float(entry.get("mid_bars") or length), 1.0) * bar)), beat_ticks(meter))
    ticks, rest = _breath({"end_last": entry.get("mid_last"), "end_rest": entry.get("mid_rest")}, ticks, bar,
                          bar - upbeat if upbeat else bar, _pulse(meter))
    return (at, ticks, 0, rest) if ticks and at > ticks else (0, 0, 0, 0)


def _whole_phrase(seg: Segment, phrase: int, passage: PassageForm) -> bool:
    """May a later phrase copy ``seg``? Only a whole phrase: with the upbeat the passage played
    for it (the engine writes that upbeat's tokens before it, engine._end_segment)."""
    return seg.ticks == phrase or (seg.skip > 0 and seg.ticks + seg.skip == phrase and bool(passage.upbeat_tokens))


# --- realising copies: token lists in the normalised key ---


def _copied_final_ticks(segments: list[Segment], source: int, passage: PassageForm) -> int:
    """How long, at least, the last note of the phrase a copy would repeat lasts: the cadence
    length planned for the phrase it comes from (through copies of copies), or the last note
    of a passage's phrase (0 where that phrase ends on a rest). A slip jig whose last phrase
    repeated its first, which closed on a G eighth before the next phrase's upbeat, ended on
    that eighth (tunes from nothing whose last phrase was such a copy: 0-3 of 80 a genre in
    its own meters, 4 of 60 Irish 9/8 tunes; docs/form.md, "A copied last phrase closes as a
    final does")."""
    while source >= 0 and segments[source].relation in ("exact", "transposed") and segments[source].source is not None:
        source = segments[source].source
    if source >= 0:
        return segments[source].end_ticks
    tokens = passage.phrases[source]
    events = _events(tokens)
    if not events or tokens[events[-1][0]] == V.REST:
        return 0
    return events[-1][2]


def _events(tokens: list[int]) -> list[tuple[int, int, int]]:
    """(start index, end index, ticks) of each event in a token list (pitch/rest, durations, ties)."""
    out: list[tuple[int, int, int]] = []
    start, ticks = None, 0
    for i, tok in enumerate(tokens):
        if V.is_pitch(tok):
            if start is not None:
                out.append((start, i, ticks))
            start, ticks = i, 0
        elif V.is_duration(tok):
            ticks += DURATION_TICKS[tok - V.DURATION_BASE]
    if start is not None:
        out.append((start, len(tokens), ticks))
    return out


def prefix(tokens: list[int], max_ticks: int) -> list[int]:
    """The whole events at the start of ``tokens`` that end by ``max_ticks``."""
    end, t = 0, 0
    for a, b, ticks in _events(tokens):
        if t + ticks > max_ticks:
            break
        t += ticks
        end = b
    return tokens[:end]


def transpose_tokens(tokens: list[int], steps: int, low: int, high: int) -> list[int]:
    """Move the pitches ``steps`` scale degrees along the white keys (the normalised key);
    unchanged if any pitch would leave ``low``..``high``."""
    if not steps:
        return list(tokens)
    out = []
    for tok in tokens:
        if not (V.is_pitch(tok) and tok != V.REST):
            out.append(tok)
            continue
        p = V.token_pitch(tok)
        black = p % 12 not in _WHITE
        base = p - 1 if black else p
        octave, idx = divmod(base, 12)
        degree = octave * 7 + _WHITE.index(idx) + steps
        q = (degree // 7) * 12 + _WHITE[degree % 7] + (1 if black else 0)
        if not low <= q <= high:
            return list(tokens)
        out.append(V.pitch_token(q))
    return out


def without_start(tokens: list[int], ticks: int) -> list[int]:
    """``tokens`` less their events in the first ``ticks``; empty where an event crosses that point."""
    t = 0
    for a, _b, length in _events(tokens):
        if t == ticks:
            return tokens[a:]
        if t > ticks:
            break
        t += length
    return []


def copy_tokens(seg: Segment, source_tokens: list[int], low: int, high: int) -> list[int]:
    """What a copying segment writes before it samples freely (all of it for an exact copy)."""
    moved = transpose_tokens(source_tokens, seg.steps if seg.relation != "exact" else 0, low, high)
    if seg.skip:  # the passage played the source's upbeat
        moved = without_start(moved, seg.skip)
    if seg.relation == "varied":  # the upbeat and the first half (of the source, or of the segment where that is longer)
        whole = max(sum(t for _, _, t in _events(moved)), seg.ticks) + seg.skip
        return prefix(moved, whole // 2 + seg.upbeat - seg.skip)
    return prefix(moved, seg.ticks)


def passage_form(events, bar: Fraction, grid_start: Fraction, n_bars: int, tonic: int, shift: int, upbeat: Fraction = Fraction(0)) -> PassageForm:
    """The passage's phrase position and its last complete phrases as tokens (see :class:`PassageForm`).
    ``grid_start``: where its first phrase starts (its upbeat, if it has one of ``upbeat`` quarters)."""
    from ..metrics.form import cadence_kind

    phrases: list[list[int]] = []
    cadences: list[str] = []
    span = PHRASE_BARS * bar
    end = max(e.end for e in events)
    full = int((end - grid_start) // span)  # phrases the passage completes (one ending on the short bar too)
    for i in range(max(0, full - PASSAGE_PHRASES), full):
        a = grid_start + i * span
        toks, last_pitch = _tokens_between(events, a, a + span, shift)
        phrases.append(toks)
        cadences.append(cadence_kind(last_pitch, tonic))
    ends_on_upbeat = bool(upbeat) and end - upbeat == grid_start + full * span
    upbeat_tokens = _tokens_between(events, end - upbeat, end, shift)[0] if ends_on_upbeat else []
    return PassageForm(n_bars % PHRASE_BARS, phrases, cadences, upbeat_tokens)


def _tokens_between(events, a: Fraction, b: Fraction, shift: int) -> tuple[list[int], int | None]:
    """The tokens (normalised key) of the events that fill [a, b) exactly, and the last pitch
    (unshifted) among them; no tokens where an event crosses a or b, or a length has no tokens."""
    from ..encoding.tokens import decompose

    inside = [e for e in events if a <= e.onset and e.end <= b]
    toks: list[int] = []
    ok = bool(inside) and inside[0].onset == a
    t = a
    last_pitch = None
    for e in inside:
        if e.onset != t:
            ok = False
            break
        parts = decompose(e.duration)
        if parts is None:
            ok = False
            break
        toks.append(V.REST if e.pitch is None else V.pitch_token(min(max(e.pitch + shift, V.PITCH_LOW), V.PITCH_HIGH)))
        for j, d in enumerate(parts):
            if j:
                toks.append(V.TIE)
            toks.append(V.duration_token(d))
        t = e.end
        if e.pitch is not None:
            last_pitch = e.pitch
    return (toks if ok and t == b else []), last_pitch


@functools.lru_cache(maxsize=256)
def cadence_pitch_classes(cadence: str, minor: bool, tonic: int | None = None) -> frozenset[int] | None:
    """Pitch classes (normalised key) a segment's last note may take; None = any.

    ``tonic``: the final of a modal tune (D in D dorian, normalised), named by its source, where
    it is neither the signature's major tonic (0) nor its minor one (9); None: 9 if ``minor``
    else 0. The genres' cadences and final degrees were measured from the named tonic
    (``metrics.form.tonic_pitch_class``), so they are drawn from it here too."""
    tonic = (9 if minor else 0) if tonic is None else tonic
    if cadence == "tonic":
        return frozenset({tonic})
    if cadence.startswith("degree"):
        # degrees were learnt mostly from major-mode tunes (irish 'degree9': a tune in D major
        # ending on B); one that leaves the key's notes in this mode (F# over A minor) is the tonic
        pc = (tonic + int(cadence[6:])) % 12
        return frozenset({pc if pc in MAJOR_SCALE else tonic})
    if cadence == "dominant":
        return frozenset((tonic + d) % 12 for d in (7, 11, 10, 2))
    if cadence == "stable":  # the triad on the tonic, of the key's notes (C E G; A C E; D F A)
        third = (tonic + 4) % 12 if (tonic + 4) % 12 in MAJOR_SCALE else (tonic + 3) % 12
        fifth = (tonic + 7) % 12 if (tonic + 7) % 12 in MAJOR_SCALE else (tonic + 6) % 12
        return frozenset({tonic, third, fifth})
    if cadence == "other":  # the key's notes that are neither (the 3rd, 4th and 6th)
        return frozenset(pc for pc in MAJOR_SCALE if pc != tonic and (pc - tonic) % 12 not in (7, 11, 10, 2))
    return None
