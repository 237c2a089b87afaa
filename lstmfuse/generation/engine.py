"""The generation loop: prime the models on a passage, then sample tokens under constraints.

Every caller (continue, fuse, the bridge, batch edits) comes through :func:`generate`.
Several models can speak at once: their next-token log-probabilities are mixed with
weights (a weighted geometric mean, renormalised: IDyOM's combination of viewpoint
models), optionally pulled towards "guide" material (the phase-1 melodies of a fusion).
The constraints make the result fit the score: exactly the requested length, whole
bars, in range, no leap beyond the limit, optionally diatonic, ending on a stable degree.

Time inside the loop is counted in integer ticks (see :mod:`.ticks`), not Fractions: the
loop runs once per token for every row, and exact integer arithmetic keeps it cheap.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..encoding import vocab as V
from ..encoding.events import NoteEvent, meter_bar_length
from ..encoding.structure import UNKNOWN, StructureTracker
from ..theory import MAJOR_SCALE
from ..encoding.tokens import decode
from . import beat_groups
from .form import APPROACH_SPAN, BREATH_NOTE, FormPlan, cadence_pitch_classes, copy_tokens, free_plan, hammers_final, median_note_ticks, penultimate_note_ticks
from .motifs import Motifs
from .options import SamplingOptions
from .sampler import sample
from .stack import LSTMStack
from .ticks import DURATION_TICKS, fillable, position_ids, to_ticks

_PITCH_TOKENS = np.arange(V.PITCH_BASE, V.DURATION_BASE)
_PITCH_MIDI = V.PITCH_LOW + _PITCH_TOKENS - V.PITCH_BASE
_DUR_TOKENS = np.arange(V.DURATION_BASE, V.VOCAB_SIZE)
_DUR_TICKS = np.asarray(DURATION_TICKS)
_COMPOUND = ("6/8", "9/8", "12/8")
REST_ROOM = 60  # ticks (an eighth): the least room under the rest cap in which a rest may start


@dataclass
class Context:
    """Where generation starts, in the normalised key (see encoding.tokens.normalising_shift)."""

    meter: str
    bar_pos: Fraction  # position in the bar where the new material begins
    budget: Fraction  # quarters to fill exactly
    minor: bool = False
    #: a modal tune's final (normalised pitch class) where its source names one that is neither
    #: 0 nor 9 (form.cadence_pitch_classes); None: the major or minor tonic
    tonic: int | None = None
    last_pitch: int | None = None  # normalised MIDI of the last note before the new material
    low: int = 55
    high: int = 84
    #: phrase plans (row b follows plans[b % len(plans)]); None = one free segment
    plans: list[FormPlan] | None = None
    #: the passage's last complete phrases as tokens, for plans that repeat them (-1 = last)
    passage_phrases: list[list[int]] = field(default_factory=list)
    #: the passage's closing upbeat as tokens, when the new material's first phrase begins with it
    passage_upbeat: list[int] = field(default_factory=list)
    #: the passage's rhythm cells and interval figures, favoured while sampling
    motifs: Motifs | None = None
    #: a tune from nothing in one genre: nats for the interval that completes one of its own
    #: earlier three-note figures (RowState.own_motifs, Motifs.own_pitch_bonus); 0: off
    own_figure_bonus: float = 0.0
    #: most rest (ticks) a melody may hold: the genres' 95th percentile of real rest shares
    rest_cap: int | None = None
    #: compound meter the genres never cross the main beat in: a note starting off the beat
    #: ends by the next one (no 3/4 rhythms across 6/8's dotted-quarter beats)
    strict_beats: bool = False
    #: per genre, in a compound meter: a note starting on a main beat ends within it or on a later
    #: beat (``form.holds_beats``); a blend's row follows its half-phrase's lead, else ``hold_beats``
    hold_beats_by_genre: dict[str, bool] = field(default_factory=dict)
    hold_beats: bool = False
    #: per genre, in a simple meter it never wrote: no note over the barline but whole bars from
    #: the downbeat (``form.keeps_barlines``); a blend's row follows its half-phrase's lead
    keeps_barlines_by_genre: dict[str, bool] = field(default_factory=dict)
    keeps_barlines: bool = False
    #: an additive meter's beat groups (``beat_groups``): where each starts in the bar, in ticks
    #: (7/8 as 3+2+2: 0, 180, 300); None in other meters
    beat_starts: tuple[int, ...] | None = None
    #: structure inputs (encoding.structure) after the priming tokens; each row reads on from a copy
    tracker: StructureTracker | None = None
    #: the level (normalised MIDI) phrase registers are offsets from: the passage's last
    #: phrases; None: each row's own first phrase sets it
    register_base: float | None = None
    #: where the tune's last note lies against that level (form.genre_final_offset); None: free
    final_offset: float | None = None
    #: nats per move onto the tune's last note, -APPROACH_SPAN..APPROACH_SPAN semitones
    #: (form.genre_approach: how the genres' real tunes come home); None: free
    approach: np.ndarray | None = None
    #: the genre whose real notes before the last set how near the end the approach begins
    #: (_approach_gap; in a blend, the last half-phrase's lead)
    approach_genre: str | None = None
    #: nats per move from the note two before the last onto the last (form.genre_approach2)
    approach2: np.ndarray | None = None
    #: where a tune from nothing's first note lies (normalised MIDI, _first_pull); None: the models' choice
    first_target: float | None = None


@dataclass
class Guide:
    """Material to lean towards: events (normalised, onsets from the start of the new
    material) with a strength in nats per matching token.

    Looked up once per token, so the events are laid out on the tick grid up front: the
    pitch token sounding at each tick, and the duration token of a note starting there.
    """

    events: list[NoteEvent]
    strength: float

    def __post_init__(self) -> None:
        end = to_ticks(self.events[-1].end) if self.events else 0
        self.pitch_at: list[int] = [-1] * end
        self.duration_at: list[int] = [-1] * end
        for e in self.events:
            a, b = to_ticks(e.onset), to_ticks(e.end)
            self.pitch_at[a:b] = [V.REST if e.pitch is None else V.pitch_token(e.pitch)] * (b - a)
            self.duration_at[a] = V.duration_token(e.duration) or -1


@dataclass(frozen=True)
class Lead:
    """From ``tick`` on (ticks from the start of the new material), a mixed row mixes the models
    with ``weights`` (one per model of the stack), the first model reads ``style_bias`` as its
    style input term (a fusion model's weight vector, projected), and each phase-1 guide pulls
    with its strength times ``guide_scale``, its durations ``rhythm_scale`` times as hard again;
    ``genre`` names the lead (for reports)."""

    tick: int
    weights: np.ndarray
    style_bias: np.ndarray | None = None
    guide_scale: tuple[float, ...] = ()
    genre: str = ""
    rhythm_scale: float = 1.0


@dataclass(slots=True)
class RowState:
    """One melody being written; times in ticks."""

    remaining: int
    elapsed: int = 0
    pos: int = 0  # ticks into the current bar
    #: the segment's last note lasts at least this long (``Segment.end_ticks``, in an additive
    #: meter begun on a group start: ``beat_groups.zone_from_group_start``)
    end_zone: int = 0
    #: the same where the phrase's first half ends (``Segment.mid_ticks``)
    mid_zone: int = 0
    expecting_pitch: bool = True  # else a duration
    last_pitch: int | None = None
    last_was_note: bool = False
    current_pitch: int | None = None
    tokens: list[int] = field(default_factory=list)
    done: bool = False
    plan: FormPlan | None = None
    seg: int = 0  # index of the plan segment being written
    seg_left: int = 0  # ticks left in it
    fresh: bool = True  # nothing written in this segment yet (no tie back across its start)
    forced: list[int] = field(default_factory=list)  # tokens a copying segment writes first
    forced_i: int = 0
    current: list[int] = field(default_factory=list)  # this segment's tokens so far
    written: list[list[int]] = field(default_factory=list)  # finished segments' tokens
    event_pos: int = 0  # bar position of the event being written
    first_duration: bool = False  # its next duration token is its first
    bar_events: list[tuple[int, int]] = field(default_factory=list)  # (position, duration) started this bar
    last_interval: int | None = None
    interval_before: int | None = None  # the interval before last_interval (motif figures)
    own_motifs: Motifs | None = None  # the figures of the row's finished phrases (Context.own_figure_bonus)
    rest_ticks: int = 0  # rest written so far, counting the repeats the plan will make of it
    rest_weight: int = 1  # 1 + how often the plan repeats the current segment later
    event_ticks: int = 0  # the length of the event being written so far, ties included
    leads: list[Lead] = field(default_factory=list)  # the row's lead schedule (blending fusion)
    lead_i: int = -1
    guide_scale: tuple[float, ...] = ()
    rhythm_scale: float = 1.0  # the lead's duration pull over its pitch pull
    tracker: StructureTracker | None = None
    seg_pitch_sum: float = 0.0  # the current segment's notes so far (its register)
    seg_pitch_n: int = 0
    register_base: float | None = None  # the level phrase registers are offsets from
    guide_shift_lead: int = -1  # the lead the guide shifts below were chosen for
    guide_shift: tuple[int, ...] = ()  # semitones each guide's pitches move in this unit


def prime(
    stack: LSTMStack, tokens: np.ndarray, positions: np.ndarray, meters: np.ndarray,
    structure: np.ndarray | None = None, tracker: StructureTracker | None = None, *, batch: int,
):
    """Run every model over the priming tokens (batch 1) and copy the state to ``batch`` rows.
    ``structure``: the tokens' structure inputs; ``tracker`` (what read them) is not needed here:
    it travels in the Context, so a priming tuple can be passed whole."""
    logits, state = stack.run_sequence(tokens, positions, meters, structure)
    tile = lambda a: np.repeat(a, batch, axis=1)  # noqa: E731
    hs, cs = state
    return tile(logits), ([tile(h) for h in hs], [tile(c) for c in cs])


#: the widest leap (semitones) onto a cadence note where a nearer one is allowed: a fourth (a
#: fifth before commit 2512269; with the closing pull, docs/form.md "Coming home by step")
CADENCE_LEAP = 5

#: the phrase register pull: at most this many nats per REGISTER_SCALE semitones a pitch moves
#: towards the phrase's target from the phrase's mean so far (see _register_pull)
REGISTER_PULL = 1.0
REGISTER_SCALE = 4.0
#: notes of a phrase written before the pull starts: pulling its first note made a leap at
#: every phrase start (a continuation's first note 7.8 semitones from the passage's last on
#: average, against 5.5 without the pull)
REGISTER_AFTER = 2


def _register_pull(scores: np.ndarray, row: RowState, target: float) -> None:
    """Tilt the pitch choice towards the phrase's register: where the phrase so far lies below
    its target (a tune's second strain lies higher than its first), pitches above the current
    level gain and those below lose, in proportion to the gap (capped at REGISTER_SCALE)."""
    if row.seg_pitch_n < REGISTER_AFTER:  # the phrase's first notes follow on from the last
        return
    level = row.seg_pitch_sum / row.seg_pitch_n
    gap = max(-1.0, min(1.0, (target - level) / REGISTER_SCALE))
    scores[_PITCH_TOKENS] += REGISTER_PULL * gap * (_PITCH_MIDI - level) / REGISTER_SCALE


#: nats the first note of a tune from nothing loses per REGISTER_SCALE semitones from where the
#: genre's real tunes begin (see _first_pull)
FIRST_PULL = 1.0
#: nats more it loses off its key's scale (the normalised key's white keys): 98-100% of real
#: tunes begin on a note of their signature's scale (training splits, folk 0.984 to Irish 1.0)
FIRST_OFF_KEY = 4.0
_OFF_KEY = ~np.isin(_PITCH_MIDI % 12, list(MAJOR_SCALE))


def _first_pull(scores: np.ndarray, target: float) -> None:
    """The first note of a tune from nothing (its upbeat's, if it has one) lies near ``target``:
    the tune's drawn level plus where the genre's real tunes begin against their mean
    (form.json 'first_offset': folk -3.8, Irish -3.1, Scottish -2.1, Bach -1.6, Palestrina
    -0.7). The register pull waits for a phrase's first notes (``REGISTER_AFTER``), and the
    models, which learnt their first notes in the normalised key, began a tune in C (where real
    folk songs lie low) around C5-E5 and slid down to its level over 16 bars; docs/form.md,
    "The first note". Pulled towards a pitch by distance alone, the first note fell off the key
    more often where a tune begins on the downbeat (folk in C without an upbeat, 40 tunes: 13
    with accidentals against 8 without the pull; after bars of rest, a tune in C drifted into C
    minor from a first E-flat), so notes off the key's scale lose ``FIRST_OFF_KEY`` more."""
    scores[_PITCH_TOKENS] -= FIRST_PULL * np.abs(_PITCH_MIDI - target) / REGISTER_SCALE
    if FIRST_PULL:
        scores[_PITCH_TOKENS[_OFF_KEY]] -= FIRST_OFF_KEY


#: nats a pitch in the tune's last bar loses per REGISTER_SCALE semitones above where real tunes
#: of the genre end (see _closing_pull)
CLOSING_PULL = 1.0
#: the closing pull covers the tune's last bar, or its last CLOSING_QUARTERS quarters where a bar
#: is shorter: in 2/4 a last bar holding only the final note left the approach free, and `make
#: demo` leapt d''-g'' onto its last note where the composer's strains close g'-g'-g'. 4 (commit
#: c770b01) also stretched a 6/8 bar, and Irish tunes ended a semitone lower than real ones
CLOSING_QUARTERS = 3
#: nats a pitch of the closing window loses when no note the tune may end on (the final
#: cadence's pitch classes, in range) lies within CADENCE_LEAP of it: Bach tunes in A minor,
#: whose range (C4-G5) holds one A, climbed to F5 and leapt a sixth down onto it (0.10-0.13 of
#: 60 tunes leapt a fifth or more onto the last note, real chorales 0.00; now 0.02-0.03)
REACH_PENALTY = 4.0


def _closing_pull(scores: np.ndarray, target: float, targets: frozenset | None = None, low: int = 0, high: int = 127) -> None:
    """In the tune's last bar (CLOSING_QUARTERS at least), pitches above where real tunes of the
    genre end (the tune's level plus the genre's final offset) lose in proportion to how far
    above it they lie; pitches at or below it lose nothing. The line settles down over the bar
    and reaches its last note by step or a small leap (``CADENCE_LEAP``); a pitch from which no
    note of ``targets`` (the final cadence's pitch classes) in [low, high] is in reach so loses
    ``REACH_PENALTY`` more.

    Before commit 2512269 the last half bar tilted every pitch by the gap between the phrase's
    mean and the target (``_register_pull``): the lower a pitch the better, so in the genres'
    default keys the line jumped down for the low tonic at the last moment. Leaps of a fifth or
    more onto the last note, 60 tunes a genre in its default key (real held-out tunes): Irish
    0.12 -> 0.00 (0.03), Scottish 0.17 -> 0.02 (0.07), folk 0.07 -> 0.02 (0.02); the last note
    against the tune's mean -2.7 -> -3.1 (-3.0), -4.5 -> -3.9 (-3.8), -2.0 -> -1.8 (-2.5);
    docs/form.md, "Coming home by step"."""
    scores[_PITCH_TOKENS] -= CLOSING_PULL * np.maximum(0.0, _PITCH_MIDI - target) / REGISTER_SCALE
    if targets and REACH_PENALTY:
        scores[_PITCH_TOKENS] -= REACH_PENALTY * ~_reaches(targets, low, high)


def _approach_bonus(scores: np.ndarray, approach: np.ndarray, last_pitch: int | None, targets: frozenset | None,
                    low: int, high: int, final: bool) -> None:
    """The tune's last note, and the note before it, come home as the genre's real tunes do:
    the last note gains ``approach`` of the move onto it from ``last_pitch``; the note before it
    gains the best of ``approach`` over the moves from it onto a note of ``targets`` in [low,
    high], so that it stands where the last note can be reached as the genre reaches it. Without it, Bach tunes from nothing leapt a fourth onto their last note in 0.38
    of tunes (real chorales 0.00) and stepped onto it in 0.33 (0.90); now 0.02 and 0.57
    (docs/form.md, "The note before the last")."""
    if final:
        if last_pitch is not None:
            scores[_PITCH_TOKENS] += approach[np.clip(_PITCH_MIDI - last_pitch, -APPROACH_SPAN, APPROACH_SPAN) + APPROACH_SPAN]
        return
    if targets:
        scores[_PITCH_TOKENS] += _homeward(approach.tobytes(), targets, low, high)


def _approach_lengths(scores: np.ndarray, approach: np.ndarray, pitch: int, targets: frozenset, low: int, high: int, gap: int) -> None:
    """A note that began too early to be taken for the one before the last (``gap`` ticks before
    the last note's place) would still be it if it lasted that long: those lengths lose what its
    pitch lacks of the best way home (``_homeward``), so a note far from home does not stretch up
    to the last note."""
    home = _homeward(approach.tobytes(), targets, low, high)
    short = float(home[pitch - V.PITCH_LOW] - home.max())
    if short < 0:
        scores[_DUR_TOKENS[_DUR_TICKS >= gap]] += short


def _approach_gap(row: RowState, ctx: Context, beat: int) -> int:
    """How long before the last note's place a note is taken to be the one before it: as long as
    the genre's real notes before the last last (the last half-phrase's lead in a blend), else a
    beat. A beat took every eighth of a jig's last beat for it, and Irish tunes ended on a
    re-struck tonic in 0.87 of them (real 0.46); the median note missed Palestrina's, a whole
    note, and its lines leapt a fourth onto the last note in 0.15-0.17 of them (real 0.00)."""
    genre = _closing_genre(row, ctx)
    return (penultimate_note_ticks(genre, ctx.meter) if genre else 0) or beat


def _closing_genre(row: RowState, ctx: Context) -> str | None:
    """The genre whose real tunes the row's close follows: the leading genre in a blend (the
    last half-phrase's lead, once the close is reached), else the heaviest; None with --form free."""
    return row.leads[row.lead_i].genre if row.leads and row.lead_i >= 0 else ctx.approach_genre


#: a tune's last note after three strikes of its pitch is held, not struck a fourth time, where
#: the closing genre's real tunes seldom close so (``_holds_fourth_strike``)
HOLD_FOURTH_STRIKE = True


def _holds_fourth_strike(row: RowState, ctx: Context) -> bool:
    """In the tune's last note's zone, after three strikes of one pitch: is the note held rather
    than struck a fourth time? Yes where the closing genre's real tunes in the meter seldom close
    on four strikes (``form.hammers_final``). The zone may hold several notes, each drawn among
    the final's pitches, and the models filled a reel's last bar with them: Irish tunes from
    nothing (G, 200 a meter) closed on four or more strikes 0.115 of the time in 2/2, 0.065 in
    4/4 and 0.075 in 6/8, where real ones do 0.047, 0.023 and 0.007 (training split). Held, the
    same tunes close so 0.04, 0.02 and 0.05, and on three strikes as often as before (the
    re-struck close of a third of real jigs). A penalty on the note before the last, tried with
    it (3 nats), took more (0.0-0.03) but took three-strike closes away too (Irish 2/4 0.17 ->
    0.125, real 0.23). docs/form.md, "A run of the final"; docs/final_runs.json."""
    if not HOLD_FOURTH_STRIKE or row.seg != len(row.plan.segments) - 1 or row.last_interval != 0 or row.interval_before != 0:
        return False
    genre = _closing_genre(row, ctx)
    return genre is not None and not hammers_final(genre, ctx.meter)


@functools.lru_cache(maxsize=256)
def _homeward(approach: bytes, targets: frozenset, low: int, high: int) -> np.ndarray:
    """Per pitch, the best approach bonus over the moves from it onto a target in range."""
    table = np.frombuffer(approach, dtype=np.float64)
    ends = np.array([p for p in range(low, high + 1) if p % 12 in targets] or [low])
    moves = np.clip(ends[None, :] - _PITCH_MIDI[:, None], -APPROACH_SPAN, APPROACH_SPAN) + APPROACH_SPAN
    out = table[moves].max(axis=1)
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=256)
def _reaches(targets: frozenset, low: int, high: int) -> np.ndarray:
    """Which pitches lie within CADENCE_LEAP of a note of ``targets`` in [low, high]."""
    ends = [p for p in range(low, high + 1) if p % 12 in targets]
    out = np.array([any(abs(p - q) <= CADENCE_LEAP for q in ends) for p in _PITCH_MIDI])
    out.flags.writeable = False
    return out


def _start_segment(row: RowState, ctx: Context) -> None:
    """Enter the row's next plan segment: its length, and what it copies (if anything)."""
    seg = row.plan.segments[row.seg]
    row.seg_left = seg.ticks
    row.end_zone, row.mid_zone = seg.end_ticks, seg.mid_ticks
    if ctx.beat_starts is not None:  # the notes that end the phrase and its first half start on a group
        bar = to_ticks(meter_bar_length(ctx.meter))
        if seg.end_ticks:
            row.end_zone = beat_groups.zone_from_group_start(row.pos + seg.ticks, seg.end_ticks, bar, ctx.beat_starts, seg.ticks)
        if seg.mid_at and seg.mid_ticks:
            row.mid_zone = beat_groups.zone_from_group_start(row.pos + seg.mid_at, seg.mid_ticks, bar, ctx.beat_starts, seg.mid_at, one_token=True)
    row.seg_pitch_sum, row.seg_pitch_n = 0.0, 0
    # rests written here come back wherever a later phrase copies this one (the copy is
    # forced, so it is not checked again): count them that many times against the cap
    row.rest_weight = _copies(row.plan)[row.seg]
    row.fresh = True
    row.forced_i = 0
    row.forced = []
    if seg.source is not None:
        if seg.source >= 0:
            src = row.written[seg.source] if seg.source < len(row.written) else []
        else:
            src = ctx.passage_phrases[seg.source] if -seg.source <= len(ctx.passage_phrases) else []
        if src:
            row.forced = copy_tokens(seg, src, ctx.low, ctx.high)


@functools.lru_cache(maxsize=256)
def _copies(plan: FormPlan) -> tuple[int, ...]:
    """How many times each segment's own material sounds: itself plus every later segment that
    copies it, directly or through a copy of a copy."""
    n = len(plan.segments)
    times = [1] * n
    for j in range(n - 1, -1, -1):
        src = plan.segments[j].source
        if src is not None and 0 <= src < j:
            times[src] += times[j]
    return tuple(times)


def _end_segment(row: RowState, ctx: Context) -> None:
    seg = row.plan.segments[row.seg]
    # a phrase whose upbeat ends the passage is copied with it (form._whole_phrase)
    row.written.append(ctx.passage_upbeat + row.current if seg.skip else row.current)
    row.current = []
    if ctx.own_figure_bonus:  # every phrase so far: the first alone restated less (docs/form.md)
        row.own_motifs = Motifs.own_figures([V.token_pitch(t) for s in row.written for t in s if V.PITCH_BASE <= t < V.DURATION_BASE])
    if row.register_base is None and seg.register is not None and row.seg_pitch_n:
        # no passage: the first phrase's own level anchors the registers of the rest
        row.register_base = row.seg_pitch_sum / row.seg_pitch_n - seg.register
    if row.seg + 1 < len(row.plan.segments):
        row.seg += 1
        _start_segment(row, ctx)


@functools.lru_cache(maxsize=256)
def _only(token: int) -> np.ndarray:
    allowed = np.zeros(V.VOCAB_SIZE, bool)
    allowed[token] = True
    allowed.flags.writeable = False
    return allowed


def _pitch_mask(
    row: RowState, ctx: Context, opts: SamplingOptions, final: bool, targets: frozenset[int] | None, beat: int, bar: int,
    zone: int = 0,
) -> np.ndarray:
    on_target = row.current_pitch is not None and (targets is None or row.current_pitch % 12 in targets)
    # a rest only where the cap leaves room for an eighth: a rest's duration may have to be longer
    # than the room to keep the phrase fillable, so a smaller room would let the cap be passed
    rests = opts.rest_density > 0 and (ctx.rest_cap is None or ctx.rest_cap - row.rest_ticks >= REST_ROOM * row.rest_weight)
    if row.last_pitch is None and row.leads:
        # a blend from nothing begins with a note: 22-32% of Palestrina's fusions began with
        # silence (15-25% with a bar or more), its parts' wait for their imitative entry (real
        # Palestrina parts: 55%), which no other genre's tunes do (0-4%). A pure Palestrina tune
        # keeps it: kept from resting first, it rested less inside too (rest share 0.16 -> 0.08,
        # real 0.15) and breathed less at its phrase ends (0.63 -> 0.57, real 0.78)
        rests = False
    if rests and targets is not None and row.remaining <= bar + zone and row.seg == len(row.plan.segments) - 1:
        # the tune's closing bar leads into its last note without a break: real tunes never
        # rest there (a rest right before the last note: folk 0 of 400 held-out tunes; generated
        # 0.10 before this rule), and a final struck after a rest hangs
        rests = False
    if final:
        # the zone holds notes only, but where the plan breathes (``Segment.end_rest``) the
        # cadence note stopped short of the phrase's end and a rest fills the rest of it
        if rests and on_target and row.last_was_note and 0 < row.seg_left <= _end_breath(row, ctx, opts):
            return _only(V.REST)
        rests = False
    elif rests and row.last_was_note and 0 < _to_mid(row) <= _mid_breath(row, ctx, opts):
        return _only(V.REST)  # the first half's note stopped short of its end (``Segment.mid_rest``)
    off_beat = ctx.strict_beats and row.event_pos % beat != 0
    # no note held past a bar by ties, except into a phrase's end (a cadence may ring on)
    tie = bool(row.tokens) and not row.fresh and not off_beat and (
        (row.last_was_note and row.event_ticks < bar and not (final and row.current_pitch is not None and not on_target))
        or (final and on_target)
    )
    if tie and on_target and 0 < row.seg_left < zone <= row.event_ticks + row.seg_left:
        # the phrase's last note began at or before its zone and must last through it: a length
        # with no token of its own (5 eighths) is held by a tie, not struck again
        return _only(V.TIE)
    if final and tie and on_target and _holds_fourth_strike(row, ctx):
        return _only(V.TIE)
    return _pitch_mask_for(
        ctx.low, ctx.high, opts.stay_in_key, opts.max_leap, row.last_pitch, final, targets, rests, tie
    )


@functools.lru_cache(maxsize=8192)
def _pitch_mask_for(
    low: int, high: int, stay_in_key: bool, max_leap: int | None, last_pitch: int | None, final: bool,
    targets: frozenset[int] | None, rests: bool, tie: bool,
) -> np.ndarray:
    """Allowed pitch-step tokens for one situation (cached: situations repeat constantly)."""
    allowed = np.zeros(V.VOCAB_SIZE, bool)
    in_range = (_PITCH_MIDI >= low) & (_PITCH_MIDI <= high)
    ok = in_range.copy()
    if stay_in_key:
        ok &= np.isin(_PITCH_MIDI % 12, list(MAJOR_SCALE))  # the normalised key's white keys
    if max_leap is not None and last_pitch is not None:
        near = np.abs(_PITCH_MIDI - last_pitch) <= max_leap
        if (ok & near).any():
            ok &= near
    if final and targets is not None:
        stable = np.isin(_PITCH_MIDI % 12, list(targets))
        if (ok & stable).any():
            ok &= stable
        # a cadence note is reached by a step or a leap of at most a fifth where one is in
        # reach: real tunes leap further onto their last note in 0-7% of endings
        if last_pitch is not None:
            near = np.abs(_PITCH_MIDI - last_pitch) <= CADENCE_LEAP
            if (ok & near).any():
                ok &= near
    allowed[_PITCH_TOKENS[ok]] = True
    if not allowed.any():  # the range and the leap cannot both hold: keep the range
        allowed[_PITCH_TOKENS[in_range]] = True
    if rests:
        allowed[V.REST] = True
    if tie:
        allowed[V.TIE] = True  # extend the note just written
    allowed.flags.writeable = False  # shared by the cache
    return allowed


def _planned_rest(row: RowState, ctx: Context, opts: SamplingOptions, rest: int) -> int:
    """``rest`` (ticks), a breath the plan's real phrase took (``Segment.end_rest`` after the
    cadence note, ``mid_rest`` where the first half ends); 0 with rests turned off or where the
    genres' rest cap has no room for it. A sung phrase breathes before the next: the last event
    of a 4-bar phrase is a rest in 0.27-0.52 of held-out Essen phrases, and 0.10-0.27 of first
    halves; Irish 0.04-0.10 (docs/form.md, "Phrases breathe")."""
    if not rest or opts.rest_density <= 0:
        return 0
    if ctx.rest_cap is not None and ctx.rest_cap - row.rest_ticks < rest * row.rest_weight:
        return 0
    return rest


def _end_breath(row: RowState, ctx: Context, opts: SamplingOptions) -> int:
    """The rest that ends this phrase after its cadence note; none in the tune's last phrase
    (its final rings)."""
    last = row.seg >= len(row.plan.segments) - 1
    return 0 if last else _planned_rest(row, ctx, opts, row.plan.segments[row.seg].end_rest)


def _mid_breath(row: RowState, ctx: Context, opts: SamplingOptions) -> int:
    """The rest that ends the phrase's first half."""
    return _planned_rest(row, ctx, opts, row.plan.segments[row.seg].mid_rest)


def _to_mid(row: RowState) -> int:
    """Ticks from here to where the phrase's first half ends (0: past it, or not planned)."""
    seg = row.plan.segments[row.seg]
    return max(seg.mid_at - (seg.ticks - row.seg_left), 0) if seg.mid_at else 0


def _duration_mask(
    row: RowState, ctx: Context, opts: SamplingOptions, final: bool, targets: frozenset[int] | None, zone: int, beat: int, bar: int
) -> np.ndarray:
    may_end = targets is None or (row.current_pitch is not None and row.current_pitch % 12 in targets)
    in_beat = _tuplet_in_its_beat(beat, row.event_pos, row.event_ticks)
    rest = _mid_breath(row, ctx, opts)
    to_mid = _to_mid(row)
    if rest and 0 < to_mid <= row.mid_zone and row.first_duration:
        # inside the first half's breath zone: a note stops ``rest`` before its end, and the rest
        # after it lasts to the end (where one token writes each, and no tuplet leaves its beat)
        length = to_mid - rest if row.current_pitch is not None else to_mid
        if (row.current_pitch is None or length >= BREATH_NOTE) and length in DURATION_TICKS and length <= row.seg_left \
                and in_beat[V.DURATION_BASE + DURATION_TICKS.index(length)]:
            return _only(V.DURATION_BASE + DURATION_TICKS.index(length))
    breath = 0
    if final and targets is not None and row.current_pitch is None and row.last_pitch is not None and row.last_pitch % 12 in targets:
        may_end = True  # the breath after the cadence note (``_pitch_mask``) ends the phrase
    elif final and may_end and row.current_pitch is not None:
        breath = _end_breath(row, ctx, opts)  # the cadence note stops this far before the end
        short = row.seg_left - breath
        if breath and short in DURATION_TICKS and not in_beat[V.DURATION_BASE + DURATION_TICKS.index(short)]:
            breath = 0  # a note ending a triplet's third into a beat it began before: no breath
    longest = 0  # 0: no limit
    cap = row.plan.segments[row.seg].end_cap
    if cap and row.leads and row.lead_i >= 0:
        # in a blend the half-phrase's lead decides what "not breathing" allows: a Scottish
        # template's eighth is no cap for a Palestrina-led half-phrase (its median note is a half)
        cap = max(cap, median_note_ticks(row.leads[row.lead_i].genre, ctx.meter))
    if cap and row.seg_left <= bar:  # the phrase's last bar, where the real phrase did not breathe
        longest = cap
    if row.current_pitch is not None and not final:  # no note longer than a bar inside a phrase
        room = max(bar - row.event_ticks, DURATION_TICKS[0])
        longest = min(longest, room) if longest else room
    if ctx.strict_beats and row.event_pos % beat:  # off the beat: end by the next one
        to_beat = (row.event_pos // beat + 1) * beat - row.pos
        longest = min(longest, to_beat) if longest else to_beat
    if row.current_pitch is None and ctx.rest_cap is not None:
        room = max((ctx.rest_cap - row.rest_ticks) // row.rest_weight, DURATION_TICKS[0])
        longest = min(longest, room) if longest else room
    seg = row.plan.segments[row.seg]
    to_mid = seg.mid_at - (seg.ticks - row.seg_left) if seg.mid_at else 0  # ticks to the first half's end
    if seg.mid_cap and 0 < to_mid <= bar:  # the bar before it, where the real phrase did not breathe
        mid_cap = max(seg.mid_cap, median_note_ticks(row.leads[row.lead_i].genre, ctx.meter)) if row.leads and row.lead_i >= 0 else seg.mid_cap
        longest = min(longest, mid_cap) if longest else mid_cap
    allowed = _duration_mask_for(row.seg_left, final and row.current_pitch is not None, may_end, zone, longest,
                                 max(to_mid, 0), row.mid_zone if to_mid > 0 else 0, breath)
    if row.current_pitch is not None and ctx.meter in _COMPOUND and row.event_pos % beat == 0 and _holds_beats(row, ctx):
        # a note from a main beat ends within it or on a later beat: no 3/4 rhythm across 6/8
        lengths = row.event_ticks + _DUR_TICKS
        keep = allowed.copy()
        keep[_DUR_TOKENS[(lengths > beat) & (lengths % beat != 0)]] = False
        if keep.any():
            allowed = keep
    if row.current_pitch is not None and ctx.beat_starts is None and _keeps_barlines(row, ctx):
        keep = allowed & _in_bar(bar, row.event_pos, row.event_ticks)
        if keep.any():
            allowed = keep
    if row.current_pitch is not None and ctx.beat_starts is not None:
        # an additive meter's groups (7/8 as 3+2+2): no note runs out of its group but onto a
        # later group's start, and none over the barline but a whole bar's
        keep = allowed & _in_groups(ctx.beat_starts, bar, row.event_pos, row.event_ticks)
        if keep.any():
            allowed = keep
    keep = allowed & in_beat
    if keep.any():
        allowed = keep
    return allowed


#: a 32nd note in ticks: an event that starts and ends on this grid needs no tuplet to be written
_PLAIN_TICKS = to_ticks(Fraction(1, 8))


@functools.lru_cache(maxsize=4096)
def _tuplet_in_its_beat(beat: int, pos: int, held: int) -> np.ndarray:
    """The duration tokens an event (a note or a rest) that began at ``pos`` (ticks into its
    bar) and has lasted ``held`` ticks may add: if it starts or ends off the 32nd-note grid (a
    triplet's or quintuplet's note), it ends within the beat it began in. Real tunes keep their
    tuplets inside a beat (of 11,967 such events in the Irish and Scottish training splits, 11
    cross one; folk and Bach have almost none); a continuation of the Moonlight Sonata's triplets
    wrote quarter notes a triplet eighth after the beat, which music21 could only write as
    tuplets of 24 and 12 (docs/form.md, "Tuplets stay inside a beat")."""
    ends = pos + held + _DUR_TICKS
    tuplet = (pos % _PLAIN_TICKS != 0) | (ends % _PLAIN_TICKS != 0)
    ok = ~tuplet | (ends <= (pos // beat + 1) * beat)
    mask = np.zeros(V.VOCAB_SIZE, bool)
    mask[_DUR_TOKENS[ok]] = True
    mask.flags.writeable = False
    return mask


@functools.lru_cache(maxsize=4096)
def _in_groups(starts: tuple[int, ...], bar: int, pos: int, held: int) -> np.ndarray:
    """The duration tokens a note that began at ``pos`` (ticks into its bar) and has lasted
    ``held`` ticks so far (ties) may add, in a bar grouped at ``starts`` (``Context.beat_starts``):
    it ends within its own group, or on a later group's start in its bar, or, begun on the
    downbeat, on a later barline."""
    ends = pos + held + _DUR_TICKS
    group_end = min([s for s in starts if s > pos] + [bar])
    ok = ends <= group_end
    if pos in starts:
        ok |= np.isin(ends, starts) | (ends == bar)
        if pos == 0:
            ok |= ends % bar == 0
    mask = np.zeros(V.VOCAB_SIZE, bool)
    mask[_DUR_TOKENS[ok]] = True
    mask.flags.writeable = False
    return mask


@functools.lru_cache(maxsize=4096)
def _in_bar(bar: int, pos: int, held: int) -> np.ndarray:
    """The duration tokens a note begun at ``pos`` that has lasted ``held`` ticks may add
    without sounding over the barline (begun on the downbeat, it may last whole bars)."""
    ends = pos + held + _DUR_TICKS
    ok = (ends <= bar) | ((pos == 0) & (ends % bar == 0))
    mask = np.zeros(V.VOCAB_SIZE, bool)
    mask[_DUR_TOKENS[ok]] = True
    mask.flags.writeable = False
    return mask


def _keeps_barlines(row: RowState, ctx: Context) -> bool:
    if row.leads and row.lead_i >= 0:
        return ctx.keeps_barlines_by_genre.get(row.leads[row.lead_i].genre, ctx.keeps_barlines)
    return ctx.keeps_barlines


def _holds_beats(row: RowState, ctx: Context) -> bool:
    if row.leads and row.lead_i >= 0:
        return ctx.hold_beats_by_genre.get(row.leads[row.lead_i].genre, ctx.hold_beats)
    return ctx.hold_beats


@functools.lru_cache(maxsize=8192)
def _duration_mask_for(remaining: int, final_note: bool, may_end: bool = True, zone: int = 0, longest: int = 0,
                       to_mid: int = 0, mid_zone: int = 0, breath: int = 0) -> np.ndarray:
    """Durations that fit the ticks left and leave a remainder the vocabulary can fill;
    the phrase may end (fill the time exactly) only on a note allowed to end it. With a
    ``zone``, no event may end inside the last ``zone`` ticks, so the phrase's last note,
    which starts at or before the zone, lasts at least that long. ``longest`` (ticks, 0 = any)
    caps the duration where that leaves a choice (a beat or rest limit, never the bar's fill).
    ``mid_zone``: the same breath where the phrase's first half ends, ``to_mid`` ticks ahead,
    where that leaves a choice. ``breath`` (ticks): the last note stops this long before the
    end, for a rest (where that leaves it ``BREATH_NOTE`` or longer and one token writes it)."""
    allowed = np.zeros(V.VOCAB_SIZE, bool)
    exact = None
    for tok, d in zip(_DUR_TOKENS.tolist(), DURATION_TICKS):
        if d > remaining:
            continue
        left = remaining - d
        if left == 0:
            exact = tok
        if left == 0 or fillable(left):
            allowed[tok] = True
    short = remaining - breath
    if final_note and may_end and breath and short >= BREATH_NOTE and short in DURATION_TICKS and breath in DURATION_TICKS:
        # the cadence note, then its breath: also where no one token fills the phrase's end
        # (5 eighths in 6/8: until 2026-12-03 the note then ran on freely and the planned
        # dotted-quarter breath shrank to an eighth, 0.14-0.17 of folk 6/8's planned breaths)
        allowed[:] = False
        allowed[_DUR_TOKENS[DURATION_TICKS.index(short)]] = True
    elif final_note and exact is not None and may_end:
        allowed[:] = False
        allowed[exact] = True  # the stable last note lasts to the end
    elif not may_end and exact is not None and allowed.sum() > 1:
        allowed[exact] = False  # leave room for a stable last note
    if zone and not (final_note and may_end):
        lefts = remaining - np.asarray(DURATION_TICKS)
        inside = (lefts > 0) & (lefts < zone)
        keep = allowed.copy()
        keep[_DUR_TOKENS[inside]] = False
        if keep.any():
            allowed = keep
    if mid_zone:
        lefts = to_mid - np.asarray(DURATION_TICKS)
        keep = allowed.copy()
        keep[_DUR_TOKENS[(lefts > 0) & (lefts < mid_zone)]] = False
        if keep.any():
            allowed = keep
    if longest:
        keep = allowed.copy()
        keep[_DUR_TOKENS[np.asarray(DURATION_TICKS) > longest]] = False
        if keep.any():
            allowed = keep
    allowed.flags.writeable = False  # shared by the cache: callers copy before changing
    return allowed


def generate(
    stack: LSTMStack,
    primed: tuple[np.ndarray, tuple],
    ctx: Context,
    opts: SamplingOptions,
    *,
    weights: np.ndarray | None = None,
    guides: list[list[Guide]] | None = None,
    leads: list[list[Lead]] | None = None,
    rng: np.random.Generator | None = None,
) -> list[list[NoteEvent]]:
    """Sample continuations from primed models (see :func:`prime`); events are in the
    normalised key with onsets from 0.

    With ``weights`` the models speak together: every row samples from their weighted
    mixture and the result has one melody per row. Without, each model writes its own rows
    (phase 1 of a fusion): the result lists model 0's rows, then model 1's, ...
    ``guides`` gives each mixed row its own phase-1 material.
    """
    rng = rng if rng is not None else np.random.default_rng(opts.seed)
    logits, state = primed
    m, batch = logits.shape[0], logits.shape[1]
    mixed_mode = weights is not None
    w = np.repeat(np.asarray(weights, dtype=np.float64)[:, None, None], batch, axis=1) if mixed_mode else None
    n_rows = batch if mixed_mode else m * batch
    bar = to_ticks(meter_bar_length(ctx.meter))
    beat = to_ticks(Fraction(3, 2) if ctx.meter in _COMPOUND else Fraction(1))
    start_pos = to_ticks(ctx.bar_pos % meter_bar_length(ctx.meter))
    positions = position_ids(bar)
    budget = to_ticks(ctx.budget)
    plans = ctx.plans or [free_plan(budget, opts.end_on_stable)]
    rows = [RowState(remaining=budget, pos=start_pos, last_pitch=ctx.last_pitch, plan=plans[b % len(plans)]) for b in range(n_rows)]
    for row in rows:
        _start_segment(row, ctx)
    structured = stack.structured and ctx.tracker is not None
    if structured:
        for row in rows:
            row.tracker = ctx.tracker.copy()
    rest_bias = np.log(opts.rest_density) if opts.rest_density > 0 else 0.0
    for row in rows:
        row.register_base = ctx.register_base
    bias = stack.input_bias(np.full((m, batch), V.meter_id(ctx.meter)))
    if mixed_mode and leads:
        bias = bias.copy()
        for b, row in enumerate(rows):
            row.leads = leads[b]
            _follow_lead(row, b, w, bias, stack)
    feed_t = np.zeros((m, batch), dtype=np.int64)  # the next input of every model's rows
    feed_p = np.zeros((m, batch), dtype=np.int64)
    feed_rows = feed_t[0] if mixed_mode else feed_t.reshape(n_rows)  # a view: one entry per row
    feed_rows_p = feed_p[0] if mixed_mode else feed_p.reshape(n_rows)
    feed_s = np.broadcast_to(np.asarray(UNKNOWN), (m, batch, 3)).copy() if structured else None
    feed_rows_s = None if feed_s is None else feed_s[0] if mixed_mode else feed_s.reshape(n_rows, 3)
    while True:
        # Logits, not log-probabilities: each model's normaliser is a constant per row, and a
        # constant per row changes nothing once the sampler renormalises (the weighted
        # geometric mean of the distributions is the softmax of the weighted logits).
        scores = (w * logits).sum(axis=0) if mixed_mode else logits.reshape(n_rows, -1).copy()
        live = [b for b, row in enumerate(rows) if not row.done]
        allowed = np.empty((len(live), V.VOCAB_SIZE), dtype=bool)
        for i, b in enumerate(live):
            row = rows[b]
            if row.forced_i < len(row.forced):  # a repeated phrase: the plan writes it
                allowed[i] = _only(row.forced[row.forced_i])
                continue
            seg = row.plan.segments[row.seg]
            targets = cadence_pitch_classes(seg.cadence, ctx.minor, ctx.tonic)
            # the last note lasts at least end_ticks (a plan's phrase), else a beat (free)
            zone = row.end_zone or (beat if targets is not None else 0)
            final = row.seg_left <= zone
            if row.expecting_pitch:
                allowed[i] = _pitch_mask(row, ctx, opts, final, targets, beat, bar, zone)
                if rest_bias:
                    scores[b, V.REST] += rest_bias
                if ctx.motifs is not None:
                    ctx.motifs.pitch_bonus(scores[b], row.last_interval, row.last_pitch, row.interval_before)
                elif row.own_motifs is not None:
                    row.own_motifs.own_pitch_bonus(scores[b], row.last_interval, row.last_pitch, row.interval_before, ctx.own_figure_bonus)
                if ctx.first_target is not None and row.last_pitch is None:  # the tune's first note
                    _first_pull(scores[b], ctx.first_target)
                closing = ctx.final_offset is not None and row.register_base is not None and row.seg == len(row.plan.segments) - 1 and row.seg_left <= max(bar, CLOSING_QUARTERS * _QUARTER_TICKS)
                if closing:  # the tune's last bar comes home to where real tunes end
                    _closing_pull(scores[b], row.register_base + ctx.final_offset, targets, ctx.low, ctx.high)
                elif row.register_base is not None and seg.register is not None:
                    _register_pull(scores[b], row, row.register_base + seg.register)
                if ctx.approach is not None and row.seg == len(row.plan.segments) - 1 and (final or row.seg_left - zone <= _approach_gap(row, ctx, beat)):
                    _approach_bonus(scores[b], ctx.approach, row.last_pitch, targets, ctx.low, ctx.high, final)
                elif ctx.approach2 is not None and targets and row.seg == len(row.plan.segments) - 1 and row.seg_left - zone <= 2 * _approach_gap(row, ctx, beat):
                    # two notes from home: stand where the line can come home in two real moves
                    scores[b][_PITCH_TOKENS] += _homeward(ctx.approach2.tobytes(), targets, ctx.low, ctx.high)
            else:
                allowed[i] = _duration_mask(row, ctx, opts, final, targets, zone, beat, bar)
                if (ctx.approach is not None and targets and row.first_duration and row.current_pitch is not None and not final
                        and row.seg == len(row.plan.segments) - 1 and row.seg_left - zone > _approach_gap(row, ctx, beat)):
                    _approach_lengths(scores[b], ctx.approach, row.current_pitch, targets, ctx.low, ctx.high, row.seg_left - zone)
                if ctx.motifs is not None and row.first_duration:
                    ctx.motifs.duration_bonus(scores[b], row.bar_events, row.event_pos)
                if row.plan.feel and row.seg == 0 and row.first_duration and row.current_pitch is not None:
                    _swing(scores[b], row)
            if guides:
                _apply_guides(scores[b], row, guides[b])
        # pitches at their own settings, note lengths at theirs (SamplingOptions)
        pitch = [rows[b].expecting_pitch for b in live]
        if all(pitch) or not any(pitch):  # one setting for every row (the usual case): no per-row lists
            temperature, top_p = (opts.pitch_temperature, opts.pitch_top_p) if pitch[0] else (opts.temperature, opts.top_p)
        else:
            temperature = [opts.pitch_temperature if x else opts.temperature for x in pitch]
            top_p = [opts.pitch_top_p if x else opts.top_p for x in pitch]
        choice = sample(scores if len(live) == n_rows else scores[live], allowed, temperature, opts.top_k, top_p, rng).tolist()
        for b, tok in zip(live, choice):
            row = rows[b]
            row.tokens.append(tok)
            row.current.append(tok)
            row.fresh = False
            forced = row.forced_i < len(row.forced)
            if forced:
                row.forced_i += 1
            if tok >= V.DURATION_BASE:
                d = DURATION_TICKS[tok - V.DURATION_BASE]
                row.remaining -= d
                row.seg_left -= d
                row.elapsed += d
                row.event_ticks += d
                if row.first_duration:
                    row.bar_events.append((row.event_pos, d))
                    row.first_duration = False
                if row.current_pitch is None and not forced:  # a copy's rests were counted at its source
                    row.rest_ticks += d * row.rest_weight
                if row.pos + d >= bar:
                    row.bar_events = []
                row.pos = (row.pos + d) % bar
                row.expecting_pitch = True
                if row.remaining == 0:
                    row.done = True
                elif row.seg_left <= 0:
                    _end_segment(row, ctx)
                if row.leads and row.lead_i + 1 < len(row.leads) and row.elapsed >= row.leads[row.lead_i + 1].tick:
                    _follow_lead(row, b, w, bias, stack)
            elif tok == V.TIE:
                row.expecting_pitch = False
            else:  # a pitch or a rest starts a new event
                row.expecting_pitch = False
                row.current_pitch = None if tok == V.REST else V.token_pitch(tok)
                row.last_was_note = tok != V.REST
                row.event_pos = row.pos
                row.event_ticks = 0
                row.first_duration = True
                if tok != V.REST:
                    if row.last_pitch is not None:
                        row.interval_before = row.last_interval
                        row.last_interval = row.current_pitch - row.last_pitch
                    row.last_pitch = row.current_pitch
                    row.seg_pitch_sum += row.current_pitch
                    row.seg_pitch_n += 1
            feed_rows[b] = tok
            feed_rows_p[b] = positions[row.pos]
            if structured:
                feed_rows_s[b] = row.tracker.push(tok)
        if all(r.done for r in rows):
            break
        if mixed_mode:  # every model reads the row's one token
            feed_t[1:] = feed_rows
            feed_p[1:] = feed_rows_p
            if structured:
                feed_s[1:] = feed_rows_s
        logits, state = stack.step(feed_t, feed_p, bias, state, feed_s)
    return [decode(r.tokens, start=Fraction(0), start_bar_pos=ctx.bar_pos % meter_bar_length(ctx.meter), meter=ctx.meter) for r in rows]


_DOTTED_EIGHTH = V.duration_token(Fraction(3, 4))
_QUARTER_TICKS = to_ticks(Fraction(1))


def _swing(scores: np.ndarray, row: RowState) -> None:
    """The plan's template feel (form.with_template_feel): a dotted eighth favoured on each
    quarter-note beat, in a unit its template's genre leads (any, without leads)."""
    if row.event_pos % _QUARTER_TICKS == 0 and (not row.leads or row.leads[row.lead_i].genre == row.plan.template_genre):
        scores[_DOTTED_EIGHTH] += row.plan.feel


def _follow_lead(row: RowState, b: int, w: np.ndarray, bias: np.ndarray, stack: LSTMStack) -> None:
    """Move a mixed row to the last lead whose tick it has reached: its model weights, its
    first model's style input, its guide strengths."""
    while row.lead_i + 1 < len(row.leads) and row.elapsed >= row.leads[row.lead_i + 1].tick:
        old = row.leads[row.lead_i] if row.lead_i >= 0 else None
        row.lead_i += 1
        lead = row.leads[row.lead_i]
        w[:, b, 0] = lead.weights
        if lead.style_bias is not None:
            previous = old.style_bias if old is not None and old.style_bias is not None else stack.style_bias[0, 0]
            bias[0, b] += lead.style_bias - previous
        row.guide_scale = lead.guide_scale
        row.rhythm_scale = lead.rhythm_scale


def _apply_guides(scores: np.ndarray, row: RowState, guides: list[Guide]) -> None:
    """Phase-1 material pulls phase-2 sampling: a bonus for the guide's pitch sounding now,
    or for the duration its note has when it starts here (scaled by the row's lead, if any;
    a lead pulls its durations ``rhythm_scale`` times as hard as its pitches)."""
    t = row.elapsed
    scale = row.guide_scale
    if row.leads and row.guide_shift_lead != row.lead_i:  # a new unit: where its guides sit
        row.guide_shift_lead = row.lead_i
        row.guide_shift = tuple(octave_towards(g, t, row.last_pitch) for g in guides)
    for i, g in enumerate(guides):
        if t >= len(g.pitch_at):
            continue
        tok = g.pitch_at[t] if row.expecting_pitch else g.duration_at[t]
        if tok >= 0:
            if row.expecting_pitch and row.guide_shift and tok != V.REST:
                tok += row.guide_shift[i]
                if not V.PITCH_BASE <= tok < V.DURATION_BASE:
                    continue
            pull = g.strength * (scale[i] if scale else 1.0)
            scores[tok] += pull if row.expecting_pitch else pull * row.rhythm_scale


#: a unit's guide whose next note lies more than this many semitones from the line is moved by
#: octaves towards it (see :func:`octave_towards`)
GUIDE_OCTAVE_LEAP = 9


def octave_towards(guide: Guide, t: int, last_pitch: int | None) -> int:
    """Semitones (a multiple of 12) to move ``guide``'s pitches by in a unit that starts at tick
    ``t``: none, unless its next note lies more than GUIDE_OCTAVE_LEAP from ``last_pitch``, then
    the octave that brings it nearest.

    A phase-1 melody wanders from the shared priming on its own, and may sit an octave above or
    below the fused line by the time its genre leads; pulled there, the unit's first note leapt
    (folk+Irish at w = .5, 60 fusions: 3.45 semitones into a unit on average, 4.0% of joins more
    than a major sixth; real folk and Irish across the same boundaries 3.01-3.18 and 2.4-3.6%).
    Moved so, 2.98 and 1.0%. Every guide moved always: 2.70, smoother than real tunes."""
    if last_pitch is None:
        return 0
    for tok in guide.pitch_at[t:]:
        if tok >= 0 and tok != V.REST:
            p = V.token_pitch(tok)
            if abs(p - last_pitch) <= GUIDE_OCTAVE_LEAP:
                return 0
            return min((0, -12, 12, -24, 24), key=lambda k: (abs(p + k - last_pitch), abs(k)))
    return 0
