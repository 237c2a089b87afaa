"""Musical form: the form statistics on hand-built tunes, and phrase plans realised by the engine."""

from __future__ import annotations

import math
from pathlib import Path
from fractions import Fraction as F

import numpy as np
import pytest

from lstmfuse.encoding import vocab as V
from lstmfuse.encoding.events import Melody, NoteEvent, meter_bar_length
from lstmfuse.encoding.tokens import normalising_shift
from lstmfuse.generation import SamplingOptions, continue_melody
from lstmfuse.generation.form import (
    PassageForm,
    Segment,
    _phrase_ticks,
    choose_plan,
    cadence_pitch_classes,
    hammers_final,
    copy_tokens,
    form_reference,
    label_of,
    parse_form,
    prefix,
    transpose_tokens,
)
from lstmfuse.generation.ticks import to_ticks
from lstmfuse.errors import UsageError
from lstmfuse.metrics.form import (
    bar_grid,
    bar_rhythms,
    cadence_kind,
    closing_run,
    ending,
    form_metrics,
    motif_reuse,
    phrase_end_lengthening,
    phrase_layout,
    recurrence,
    tonic_pitch_class,
    upbeat_restated,
)


def line(notes: list[tuple[int | None, F]], meter: str = "4/4", sharps: int = 0, mode: str | None = "major", start: F = F(0)) -> Melody:
    """A melody from (pitch, duration) pairs, bar positions worked out from the meter."""
    bar = F(int(meter.split("/")[0]) * 4, int(meter.split("/")[1]))
    events, t = [], start
    for p, d in notes:
        events.append(NoteEvent(p, t, F(d), t % bar))
        t += F(d)
    return Melody(events, meter=meter, sharps=sharps, mode=mode)


Q, H, W, E = F(1), F(2), F(4), F(1, 2)
BAR_A = [(60, Q), (62, Q), (64, Q), (65, Q)]
BAR_B = [(67, H), (64, H)]
BAR_C = [(69, Q), (67, Q), (65, Q), (64, Q)]
BAR_END = [(60, W)]


def test_recurrence_counts_exact_transposed_and_rhythm():
    # segments (2 bars): [A B] [C A] [A B] [C+2 END]
    up = [(p + 2, d) for p, d in BAR_C]
    m = line(BAR_A + BAR_B + BAR_C + BAR_A + BAR_A + BAR_B + up + BAR_END)
    r = recurrence(m)
    # segment 0 comes back exactly (segment 2); segment 1 [C A] comes back nowhere as a whole;
    # none of the later ones recur after themselves
    assert r["recurrence_exact"] == pytest.approx(1 / 4)
    assert r["recurrence_transposed"] == pytest.approx(1 / 4)
    # rhythm only: [C A] (4 quarters + 4 quarters) vs [C+2 END] differ; [A B] recurs
    assert r["recurrence_rhythm"] == pytest.approx(1 / 4)
    # a transposed repeat: [A B] then [A+2 B+2]
    t = line(BAR_A + BAR_B + [(p + 2, d) for p, d in BAR_A + BAR_B])
    assert recurrence(t) == {"recurrence_exact": 0.0, "recurrence_transposed": 0.5, "recurrence_rhythm": 0.5}
    assert all(math.isnan(v) for v in recurrence(line(BAR_A)).values())


def test_bar_grid_skips_the_pickup():
    m = line([(55, Q)] + BAR_A + BAR_B, start=F(3))  # a one-beat pickup in 4/4
    g = bar_grid(m)
    assert (g.start, g.bar, g.n_bars) == (F(4), F(4), 2)
    assert bar_rhythms(m)[1] == ((F(0), F(2), False), (F(2), F(4), False))


def test_phrase_end_lengthening_and_ending():
    short = [(60, Q)] * 4
    # phrase 1 ends with a half note (longer than the median quarter), phrase 2 with quarters
    m = line(short * 3 + [(62, Q), (64, Q), (67, H)] + short * 4)
    assert phrase_end_lengthening(m) == 0.5
    # a quarter with a quarter rest after it is a breath: counted as lengthened
    b = line(short * 3 + [(62, Q), (64, Q), (67, Q), (None, Q)])
    assert phrase_end_lengthening(b) == 1.0
    assert ending(line(BAR_A + BAR_END)) == {"ends_on_tonic": 1.0, "final_note_bars": 1.0}
    assert ending(line(BAR_A + [(62, H), (None, H)])) == {"ends_on_tonic": 0.0, "final_note_bars": 1.0}


def test_tonic_from_signature_mode_or_name():
    assert tonic_pitch_class(Melody([], sharps=1, mode="major")) == 7  # G
    assert tonic_pitch_class(Melody([], sharps=-2, mode="minor")) == 7  # g minor
    assert tonic_pitch_class(Melody([], sharps=1, tonic="D")) == 2  # named tonic wins (a modal tune)
    assert cadence_kind(67, 0) == "dominant" and cadence_kind(60, 0) == "tonic" and cadence_kind(64, 0) == "other"


def test_phrase_layout_finds_repeats_variations_and_cadences():
    a = BAR_A + BAR_B + BAR_C + [(67, W)]  # ends on G: a half cadence
    a_closed = BAR_A + BAR_B + BAR_C + BAR_END  # same start, ends on C
    b = [(72, H), (71, H)] + BAR_C + BAR_A + [(67, W)]
    lay = phrase_layout(line(a + a_closed + b + a))
    assert [p["relation"] for p in lay] == ["new", "varied", "new", "exact"]
    assert [p["source"] for p in lay] == [None, 0, None, 0]
    assert [p["cadence"] for p in lay] == ["dominant", "tonic", "dominant", "dominant"]
    assert lay[1]["end_bars"] == 1.0
    assert label_of([(p["relation"], p["source"]) for p in lay]) == "AA'BA"


def test_motif_reuse():
    passage = line(BAR_A + BAR_B)
    cont = line(BAR_B + BAR_C + BAR_END, start=F(8))
    # BAR_B is the passage's own bar, BAR_C has BAR_A's rhythm (four quarters), BAR_END is new
    assert motif_reuse(passage, cont) == pytest.approx(2 / 3)
    assert form_metrics(cont, passage)["motif_reuse"] == pytest.approx(motif_reuse(passage, cont))


def test_distinct_bar_rhythms_and_note_length_distance():
    from lstmfuse.metrics.form import distinct_bar_rhythms, note_length_distance

    passage = line(BAR_A + BAR_B)
    cont = line(BAR_B + BAR_C + BAR_END, start=F(8))
    assert distinct_bar_rhythms(line(BAR_A + BAR_C)) == 1  # the same four quarters twice
    assert distinct_bar_rhythms(cont) == len({tuple(d for _, d in b) for b in (BAR_B, BAR_C, BAR_END)})
    assert note_length_distance(passage, passage) == 0.0
    quarters, halves = line([(60, Q)] * 4), line([(60, H)] * 2)
    assert note_length_distance(quarters, halves) == 1.0
    assert math.isnan(note_length_distance(quarters, line([])))


def test_transpose_tokens_moves_along_the_scale():
    toks = [V.pitch_token(60), V.duration_token(Q), V.pitch_token(64), V.duration_token(Q), V.REST, V.duration_token(Q)]
    up2 = transpose_tokens(toks, 2, 40, 90)
    assert [V.token_pitch(t) for t in up2 if V.is_pitch(t) and t != V.REST] == [64, 67]  # C E -> E G
    assert transpose_tokens(toks, 1, 40, 62) == toks  # out of range: unchanged
    assert [V.token_pitch(t) for t in transpose_tokens([V.pitch_token(66)], 1, 40, 90)] == [68]  # F# -> G#


def test_prefix_keeps_whole_events():
    toks = [V.pitch_token(60), V.duration_token(H), V.pitch_token(62), V.duration_token(W), V.TIE, V.duration_token(Q)]
    assert prefix(toks, to_ticks(F(3))) == toks[:2]
    assert prefix(toks, to_ticks(F(7))) == toks
    seg = Segment(to_ticks(F(16)), "varied", 0, 0, "tonic", 0)
    assert copy_tokens(seg, toks, 40, 90) == toks  # both notes end by beat 7, inside the first half (8)
    assert copy_tokens(Segment(to_ticks(F(8)), "varied", 0, 0), toks, 40, 90) == toks[:2]  # half = 4 beats


# --------------------------------------------------------------- plans realised by the engine


def _bars(m: Melody, first: int, last: int):
    """Bars first..last (1-based, full bars) of a melody as a comparable segment, as phrases
    play them: in a tune with an upbeat, from the upbeat before bar ``first`` to the one
    before the bar after ``last`` (every phrase starts with the upbeat)."""
    from lstmfuse.metrics.form import segment

    g = bar_grid(m)
    upbeat = g.bar - m.events[0].bar_pos if m.events[0].bar_pos else F(0)
    return segment(m.events, g.bar_start(first - 1) - upbeat, g.bar_start(last) - upbeat)


def test_parse_form():
    assert parse_form(None) == "auto" and parse_form(" FREE ") == "free" and parse_form("AA'BA'") == "AA'BA'"
    for bad in ("aabb", "A-B", "12"):
        with pytest.raises(UsageError):
            parse_form(bad)
    with pytest.raises(UsageError):
        SamplingOptions(form="xyz")


def test_phrase_ticks_complete_the_passage_phrase_first():
    bar = 480
    # passage stopped 1 bar into its phrase, mid-bar (lead 240): 240 + 2 bars, then whole phrases
    assert _phrase_ticks(240 + 8 * bar, 240, bar, 2) == [240 + 2 * bar, 4 * bar, 2 * bar]
    assert _phrase_ticks(16 * bar, 0, bar, 0) == [4 * bar] * 4
    assert _phrase_ticks(5 * bar, 0, bar, 0) == [5 * bar]  # a 1-bar tail joins the phrase before


@pytest.mark.parametrize("meter", ["4/4", "6/8"])
def test_explicit_aabb_repeats_exactly_and_closes_on_the_tonic(meter):
    for seed in range(3):
        r = continue_melody(None, bars=16, genre="folk", meter=meter, options=SamplingOptions(seed=seed, form="AABB"))
        m = r.melodies[0]
        assert sum(e.duration for e in m.events) == 16 * m.bar_length
        assert _bars(m, 5, 8) == _bars(m, 1, 4)  # A again, exactly
        assert _bars(m, 13, 14) == _bars(m, 9, 10)  # B again; its ending is new so the tune can close
        assert m.notes[-1].pitch % 12 == 0  # C major (no signature, major): ends on C
        plan = r.plans[0]
        assert plan["label"] == "AABB'" and [p["relation"] for p in plan["phrases"]] == ["new", "exact", "new", "varied"]
        assert m.end - m.notes[-1].onset >= F(plan["phrases"][-1]["end_ticks"], 120)


def test_auto_plans_come_from_real_layouts_and_are_recorded():
    r = continue_melody(None, bars=16, genre="irish", meter="6/8", options=SamplingOptions(seed=4), variants=3)
    assert len(r.plans) == 3
    for plan, m in zip(r.plans, r.melodies):
        assert plan["template"].startswith("irish/")
        # 16 bars, and the upbeat before them where the tune does not end on the short bar
        # that completes it (which of the two is drawn, as real Irish tunes do)
        pickup = F(r.settings.get("pickup_quarters", "0"))
        total = F(sum(p["ticks"] for p in plan["phrases"]), 120)
        assert total == m.end and total in (16 * m.bar_length, 16 * m.bar_length + pickup)
        # a degree real Irish tunes end on, as often as they do (form.json: the tonic about 80%)
        last = plan["phrases"][-1]["cadence"]
        degree = 0 if last == "tonic" else int(last.removeprefix("degree"))
        assert str(degree) in form_reference("irish")["final_degrees"]
        assert m.notes[-1].pitch % 12 == degree
    free = continue_melody(None, bars=16, genre="irish", meter="6/8", options=SamplingOptions(seed=4, form="free"))
    assert free.plans[0]["label"] == "free" and len(free.plans[0]["phrases"]) == 1


def test_continuation_can_restate_the_passage_phrase_in_the_users_key():
    # an 8-bar passage in G major (one sharp), two 4-bar phrases; form ABA: the new 4 bars restate phrase A
    a = [(67, Q), (69, Q), (71, Q), (72, Q), (74, H), (71, H), (72, Q), (71, Q), (69, Q), (67, Q), (66, H), (62, H)]
    b = [(71, Q), (72, Q), (74, Q), (76, Q), (74, H), (72, H), (71, Q), (69, Q), (67, Q), (66, Q), (67, W)]
    passage = line(a + b, sharps=1)
    r = continue_melody(passage, bars=4, genre="folk", options=SamplingOptions(seed=0, form="ABA", end_on_stable=False))
    new = r.melodies[0]
    assert [(e.pitch, e.duration) for e in new.events] == [(p, d) for p, d in a]  # restated, in G
    assert new.events[0].onset == passage.end
    assert r.plans[0]["phrases"][0]["source"] == -2  # two phrases back: the passage's A


def test_motifs_pull_the_continuation_towards_the_passage_rhythms():
    from lstmfuse.metrics.form import motif_reuse

    dotted = [(67, F(3, 2)), (69, E), (71, Q), (72, Q)]
    passage = line((dotted + [(74, H), (71, H)]) * 4, sharps=1)
    with_motifs, without = [], []
    for seed in range(8):
        opts = dict(seed=seed, end_on_stable=False)
        with_motifs.append(motif_reuse(passage, continue_melody(passage, bars=8, genre="irish", options=SamplingOptions(form="ABCD", **opts)).melodies[0]))
        without.append(motif_reuse(passage, continue_melody(passage, bars=8, genre="irish", options=SamplingOptions(form="free", **opts)).melodies[0]))
    assert np.mean(with_motifs) > np.mean(without) + 0.1


def test_each_passage_duration_is_favoured_once_however_many_bar_rhythms_share_it():
    """Summed over the passage's bar rhythms, the eighth that most of them start with got many
    bonuses and its rarer figures one: continuations ran in plain eighths."""
    from lstmfuse.generation.motifs import RHYTHM_BONUS, Motifs

    e, s, de = to_ticks(F(1, 2)), to_ticks(F(1, 4)), to_ticks(F(3, 4))
    rhythms = [((0, e), (e, e), (2 * e, e), (3 * e, e)), ((0, e), (e, e), (2 * e, 2 * e)), ((0, e), (e, 3 * e)), ((0, de), (de, s), (2 * e, 2 * e))]
    scores = np.zeros(V.VOCAB_SIZE)
    Motifs(rhythms=rhythms).duration_bonus(scores, [], 0)
    assert scores[V.duration_token(F(1, 2))] == RHYTHM_BONUS
    assert scores[V.duration_token(F(3, 4))] == RHYTHM_BONUS
    assert np.count_nonzero(scores) == 2


def test_a_figure_of_the_passage_is_completed_where_its_first_two_intervals_were_played():
    """The passage C D E C F: after +2 it went on +2 once and -4 once; after +2, +2 it went on
    -4. From E (after +2, +2) the pitch a major third down completes the figure and gets
    FIGURE_BONUS on top of the two-note bonus, the step up only the two-note bonus; after other
    intervals only the two-note bonus applies."""
    from lstmfuse.generation.motifs import FIGURE_BONUS, INTERVAL_BONUS, Motifs

    passage = [NoteEvent(p, F(k, 2), F(1, 2), F(k, 2)) for k, p in enumerate([60, 62, 64, 60, 65])]
    m = Motifs.of(passage, to_ticks(F(4)))
    assert m.next_interval[2] == {2: 1.0, -4: 1.0}
    assert m.next_in_figure == {(2, 2): {-4: 1.0}, (2, -4): {5: 1.0}}
    scores = np.zeros(V.VOCAB_SIZE)
    m.pitch_bonus(scores, 2, 74, interval_before=2)
    assert scores[V.pitch_token(70)] == pytest.approx(INTERVAL_BONUS + FIGURE_BONUS)
    assert scores[V.pitch_token(76)] == pytest.approx(INTERVAL_BONUS)
    assert np.count_nonzero(scores) == 2
    scores = np.zeros(V.VOCAB_SIZE)
    m.pitch_bonus(scores, 2, 74, interval_before=5)  # no such figure: the two-note bonus alone
    assert scores[V.pitch_token(70)] == pytest.approx(INTERVAL_BONUS) == scores[V.pitch_token(76)]


def test_figure_reuse_counts_the_passages_interval_runs_at_any_pitch():
    from lstmfuse.metrics.form import figure_reuse, interval_figures

    passage = line([(60, Q), (62, Q), (64, Q), (60, Q)])  # +2 +2 -4
    moved = line([(67, Q), (69, Q), (71, Q), (67, Q), (65, Q)])  # +2 +2 -4 -2: the figure a fifth up, then one new
    assert interval_figures(passage) == [(2, 2, -4)]
    assert figure_reuse(passage, moved) == 0.5
    assert math.isnan(figure_reuse(passage, line([(60, Q), (62, Q)])))


def test_continuations_take_up_the_passages_melodic_figures_as_composers_do():
    """The composers' own next 8 bars of the 16 folk passages of form_proof (music21's
    Northumbrian and American fife tunes) reuse 0.31 of the passage's three-interval figures;
    continued by the Scottish model (seeds 0-1, 2026-12-03) without the figure bonus 0.15, with
    it 0.26."""
    from lstmfuse.evaluation.form_proof import continuation_passages
    from lstmfuse.generation import motifs
    from lstmfuse.metrics.form import figure_reuse as reuse

    passages = [(p, own) for name, p, own in continuation_passages() if name.startswith("miscFolk")]
    assert len(passages) >= 12
    composers = np.nanmean([reuse(p, own) for p, own in passages])

    def ours(bonus):
        old, motifs.FIGURE_BONUS = motifs.FIGURE_BONUS, bonus
        try:
            return np.nanmean([reuse(p, continue_melody(p, bars=8, genre="scottish", options=SamplingOptions(seed=s)).melodies[0]) for p, _ in passages for s in (0, 1)])
        finally:
            motifs.FIGURE_BONUS = old

    now, without = ours(motifs.FIGURE_BONUS), ours(0.0)
    assert now > without + 0.05
    assert abs(now - composers) < 0.08, (now, composers, without)


def test_a_tunes_own_figures_leave_out_repeated_notes_and_two_note_steps():
    from lstmfuse.generation.motifs import Motifs

    m = Motifs.own_figures([60, 62, 64, 60, 60, 60, 60, 62])  # +2 +2 -4 0 0 0 +2
    assert m.rhythms == [] and m.next_interval == {}
    assert (0, 0) not in m.next_in_figure  # a third same note is never favoured: runs of five
    assert m.next_in_figure[(2, 2)] == {-4: 1.0} and m.next_in_figure[(-4, 0)] == {0: 1.0}
    scores = np.zeros(V.VOCAB_SIZE)
    m.own_pitch_bonus(scores, 2, 70, interval_before=2, bonus=2.0)
    near = [V.pitch_token(p) for p in range(64, 77) if p != 66]  # within a sixth of 70: only the leaps' odds move
    assert scores[V.pitch_token(66)] == 2.0 and not scores[near].any() and scores.max() == 2.0


def test_a_tunes_own_figure_is_favoured_without_changing_the_odds_of_a_leap():
    """The own-figure bonus picks which step or which leap; how often the line leaps a fifth or
    more stays the models' (the bonus alone cut Scottish leaps from 0.083 to 0.068)."""
    from lstmfuse.generation.motifs import Motifs

    m = Motifs.own_figures([60, 62, 64, 65, 67])  # (2, 2) was followed by 1, (2, 1) by 2
    scores = np.random.default_rng(0).normal(size=V.VOCAB_SIZE)
    before = scores.copy()
    m.own_pitch_bonus(scores, 2, 72, interval_before=2, bonus=2.0)
    pitches = np.arange(V.PITCH_LOW, V.PITCH_HIGH + 1)
    tokens = [V.pitch_token(p) for p in pitches] + [V.REST]
    wide = np.append(np.abs(pitches - 72) >= 7, False)

    def share(x, which):
        p = np.exp(x[tokens] - x[tokens].max())
        return p[which].sum() / p.sum()

    assert share(scores, wide) == pytest.approx(share(before, wide))
    gained = scores - before
    assert gained[V.pitch_token(73)] > gained[V.pitch_token(74)] + 1.9  # the interval that followed (2, 2): +1
    assert np.ptp(gained[[V.pitch_token(p) for p in pitches if abs(p - 72) >= 7]]) == pytest.approx(0)  # leaps moved alike


def test_own_figure_reuse_tells_a_tunes_own_turns_from_the_styles():
    from lstmfuse.metrics.form import halves, own_figure_reuse

    bar = [(60, Q), (62, Q), (64, Q), (60, Q)]
    other = [(67, Q), (64, Q), (60, Q), (55, Q)]
    restating = line(bar * 8 + [(n + 5, d) for n, d in bar] * 8)  # bars 9-16: bars 1-8 a fourth up
    first, second = halves(restating)
    assert len(first.notes) == 32 == len(second.notes)
    assert halves(line(bar * 11)) is None  # under 12 bars: no second half to ask about
    moving = line(other * 8 + [(n + 2, d) for n, d in other] * 8)
    r = own_figure_reuse([restating, moving])
    assert r["own"] == 1.0 and r["cross"] == 0.0 and r["gap"] == 1.0


def test_a_tune_from_nothing_restates_its_own_turns_as_real_tunes_do():
    """Bars 9-16 of the 16 folk tunes of form_proof's continuation passages (music21's
    Northumbrian and American fife tunes) play their own bars 1-8's three-interval figures 0.31
    of the time and the next tune's 0.09: a gap of 0.22. Folk tunes from nothing in 4/4 (seeds
    0-29, 2026-12-03): without the own-figure bonus 0.07 / 0.06 (gap 0.01), with it 0.24 / 0.09
    (gap 0.15; seeds 100-129: 0.03 -> 0.18)."""
    from lstmfuse.evaluation.form_proof import continuation_passages
    from lstmfuse.evaluation.own_figures import without_own_figures
    from lstmfuse.metrics.form import figure_reuse as reuse
    from lstmfuse.metrics.form import own_figure_reuse

    real = [(p, own) for name, p, own in continuation_passages() if name.startswith("miscFolk")]
    assert len(real) >= 12
    real_gap = np.nanmean([reuse(p, own) for p, own in real]) - np.nanmean([reuse(real[i][0], real[(i + 1) % len(real)][1]) for i in range(len(real))])
    tunes = lambda: [continue_melody(None, bars=16, genre="folk", meter="4/4", options=SamplingOptions(seed=s)).melodies[0] for s in range(30)]  # noqa: E731
    now = own_figure_reuse(tunes())
    with without_own_figures():
        before = own_figure_reuse(tunes())
    assert now["gap"] > before["gap"] + 0.08, (now, before)
    assert abs(now["gap"] - real_gap) < 0.1, (now, real_gap, before)


def test_a_continuation_is_not_steered_by_the_own_figure_bonus():
    """A passage's own figures steer its continuation (FIGURE_BONUS); the tune-from-nothing
    bonus is not added on top."""
    from lstmfuse.evaluation.own_figures import without_own_figures

    passage = line([(67, Q), (69, Q), (71, Q), (67, Q)] * 4, sharps=1)
    notes = lambda: [(e.pitch, e.duration) for e in continue_melody(passage, bars=8, genre="folk", options=SamplingOptions(seed=4)).melodies[0].events]  # noqa: E731
    now = notes()
    with without_own_figures():
        assert notes() == now


def test_a_continuation_takes_up_the_passages_short_notes(examples_dir):
    """O'Neill's "Enchanted Valley" (make demo's passage) runs in sixteenths and dotted figures:
    0.53 of its notes are shorter than an eighth. Its continuations keep at least half that
    (0.65 by the Irish model, 0.43 by irish 0.6 + folk 0.4, seed 0, 8 variants), where the
    summed rhythm bonus had left 0.11 and 0.13."""
    from lstmfuse.encoding.extract import melody_from_part
    from lstmfuse.io import load

    passage = melody_from_part(load(examples_dir / "oneills-0001.musicxml").parts[0])
    short = lambda ms: np.mean([n.duration < F(1, 2) for m in ms for n in m.notes])  # noqa: E731
    own = short([passage])
    assert own > 0.5
    for kw in ({"genre": "irish"}, {"weights": {"irish": 0.6, "folk": 0.4}}):
        r = continue_melody(passage, bars=8, options=SamplingOptions(seed=0), variants=8, **kw)
        assert short(r.melodies) >= own / 2, (kw, short(r.melodies), own)


# --------------------------------------------------------------------- the proof's tools, the CLI


def test_roc_auc_and_cross_validated_discriminator():
    from lstmfuse.evaluation.form_proof import cross_validated_auc, roc_auc

    y = np.array([0, 0, 1, 1])
    assert roc_auc(np.array([0.1, 0.2, 0.8, 0.9]), y) == 1.0
    assert roc_auc(np.array([0.9, 0.8, 0.2, 0.1]), y) == 0.0
    assert roc_auc(np.array([0.5, 0.5, 0.5, 0.5]), y) == 0.5
    rng = np.random.default_rng(0)
    same = cross_validated_auc(rng.normal(size=(200, 3)), rng.normal(size=(200, 3)))
    apart = cross_validated_auc(rng.normal(size=(200, 3)), rng.normal(size=(200, 3)) + [2, 0, 0])
    assert abs(same - 0.5) < 0.1 and apart > 0.9


def test_cli_form_option_and_metrics(tmp_path, examples_dir):
    import json
    import os
    import subprocess
    import sys

    from lstmfuse.io import load

    def cli(*args: str) -> subprocess.CompletedProcess:
        env = dict(os.environ, COLUMNS="200")
        return subprocess.run([sys.executable, "-m", "lstmfuse", *args], capture_output=True, text=True, timeout=300, env=env)

    tune = str(examples_dir / "oneills-0001.musicxml")
    out = tmp_path / "c.musicxml"
    bad = cli("continue", tune, "--genre", "irish", "--form", "xyz", "-o", str(out))
    assert bad.returncode == 2 and "unknown form 'xyz'" in bad.stderr and "Traceback" not in bad.stderr + bad.stdout
    assert len(bad.stderr.strip().splitlines()) == 1 and not out.exists()
    ok = cli("continue", tune, "--genre", "irish", "--bars", "8", "--form", "AABB", "--seed", "1", "-o", str(out))
    assert ok.returncode == 0, ok.stderr
    settings = json.loads(dict(load(out).metadata.all())["lstmfuse-settings"])
    # letters cover the whole tune: the passage's last 4 phrases, then A, and A' (since
    # 2026-12-04: the passage's A closes on a note shorter than the tune's final, so the closing
    # A keeps its first half and writes its own ending)
    assert settings["sampling"]["form"] == "AABB" and settings["form"]["label"] == "ABCDAA'"
    res = cli("metrics", str(out), "--from-bar", "25", "--json")
    assert res.returncode == 0, res.stderr
    row = json.loads(res.stdout)[0]
    assert {"recurrence_transposed", "phrase_end_lengthening", "ends_on_tonic", "final_note_bars", "closing_run", "motif_reuse"} <= set(row)


# ------------------------------------------------- what the genres never do: rests, beats, defaults


def test_compound_beats_are_kept_by_genres_that_never_saw_the_meter():
    from lstmfuse.generation.form import genre_limits

    assert genre_limits({"bach": 1.0}, "6/8", 1000)[1] is True
    assert genre_limits({"bach": 1.0}, "4/4", 1000)[1] is False
    for genre in ("bach", "palestrina"):
        for seed in range(4):
            m = continue_melody(None, bars=8, genre=genre, meter="6/8", options=SamplingOptions(seed=seed)).melodies[0]
            for e in m.events:
                off = e.bar_pos % F(3, 2)
                assert not off or off + e.duration <= F(3, 2), (genre, seed, e)  # off the beat: ends by the next


def test_rests_stay_within_the_genres_95th_percentile():
    from lstmfuse.metrics.pitch import rest_ratio

    p95 = form_reference("palestrina")["rest_share_p95"]
    shares = [
        rest_ratio(continue_melody(None, bars=8, genre="palestrina", meter="4/4", options=SamplingOptions(seed=s)).melodies[0])
        for s in range(8)
    ]
    assert max(shares) <= p95 + 1e-9


def test_repeated_phrases_do_not_carry_rests_past_the_cap():
    """A plan's copies are forced, so their rests are counted where they were first written, as
    often as they will sound (a copy of a copy too). Seed 39 of 16 bars of 2/2 Palestrina draws
    a layout whose third phrase varies the first and whose fourth varies the third: its
    2-bar opening rest sounded three times (rest share 0.41 against the 0.32 cap) before."""
    from lstmfuse.metrics.pitch import rest_ratio

    p95 = form_reference("palestrina")["rest_share_p95"]
    shares = [
        rest_ratio(continue_melody(None, bars=16, weights={"palestrina": 1.0}, meter="2/2", options=SamplingOptions(seed=s)).melodies[0])
        for s in (4, 39)
    ]
    assert max(shares) <= p95 + 1e-9, shares


def test_fuse_without_meter_or_key_takes_the_heaviest_genres(tmp_path):
    import os
    import subprocess
    import sys

    from lstmfuse.encoding.extract import melody_from_part
    from lstmfuse.io import load

    out = tmp_path / "f.musicxml"
    run = subprocess.run(
        [sys.executable, "-m", "lstmfuse", "fuse", "--weights", "irish=0.7,bach=0.3", "--bars", "8", "--seed", "2", "-o", str(out)],
        capture_output=True, text=True, timeout=300, env=dict(os.environ, COLUMNS="200"),
    )
    assert run.returncode == 0, run.stderr
    assert "meter 6/8, key G major: the most common in irish" in run.stdout
    m = melody_from_part(load(out).parts[0])
    assert (m.meter, m.sharps) == ("6/8", 1)
    # the upbeat, when one was drawn, is said as a musician names it
    said = "starts on an upbeat of an eighth, drawn from real irish tunes in 6/8" in " ".join(run.stdout.split())
    assert said == (m.events[0].bar_pos == F(5, 2)), run.stdout


# ------------------------------------------------------------------ blending fusion (issue 11)


def test_lead_order_follows_the_weights():
    from lstmfuse.generation.continuation import lead_order

    rng = np.random.default_rng(0)
    order = lead_order({"folk": 0.75, "irish": 0.25}, ["folk", "irish"], 8, rng)
    assert order.count("folk") == 6 and order.count("irish") == 2
    assert "irish" in order[:4] and "irish" in order[4:]  # spread, not bunched at one end
    assert lead_order({"folk": 0.5, "irish": 0.5}, ["folk", "irish"], 4, rng).count("irish") == 2


def test_an_even_fusion_keeps_both_genres_rhythms():
    """bach + irish at 0.5: the share of notes shorter than a quarter lies between the pure genres'
    (a geometric mixture alone let Bach veto Irish eighths: 0.15 against 0.02 and 0.87)."""
    from lstmfuse.evaluation.proofs import generate_many

    def short(mix):
        mels = generate_many(6, 8, 0, weights=mix, meter="4/4")
        return np.mean([e.duration < 1 for m in mels for e in m.notes])

    bach, irish, even = short({"bach": 1.0}), short({"irish": 1.0}), short({"bach": 0.5, "irish": 0.5})
    assert bach + 0.1 < even < irish - 0.1, (bach, even, irish)


def test_a_phrase_that_ended_on_a_note_shorter_than_a_beat_keeps_that_length(monkeypatch):
    """A jig phrase ending on a quarter (shorter than 6/8's dotted-quarter beat) did not hold a
    beat, but its last bar may still hold that quarter: the cap is the real last note (120
    ticks), not the median eighth, and the last note lasts at least the meter's short note.
    A reel phrase ending on an eighth in 2/2 may end on an eighth (not a forced quarter)."""
    import lstmfuse.generation.form as form

    def layout(end_bars):
        rows = [{"relation": "new", "source": None, "shift": 0, "cadence": "dominant", "end_bars": end_bars}] * 3
        rows.append({"relation": "new", "source": None, "shift": 0, "cadence": "tonic", "end_bars": 0.5})
        return lambda genre, meter, n, rng: (rows[:n], "test")

    def first_phrase(meter, end_bars):
        monkeypatch.setattr(form, "_draw_layout", layout(end_bars))
        bar = to_ticks(meter_bar_length(meter))
        plan = form.choose_plan("auto", "irish", meter=meter, budget_ticks=16 * bar, lead_ticks=0, bar_ticks=bar,
                                passage=None, end_on_stable=False, rng=np.random.default_rng(0))
        return plan.segments[0]

    jig = first_phrase("6/8", F(1, 3))  # a quarter of a 6/8 bar
    assert (jig.end_cap, jig.end_ticks) == (to_ticks(F(1)), to_ticks(F(1, 2)))
    reel = first_phrase("2/2", F(1, 8))  # an eighth of a 2/2 bar
    assert (reel.end_cap, reel.end_ticks) == (to_ticks(F(1, 2)), to_ticks(F(1, 2)))
    held = first_phrase("6/8", F(1, 2))  # a dotted quarter: a whole beat, it breathes
    assert (held.end_cap, held.end_ticks) == (0, to_ticks(F(3, 2)))
    unknown = first_phrase("6/8", 0.0)  # no last note found: the median caps, as before
    assert (unknown.end_cap, unknown.end_ticks) == (form.median_note_ticks("irish"), to_ticks(F(1, 2)))


def test_a_tune_from_nothing_keeps_to_its_genres_register_in_its_key():
    """Real Irish tunes keep to D4-B5 whatever their key (the 10th percentile of their lowest
    notes, the 90th of their highest, as written: form.json 'written'). The register was taken
    in the normalised key (60-86 there), so a tune in G, moved down a fourth from C, reached
    down to G3 (55). A blend may go wherever either genre goes."""
    from lstmfuse.generation.form import genre_register

    assert form_reference("irish")["written"]["register_by_key"]["1"] == [61, 83]
    assert genre_register({"irish": 1.0}, sharps=1) == (61 + 5, 83 + 5)  # G: normalised is 5 above
    assert genre_register({"irish": 1.0}, sharps=2) == (59 - 2, 83 - 2)
    assert genre_register({"palestrina": 1.0}) == (60, 79)
    assert genre_register({"irish": 0.5, "palestrina": 0.5}) == (60, 84)  # a blend: the span of both
    assert genre_register({"irish": 0.5, "folk": 0.5}, sharps=1) == (61 + 5, 83 + 5)
    r = continue_melody(None, bars=16, genre="irish", meter="6/8", sharps=1, options=SamplingOptions(seed=1), variants=8)
    pitches = [e.pitch for m in r.melodies for e in m.notes]
    assert 61 <= min(pitches) and max(pitches) <= 83, (min(pitches), max(pitches))
    assert max(pitches) > 79  # it uses the top of its register too


def test_a_half_phrase_is_in_its_lead_genres_voice():
    """With two genres, each half-phrase (2 bars of a 4-bar phrase) is led by one genre, as many
    as its weight says; inside it only the lead's model and phase-1 material join the fusion
    model (LEAD_SHARE 1.0), so the other genre cannot veto its rhythms. The schedule is reported."""
    from lstmfuse.generation import continuation

    assert continuation.LEAD_SHARE == 1.0
    r = continue_melody(None, bars=16, weights={"bach": 0.5, "irish": 0.5}, meter="4/4", options=SamplingOptions(seed=3), variants=2)
    assert len(r.leads) == 2
    for leads, m in zip(r.leads, r.melodies):
        starts = [t for t, _ in leads]
        assert starts[0] == 0 and starts == sorted(starts) and all(t % 2 == 0 for t in starts)  # every 2 bars of 4/4 at most
        genres = [g for _, g in leads]
        assert genres.count("bach") == genres.count("irish") == len(genres) // 2
    pure = continue_melody(None, bars=8, genre="irish", meter="4/4", options=SamplingOptions(seed=3))
    assert pure.leads == []


def test_lead_weights_give_the_lead_the_genre_share_alone():
    from lstmfuse.generation import continuation
    from lstmfuse.generation.fusion_share import fusion_share
    from lstmfuse.generation.form import FormPlan, Segment
    from lstmfuse.generation.stack import LSTMStack
    from lstmfuse.models.registry import FUSION, load_model

    fusion = load_model(FUSION)
    order = list(fusion.config.genres)
    active = [g for g in order if g in ("folk", "irish")]
    stack = LSTMStack([fusion] + [load_model(g) for g in active], [np.zeros(len(order))] + [None] * len(active))
    plan = FormPlan((Segment(4 * 480), Segment(4 * 480)))
    leads = continuation._lead_schedule(plan, {"folk": 0.5, "irish": 0.5}, active, order, stack, np.random.default_rng(0))
    assert [lead.tick for lead in leads] == [0, 960, 1920, 2880]
    for lead in leads:
        k = active.index(lead.genre)
        expected = np.zeros(1 + len(active))
        share = fusion_share({lead.genre: 1.0})  # the lead's own fusion share
        expected[0] = share
        expected[1 + k] = 1 - share
        assert np.allclose(lead.weights, expected)
        # only the lead's phase-1 melody pulls, LEAD_GUIDE times as hard as a pure genre's
        assert lead.guide_scale == tuple(continuation.LEAD_GUIDE if g == lead.genre else 0.0 for g in active)
        assert lead.rhythm_scale == continuation.LEAD_RHYTHM
    assert continuation.LEAD_GUIDE == 1.5  # docs/fusion.md, "The lead's own material pulls harder"
    assert continuation.LEAD_RHYTHM == 2.0  # docs/fusion.md, "The lead's rhythm pulls harder"


def test_a_lead_pulls_its_durations_rhythm_scale_times_as_hard_as_its_pitches():
    """The guide's pitch bonus is its strength times the lead's scale; its duration bonus that
    times ``rhythm_scale`` again. A row without leads pulls both alike."""
    from lstmfuse.encoding import vocab as V
    from lstmfuse.generation.engine import Guide, Lead, RowState, _apply_guides

    guide = Guide([NoteEvent(72, F(0), F(3, 4), F(0)), NoteEvent(74, F(3, 4), F(1, 4), F(3, 4))], 1.5)
    for leads, scale, rhythm, pitch_bonus, duration_bonus in (
        ([], (), 1.0, 1.5, 1.5),
        ([Lead(0, np.ones(2), None, (1.5,), "irish", 2.0)], (1.5,), 2.0, 2.25, 4.5),
    ):
        row = RowState(remaining=100, leads=leads, lead_i=0 if leads else -1, guide_scale=scale, rhythm_scale=rhythm, guide_shift_lead=0 if leads else -1)
        scores = np.zeros(V.VOCAB_SIZE)
        _apply_guides(scores, row, [guide])
        assert scores[V.pitch_token(72)] == pytest.approx(pitch_bonus) and np.count_nonzero(scores) == 1
        row.expecting_pitch = False
        scores = np.zeros(V.VOCAB_SIZE)
        _apply_guides(scores, row, [guide])
        assert scores[V.duration_token(F(3, 4))] == pytest.approx(duration_bonus) and np.count_nonzero(scores) == 1


def test_a_units_guide_an_octave_away_from_the_line_is_moved_towards_it():
    from lstmfuse.generation.engine import Guide, octave_towards

    guide = Guide([NoteEvent(None, F(0), F(1, 2), F(0)), NoteEvent(84, F(1, 2), F(1), F(1, 2))], 1.0)
    assert octave_towards(guide, 0, 71) == -12  # C6 against B4: C5 is a step away
    assert octave_towards(guide, 0, 76) == 0  # C6 against E5: a minor sixth, left alone
    assert octave_towards(guide, 0, None) == 0
    assert octave_towards(guide, to_ticks(F(1, 2)), 60) == -24


def test_a_blend_leaps_into_its_units_no_more_than_real_tunes_do_across_2_bar_boundaries():
    """Folk+Irish at w = .5 in 6/8 leapt 3.2-3.8 semitones into a unit (seeds 0-19 and 20-39),
    6-10 of 140 joins more than a major sixth: the new lead's phase-1 melody had wandered an
    octave off the line. Real folk and Irish 6/8 tunes across 2-bar boundaries (upbeat to
    upbeat): 3.01 and 3.18 on average, 2.4% and 3.6% more than a major sixth. 60 fusions
    since phrases breathe (docs/form.md, "Phrases breathe": a new phrase after a rest starts
    further off, as real ones do): 20 read 3.21, 60 read 3.18 (seeds 0-59), 3.01 (1000-1059),
    2.86 (2000-2059), the standard error of each 0.12."""
    from lstmfuse.evaluation import blend_proof as bp

    into, inside = bp._leaps(bp.fusions(60, 16, 0, {"folk": 0.5, "irish": 0.5}, "6/8"))
    x = np.array(into)
    assert len(x) >= 300
    assert x.mean() <= 3.18, x.mean()
    assert (x > 9).mean() <= 0.036, (x > 9).sum()


@pytest.mark.parametrize("genre", ["irish", "scottish", "bach", "palestrina"])
def test_a_tune_stops_on_its_tonic_triad(genre):
    """Real Irish tunes' written last notes lie off the tonic triad 14% of the time (the 2nd, 4th
    or 6th: 'degree2', 'degree5', 'degree9'), and the plan drew them as often, so one tune in
    nine stopped on a note that asks for more. Those real notes are mostly no ending: 76% of the
    Irish and 60% of the Scottish ones are shorter than a quarter (a note leading back into a
    repeat; tonic finals 29%, 27%), and music21's key analysis reads Bach's in the key of their
    last note (docs/form.md, "A tune stops at home"). Now the final is drawn among the triad's
    degrees only: 40 tunes from nothing in the genre's default meter and key end on the tonic,
    its 3rd or its 5th, the tonic most often (Palestrina's top voice on the 3rd and 5th as
    often as on the final). Before, of these 40: Irish 3, Scottish 1, Bach 1 and Palestrina 5
    stopped off the triad."""
    from lstmfuse.evaluation.final_home import written_class
    from lstmfuse.generation.form import typical_meter_and_key

    meter, sharps, mode = typical_meter_and_key(genre)
    classes = [written_class(continue_melody(None, bars=16, genre=genre, meter=meter, sharps=sharps, mode=mode,
                                             options=SamplingOptions(seed=seed)).melodies[0]) for seed in range(40)]
    assert classes.count("off") == 0, classes
    assert genre == "palestrina" or classes.count("tonic") >= 30, classes


def test_a_final_degree_outside_the_key_falls_back_to_the_tonic():
    """Irish tunes in major end on the 6th 4% of the time ('degree9', B in D major); drawn for a
    tune in A minor that would be F#, outside the key: the tonic instead."""
    assert cadence_pitch_classes("degree9", minor=False) == frozenset({9})
    assert cadence_pitch_classes("degree9", minor=True) == frozenset({9})  # A, not F#
    assert cadence_pitch_classes("degree7", minor=True) == frozenset({4})  # E, the 5th of A minor
    assert cadence_pitch_classes("degree5", minor=True) == frozenset({2})


def test_blend_proof_cuts_units_at_the_lead_changes_and_measures_the_leaps_into_them():
    """A hand-made 4-bar 4/4 melody with leads at bars 1 and 3: two units, the leap into the
    second (C5 -> G4 = 5) apart from the steps inside (2 each)."""
    from lstmfuse.evaluation.blend_proof import junction_leaps, lead_units
    from lstmfuse.generation.continuation import Result

    pitches = [60, 62, 64, 66, 68, 70, 72, 74, 69, 71, 73, 75, 77, 79, 81, 83]
    events = [NoteEvent(p, F(i), F(1), F(i % 4)) for i, p in enumerate(pitches)]
    m = Melody(events, meter="4/4")
    r = Result([m], leads=[[(F(0), "bach"), (F(8), "irish")]])
    units = lead_units(r)
    assert [g for g, _ in units] == ["bach", "irish"]
    assert [e.pitch for e in units[1][1].events] == pitches[8:] and units[1][1].events[0].onset == 0
    into, inside = junction_leaps(r)
    assert into == [5] and inside == [2] * 14


def test_a_phrase_that_did_not_breathe_in_the_real_tune_does_not_breathe_here():
    """Models that know the phrase (structure inputs) hold its last bar long by habit; where the
    template phrase ran on (no note longer than the genre's median at its end), the plan caps
    the last bar's notes and rests at that median, so phrase-end lengthening stays near real."""
    from lstmfuse.generation.form import median_note_ticks

    cap = median_note_ticks("irish")
    assert cap == to_ticks(F(1, 2))  # an eighth: Irish tunes run in eighths
    r = continue_melody(None, bars=16, genre="irish", meter="6/8", options=SamplingOptions(seed=2), variants=6)
    checked = 0
    for plan, m in zip(r.plans, r.melodies):
        start = 0
        for p in plan["phrases"]:
            end = start + p["ticks"]
            if p["end_cap"]:
                last_bar = [e for e in m.events if to_ticks(e.onset) >= end - to_ticks(m.bar_length) and to_ticks(e.onset) < end]
                assert last_bar and all(to_ticks(e.duration) <= p["end_cap"] for e in last_bar), (p, last_bar)
                checked += 1
            start = end
    assert checked >= 2  # the drawn layouts hold phrases that ran on


def test_a_chorale_phrase_that_held_only_a_beat_is_not_held_longer_here():
    """A chorale's median note is a quarter, its beat too: a template phrase whose last bar's
    longest note was a quarter did not breathe, yet it held a beat, so the cap (once given only
    to phrases that ended on less than a beat) never applied, and generated chorales lengthened
    0.76 of their phrase ends (real 0.50, docs/form.md). Layout rows now say whether the real
    phrase breathed against its own tune's median."""
    quarter = to_ticks(F(1))
    assert phrase_layout(line(BAR_A * 3 + BAR_A))[0]["breathes"] is False  # even quarters: no breath
    assert phrase_layout(line(BAR_A * 3 + BAR_END))[0]["breathes"] is True
    rng = np.random.default_rng(0)
    capped = 0
    for _ in range(20):
        plan = choose_plan("auto", "bach", meter="4/4", budget_ticks=16 * 4 * quarter, lead_ticks=0, bar_ticks=4 * quarter,
                           passage=None, end_on_stable=True, rng=rng)
        for seg in plan.segments[:-1]:
            if seg.end_cap:  # at the genre's median, or the real phrase's own longest note
                assert seg.end_cap >= quarter and seg.end_ticks <= quarter
                capped += seg.end_cap == quarter
    assert capped >= 10


# ------------------------------------------------------------------ phrase registers (contour)


def test_layouts_record_each_phrases_register():
    """A tune whose second 8 bars lie a fifth above its first: offsets -3.5 / +3.5 semitones."""
    low = [(60, Q), (62, Q), (64, Q), (62, Q)] * 8
    high = [(p + 7, d) for p, d in low]
    lay = phrase_layout(line(low + high))
    assert [p["register"] for p in lay] == [-3.5, -3.5, 3.5, 3.5]


def test_register_pull_tilts_towards_the_phrase_target():
    from lstmfuse.generation.engine import REGISTER_PULL, RowState, _register_pull

    row = RowState(remaining=0, last_pitch=60)
    row.seg_pitch_sum, row.seg_pitch_n = 120.0, 2  # the phrase so far sits at 60
    scores = np.zeros(V.VOCAB_SIZE)
    _register_pull(scores, row, target=68.0)  # 8 above: the full tilt
    up, down, same = (scores[V.pitch_token(p)] for p in (64, 56, 60))
    assert up == pytest.approx(REGISTER_PULL) and down == pytest.approx(-REGISTER_PULL) and same == 0
    assert scores[V.REST] == 0 and scores[V.duration_token(F(1))] == 0
    scores[:] = 0
    _register_pull(scores, row, target=60.0)  # on target: nothing
    assert not scores.any()


def test_an_irish_tune_from_nothing_climbs_into_its_second_strain(monkeypatch):
    """Real Irish tunes' phrases 3-4 lie 3.0 semitones above phrases 1-2 (the shipped layouts;
    held-out 2/2 tunes: 3.2). Each phrase of the plan carries its template phrase's register and
    the first phrase anchors the rest. 64 reels and 64 jigs from nothing (then seeds 0-3, 16 variants
    each) rise 2.27 on average, against 1.94 with the pull switched off (standard errors 0.20
    and 0.29; at the commit before, with another random stream, 2.58 against 1.72). One seed
    (32 tunes) was too few: at commit 93b1372 it gave 2.8 against 2.0, after an unrelated change
    to the random stream 1.95 against 2.31. Four seeds were too few as well: after the change of
    2026-12-03 to finals and breaths (no change to registers) seeds 0-3 gave 1.94 against 1.17,
    seeds 0-7 1.91 against 0.90 and 8-15 2.23 against 1.01 (the code before it: 2.09 against
    1.31, 2.17 against 0.67), so 16 seeds (512 tunes, standard error about 0.11) now."""
    import lstmfuse.generation.engine as engine

    def rise() -> float:
        out = []
        for meter in ("6/8", "2/2"):
            for seed in range(16):
                res = continue_melody(None, bars=16, genre="irish", meter=meter, options=SamplingOptions(seed=seed), variants=16)
                for m in res.melodies:
                    bar = m.bar_length
                    means = [np.mean([e.pitch for e in m.notes if k * 4 * bar <= e.onset < (k + 1) * 4 * bar]) for k in range(4)]
                    out.append(np.mean(means[2:]) - np.mean(means[:2]))
        return float(np.mean(out))

    pulled = rise()
    monkeypatch.setattr(engine, "_register_pull", lambda *a, **k: None)
    plain = rise()
    assert pulled > 2.0 and pulled > plain + 0.2, (pulled, plain)


def test_a_tune_from_nothing_lies_at_the_level_of_real_tunes_of_its_genre():
    """Left to their first phrase, Irish tunes from nothing lay 2.6 semitones below real ones
    (mean pitch 71.7 against 74.3, normalised; 60 tunes); each now draws its level from real
    tunes of its genre and its phrases' registers are offsets from it. In C these 80 reels and
    hornpipes lie at 71.5 against 72.4 for the real tunes in C that the level is drawn from."""
    from lstmfuse.generation.form import draw_tune_level

    written = form_reference("irish")["written"]
    levels = [level for key, level in written["levels"] if key == 0]
    assert len(written["levels"]) >= 2000 and len(levels) >= 100 and 71.5 < np.mean(levels) < 73.5
    assert draw_tune_level("irish", np.random.default_rng(0)) in levels
    means = [np.mean([e.pitch for e in continue_melody(None, bars=16, genre="irish", meter=meter, options=SamplingOptions(seed=s)).melodies[0].notes])
             for s in range(40) for meter in ("2/2", "4/4")]
    assert np.mean(means) > np.mean(levels) - 1.5, (np.mean(means), np.mean(levels))


@pytest.mark.parametrize("genre, sharps, meter, old", [("folk", 1, "4/4", 65.4), ("irish", 1, "6/8", 68.3), ("scottish", 2, "4/4", 76.4)])
def test_a_tune_from_nothing_lies_in_its_key_where_real_tunes_in_that_key_lie(genre, sharps, meter, old):
    """A tune's level was drawn from real tunes moved to C and then moved to the key asked for,
    so in the genres' typical keys (the CLI's default) folk tunes in G lay 4.4 semitones below
    real folk tunes in G (65.4 against 69.8, 60 tunes), Irish ones in G 3.7 below (68.3 against
    72.0) and Scottish ones in D 2.1 above (76.4 against 74.3): moving every tune to C puts
    tunes in G a fourth up and tunes in D a tone down. Now the level and the register come from
    real tunes written in the key asked for (form.json 'written'): 69.5, 70.9 and 74.1 (held-out
    tunes in those keys: 69.8, 72.0, 74.3; here the training tunes the level is drawn from, and
    30 tunes since the closing pull of commit 2512269: folk 69.9, Irish 70.6, Scottish 73.8 against
    69.8, 72.1, 73.7)."""
    real = [level for key, level in form_reference(genre)["written"]["levels"] if key == sharps]
    ours = [np.mean([e.pitch for e in continue_melody(None, bars=16, genre=genre, meter=meter, sharps=sharps, options=SamplingOptions(seed=s)).melodies[0].notes])
            for s in range(30)]
    assert len(real) >= 40
    # Irish tunes lie 1.2-1.5 below the level drawn for them (the models pull down; since the
    # closing pull of the last four quarters 70.6 here): a known gap, docs/form.md
    assert abs(np.mean(ours) - np.mean(real)) < 2.0, (np.mean(ours), np.mean(real))
    assert abs(np.mean(ours) - np.mean(real)) < abs(old - np.mean(real)) - 0.5


def test_a_tune_from_nothing_in_c_begins_below_its_level_and_does_not_slide_down():
    """Real folk songs begin below their mean pitch (the training split: -3.8 semitones,
    form.json 'first_offset'; held-out songs in C: -2.45) and their last four bars lie above
    their first four (+1.0). The models learnt their first notes in the normalised key, where
    songs in G lie a fourth higher, so a song from nothing in C (a blank MuseScore score's key)
    began around C5-E5, above its drawn level (+1.5), and slid down to it over 16 bars (its last
    four bars 1.6 below its first four; 40 songs, seeds 0-39, 2026-12-04). The first note is now
    drawn near where real songs begin (engine._first_pull): -2.4 and -0.4."""
    rows = []
    for s in range(40):
        notes = continue_melody(None, bars=16, genre="folk", meter="4/4", sharps=0, options=SamplingOptions(seed=s)).melodies[0].notes
        mean = np.mean([e.pitch for e in notes])
        head = [e.pitch for e in notes if e.onset < notes[0].onset - notes[0].bar_pos + (5 if notes[0].bar_pos else 4) * 4]
        tail = [e.pitch for e in notes if e.onset >= notes[-1].end - 16]
        rows.append((notes[0].pitch - mean, np.mean(tail) - np.mean(head)))
    first, slide = np.mean(rows, axis=0)
    assert form_reference("folk")["first_offset"] < -3
    assert first < -1.0, first
    assert slide > -1.0, slide


def test_bars_of_rest_are_followed_by_a_new_tune_in_their_meter_and_key():
    """A blank score's empty bars selected in MuseScore reach the engine as a passage of rests.
    Continued as a passage, the tune began wherever the models happened to (folk in C, seed 1:
    E3 E3 E3 for 2 bars, B4 for 4) and lay high: 8 bars after 2 bars of rest, seeds 0-119, mean
    pitch 68.5 against 63.1 for the training songs in C. It is a tune from nothing now, on the
    barline after the rests, without an upbeat, its level drawn from real songs in C: 63.9 (its
    first note 0.96 below its mean; 0.64 before). Its first note keeps to the key's scale, as
    98-100% of real tunes' do (engine.FIRST_OFF_KEY): pulled by distance alone, 7 of these 120
    began off C major; now none. The first-note bound was < -1.0 on seeds 0-29 until
    2026-12-05; that block gave -1.25 and blocks of 30 of the same code give -0.35 to -1.96
    (-1.01 over 120; with FIRST_OFF_KEY -0.43 to -1.86, -0.96 over 120), so -1.0 was within the
    seeds' noise; the sign is not (about 3 standard errors over 120)."""
    rests = Melody([NoteEvent(None, F(0), F(4), F(0)), NoteEvent(None, F(4), F(4), F(0))], meter="4/4", sharps=0)
    firsts, levels, off_key = [], [], 0
    for s in range(120):
        result = continue_melody(rests, bars=8, genre="folk", options=SamplingOptions(seed=s))
        m = result.melodies[0]
        assert m.events[0].onset == 8 and m.events[0].bar_pos == 0 and m.events[-1].end == 8 + 8 * 4
        assert result.settings["after_rests"] == "8" and "pickup_quarters" not in result.settings
        mean = np.mean([e.pitch for e in m.notes])
        firsts.append(m.notes[0].pitch - mean)
        levels.append(mean)
        off_key += m.notes[0].pitch % 12 not in (0, 2, 4, 5, 7, 9, 11)
    assert off_key <= 1, off_key
    real = [level for key, level in form_reference("folk")["written"]["levels"] if key == 0]
    assert np.mean(firsts) < 0, np.mean(firsts)
    assert abs(np.mean(levels) - np.mean(real)) < 2.0, (np.mean(levels), np.mean(real))
    # rests that end inside a bar are read as before: the continuation completes that bar
    short = Melody([NoteEvent(None, F(0), F(6), F(0))], meter="4/4", sharps=0)
    result = continue_melody(short, bars=2, genre="folk", options=SamplingOptions(seed=1))
    assert "after_rests" not in result.settings and result.melodies[0].events[-1].end == 16


def test_a_tune_comes_home_to_the_octave_real_tunes_end_in(monkeypatch):
    """Real Irish tunes end 3.2 semitones below their mean pitch (form.json 'final_offset'); the
    register pull of a plan's last half bar aims there. The mean of 128 tunes (seeds 0-3) has a
    standard error of about 0.45 semitones: seeds 0-3 gave -2.49, 4-7 -3.65 and 8-11 -2.79 with
    the code of commit 19c8a29 (-2.61, -3.69, -3.11 at 74c88d8; -3.22, -2.50, -3.45 since tunes
    from nothing lie at a real tune's level), so the test reads 384 (seeds 0-11): -3.05, and
    -1.39 without the pull.
    (With one seed, 32 tunes, the pull's effect ran from 0.4 to 1.5 semitones; at c3bc6e0, before phrase ends took the
    template's 'other' degrees, the 32 tunes of seed 0 ended 3.1 below with the pull and 0.8
    without.)"""
    from lstmfuse.generation import continuation
    from lstmfuse.generation.form import genre_final_offset

    assert genre_final_offset({"irish": 1.0}) == pytest.approx(-3.15)

    def drop() -> float:
        out = []
        for seed in range(12):
            for meter in ("6/8", "2/2"):
                res = continue_melody(None, bars=16, genre="irish", meter=meter, options=SamplingOptions(seed=seed), variants=16)
                out += [m.notes[-1].pitch - np.mean([e.pitch for e in m.notes]) for m in res.melodies]
        return float(np.mean(out))

    home = drop()
    monkeypatch.setattr(continuation, "genre_final_offset", lambda weights: None)
    level = drop()
    assert home < -2.5 and home < level - 0.5, (home, level)


def test_a_cadence_note_is_reached_by_at_most_a_fourth_where_one_is_in_reach():
    """Real tunes leap a fifth or more onto their last note in 0-7% of endings; the closing
    pull had made Scottish tunes do it in 20%, and with the limit at a fifth still 17% in D
    (Irish in G 12%). With C5 (72) sounding, the other Cs (60, 84) are an octave away: only C5
    itself may close."""
    from lstmfuse.generation.engine import CADENCE_LEAP, _pitch_mask_for

    assert CADENCE_LEAP == 5
    mask = _pitch_mask_for(48, 96, False, 12, 72, True, frozenset({0}), False, False)
    allowed = [V.token_pitch(t) for t in np.flatnonzero(mask) if V.PITCH_BASE <= t < V.DURATION_BASE]
    assert allowed == [72]
    # from G4 (67) the C a fourth above (72) is in reach, the C a fifth below (60) no longer
    mask = _pitch_mask_for(48, 96, False, 12, 67, True, frozenset({0}), False, False)
    assert [V.token_pitch(t) for t in np.flatnonzero(mask) if V.PITCH_BASE <= t < V.DURATION_BASE] == [72]
    # from F4 (65) the C a fourth below (60) is, and the C a fifth above (72) is not
    mask = _pitch_mask_for(48, 96, False, 12, 65, True, frozenset({0}), False, False)
    assert [V.token_pitch(t) for t in np.flatnonzero(mask) if V.PITCH_BASE <= t < V.DURATION_BASE] == [60]
    # nothing in reach (the range allows only a far tonic): the far one, not nothing
    mask = _pitch_mask_for(48, 62, False, 24, 84, True, frozenset({0}), False, False)
    assert [V.token_pitch(t) for t in np.flatnonzero(mask) if V.PITCH_BASE <= t < V.DURATION_BASE] == [60]


def test_the_closing_pull_weighs_only_on_pitches_above_where_the_tune_ends():
    """The last bar's pull: a pitch loses in proportion to how far above the target it lies;
    at or below it, nothing (the old tilt rewarded every step lower, and the line jumped for
    the low tonic at the last moment)."""
    from lstmfuse.generation.engine import CLOSING_PULL, REGISTER_SCALE, _closing_pull

    scores = np.zeros(V.VOCAB_SIZE)
    _closing_pull(scores, 67.0)
    at = lambda p: scores[V.pitch_token(p)]  # noqa: E731
    assert at(60) == at(67) == 0.0
    assert at(71) == pytest.approx(-CLOSING_PULL * 4 / REGISTER_SCALE)
    assert at(79) < at(71) < 0 and scores[V.REST] == 0.0


def test_the_closing_bar_keeps_within_a_fourth_of_a_note_the_tune_may_end_on():
    """A minor, range C4-G5: the only A is A4, so F5 and G5 cannot reach an ending note by a
    fourth and lose REACH_PENALTY; E5 (a fifth above A4) too; D5 and C4 can. Bach tunes in A
    minor climbed to F5 and leapt down onto A4 (0.10-0.13 of 60 tunes; real chorales 0.00)."""
    from lstmfuse.generation.engine import REACH_PENALTY, _closing_pull

    scores = np.zeros(V.VOCAB_SIZE)
    _closing_pull(scores, 90.0, frozenset({9}), 60, 79)  # a target above the range: no pull
    at = lambda p: scores[V.pitch_token(p)]  # noqa: E731
    assert at(74) == at(64) == at(69) == 0.0
    assert at(77) == at(79) == at(76) == -REACH_PENALTY


@pytest.mark.parametrize("genre, sharps, mode, meter, before, real",
                         [("scottish", 2, "major", "4/4", 10, 0.065), ("irish", 1, "major", "6/8", 7, 0.026), ("bach", 0, "minor", "4/4", 5, 0.0)])
def test_a_tune_in_its_default_key_steps_home_instead_of_leaping(genre, sharps, mode, meter, before, real):
    """In the genres' default keys the last note was leapt onto by a fifth or more in 17% of
    Scottish tunes in D, 12% of Irish ones in G and 8% of Bach's in A minor (60 tunes; real
    held-out tunes 6.5%, 2.6%, 0%): the old tilt pulled the last half bar down at the last
    moment, and Bach's line climbed out of reach of its one A. These 60 tunes (seeds 0-59) did it
    ``before`` times at commit 5573cdb; now the last bar settles down, keeps an ending note in
    reach, and the last note is reached by a fourth at most where one is in reach."""
    leaps = 0
    for s in range(60):
        notes = continue_melody(None, bars=16, genre=genre, meter=meter, sharps=sharps, mode=mode, options=SamplingOptions(seed=s)).melodies[0].notes
        leaps += abs(notes[-1].pitch - notes[-2].pitch) >= 7
    assert leaps <= max(2, round(60 * real)), (leaps, before)


def test_the_approach_to_the_last_note_is_each_genres_real_one_with_the_repeat_capped():
    """form.json 'approach' counts the real tunes' moves onto their last note: Bach chorales
    step down onto it (-2) and never leap a fourth; a re-struck last note gains no more than the
    likeliest step (the models already re-strike a jig's tonic)."""
    from lstmfuse.generation.form import genre_approach
    from lstmfuse.metrics.reference import APPROACH_SPAN

    counts = np.array(form_reference("bach")["approach"])
    assert len(counts) == 2 * APPROACH_SPAN + 1 and counts.sum() > 250
    assert counts.argmax() == APPROACH_SPAN - 2 and counts[np.abs(np.arange(-12, 13)) >= 5].sum() <= 2
    bach = genre_approach({"bach": 1.0})
    at = lambda table, move: table[APPROACH_SPAN + move]  # noqa: E731
    assert at(bach, -2) > at(bach, 0) > at(bach, 5) + 4  # a step, a repeat, a fourth: ~55 times rarer
    irish = genre_approach({"irish": 1.0})
    real_repeat = np.log((form_reference("irish")["approach"][APPROACH_SPAN] + 0.5) / (sum(form_reference("irish")["approach"]) + 12.5))
    assert at(irish, 0) == pytest.approx(max(at(irish, d) for d in (-2, -1, 1, 2)))
    assert at(irish, 0) < real_repeat - 0.9  # 0.46 of real Irish tunes re-strike it, the likeliest step 0.17
    half = genre_approach({"bach": 0.5, "irish": 0.5})
    assert at(bach, 5) < at(half, 5) < at(irish, 5)
    assert genre_approach({"bach": 0.5, "irish": 0.5}).tolist() == genre_approach({"irish": 0.5, "bach": 0.5}).tolist()


def test_a_note_far_from_home_does_not_stretch_up_to_the_last_note():
    """A note that began before the window of the note before the last would still be that note
    if it lasted up to the last note's place: from E4 in A minor (a fourth or a fifth from an A)
    those lengths lose what E lacks of the best way home; shorter ones, and any length from B4
    (a step above A4), lose nothing."""
    from lstmfuse.generation.engine import _approach_lengths
    from lstmfuse.metrics.reference import APPROACH_SPAN

    table = np.full(2 * APPROACH_SPAN + 1, -6.0)
    table[APPROACH_SPAN - 2] = -0.3
    far = np.zeros(V.VOCAB_SIZE)
    _approach_lengths(far, table, 64, frozenset({9}), 57, 81, gap=240)  # E4, the last note a half note away
    half, quarter = V.duration_token(F(2)), V.duration_token(F(1))
    assert far[half] == pytest.approx(-5.7) and far[V.duration_token(F(4))] == pytest.approx(-5.7)
    assert far[quarter] == 0.0 and far[V.pitch_token(64)] == 0.0
    near = np.zeros(V.VOCAB_SIZE)
    _approach_lengths(near, table, 71, frozenset({9}), 57, 81, gap=240)  # B4 steps down onto A4
    assert not near.any()


def test_the_note_before_the_last_is_as_long_as_real_ones_in_its_meter():
    """form.json 'penultimate_notes': a Palestrina line's note before the last is a whole note in
    4/2, twice its median note; Irish jigs' an eighth, as their median."""
    from lstmfuse.generation.form import median_note_ticks, penultimate_note_ticks

    assert penultimate_note_ticks("palestrina", "4/2") == 4 * 120 == 2 * median_note_ticks("palestrina", "4/2")
    assert penultimate_note_ticks("irish", "6/8") == 60 == median_note_ticks("irish", "6/8")
    assert penultimate_note_ticks("irish", "5/4") == median_note_ticks("irish", "5/4")  # too few tunes: the median note


def test_the_note_before_the_last_stands_where_the_genre_can_step_home():
    """The last note gains the approach of the move onto it; the note before it gains the best
    approach over the moves from it onto an ending note in range."""
    from lstmfuse.generation.engine import _approach_bonus
    from lstmfuse.metrics.reference import APPROACH_SPAN

    table = np.full(2 * APPROACH_SPAN + 1, -6.0)
    table[APPROACH_SPAN - 2], table[APPROACH_SPAN + 1], table[APPROACH_SPAN] = -0.3, -2.0, -2.5
    at = lambda scores, p: scores[V.pitch_token(p)]  # noqa: E731
    last = np.zeros(V.VOCAB_SIZE)
    _approach_bonus(last, table, 71, frozenset({9}), 57, 81, final=True)  # from B4, the last note
    assert at(last, 69) == -0.3 and at(last, 72) == -2.0 and at(last, 71) == -2.5 and at(last, 64) == -6.0
    assert last[V.REST] == 0.0
    before = np.zeros(V.VOCAB_SIZE)
    _approach_bonus(before, table, 64, frozenset({9}), 57, 81, final=False)  # A minor: A3 and A4 in range
    assert at(before, 71) == at(before, 59) == -0.3  # B4 and B3 step down onto an A
    assert at(before, 68) == -2.0 and at(before, 69) == -2.5  # the leading tone; the A itself
    assert at(before, 64) == -6.0  # E4: only a fourth or a fifth from an A


@pytest.mark.parametrize("genre, meter, mode, before, most", [("bach", "4/4", "minor", 11, 5), ("palestrina", "4/2", "major", 15, 7)])
def test_chorale_and_motet_lines_do_not_leap_a_fourth_onto_their_last_note(genre, meter, mode, before, most):
    """Real Bach chorale melodies and Palestrina lines never leap a fourth or more onto their
    last note (0 of 93 and 266 held-out tunes); tunes from nothing in their default keys did in
    11 and 15 of these 60 (seeds 0-59, commit 22a17b3), Bach mostly E up to A, a bass's cadence
    in a soprano. The note before the last now stands where the genre steps home (4 and 5)."""
    leaps = 0
    for s in range(60):
        notes = continue_melody(None, bars=16, genre=genre, meter=meter, sharps=0, mode=mode, options=SamplingOptions(seed=s)).melodies[0].notes
        leaps += abs(notes[-1].pitch - notes[-2].pitch) >= 5
    assert leaps <= most, (leaps, before)


# ------------------------------------------------------------------ pickups (upbeats)


def _pickup(m: Melody) -> F:
    first = m.events[0]
    return (m.bar_length - first.bar_pos) % m.bar_length


def test_tunes_from_nothing_start_on_an_upbeat_as_often_as_real_tunes_and_end_on_the_short_bar():
    """Held-out Irish tunes start on a pickup 77% of the time, and most of those end on the
    short bar that completes it; tunes from nothing did neither (0 of 40 before the pickups)."""
    shares = form_reference("irish")["pickups"]["6/8"]
    real = 1 - shares["0.0"] / sum(shares.values())
    assert 0.6 < real < 0.9
    with_pickup = short_end = 0
    for seed in range(16):
        r = continue_melody(None, bars=8, genre="irish", meter="6/8", options=SamplingOptions(seed=seed))
        m = r.melodies[0]
        p = _pickup(m)
        starts = [e.onset for e in m.events if e.bar_pos == 0]
        if m.end - starts[-1] == m.bar_length - p:  # the last bar completes the upbeat: 8 bars in all
            assert m.end - m.events[0].onset == 8 * m.bar_length
            short_end += p > 0
        else:  # the upbeat, then 8 whole bars
            assert p > 0 and m.end - starts[-1] == m.bar_length and m.end - m.events[0].onset == 8 * m.bar_length + p
        with_pickup += p > 0
        assert (p > 0) == ("pickup_quarters" in r.settings)
    assert 8 <= with_pickup <= 16 and short_end >= with_pickup // 2


def test_with_an_upbeat_every_phrase_starts_with_one_and_copies_keep_it():
    """Real tunes that start with an upbeat start every phrase with one (a note where the
    upbeat stood in 85-96% of phrase-final bars): the plan's phrases are four bars from upbeat
    to upbeat, each phrase but the last closes before the next upbeat, a cadence note of a
    compound meter starts on its dotted-quarter beat (a breath too: its note, then a rest to
    the upbeat), and a copy keeps the upbeat."""
    bar = to_ticks(F(3))  # a bar of 6/8
    p = bar // 6  # an eighth
    assert _phrase_ticks(16 * bar, p, bar, 0, pickup=True) == [4 * bar] * 4  # ends on the short bar
    assert _phrase_ticks(16 * bar + p, p, bar, 0, pickup=True) == [4 * bar] * 3 + [4 * bar + p]  # ends on a whole bar
    rng = np.random.default_rng(0)
    copies = 0
    for _ in range(40):
        plan = choose_plan("auto", "irish", meter="6/8", budget_ticks=16 * bar, lead_ticks=p, bar_ticks=bar,
                           passage=None, end_on_stable=True, rng=rng, pickup_ticks=p)
        segs = plan.segments
        assert [s.ticks for s in segs] == [4 * bar] * 4
        assert segs[-1].relation in ("new", "varied")  # the last phrase closes the tune itself
        assert 60 <= segs[-1].end_ticks <= bar - p
        for s in segs[:-1]:
            if s.relation not in ("exact", "transposed") and not s.end_rest:  # a copy's ending is its source's
                assert s.end_ticks in (60, 120), s  # an eighth, or a quarter from the second beat
            elif s.end_rest:  # a breath: the cadence note on a dotted-quarter beat, then a rest to the upbeat
                assert (bar - p - s.end_ticks) % (3 * p) == 0 and s.end_ticks - s.end_rest >= p, s
        for s in segs:
            assert s.upbeat == p
            copies += s.source is not None
    assert copies >= 5


def test_a_melody_with_an_upbeat_is_written_as_a_pickup_bar_and_reads_back_the_same(tmp_path):
    from lstmfuse.encoding.extract import melody_from_part, pick_part
    from lstmfuse.generation.score_write import melody_to_score
    from lstmfuse.io import load
    from lstmfuse.io.schema import validate_musicxml

    m = continue_melody(None, bars=4, genre="irish", meter="6/8", options=SamplingOptions(seed=1)).melodies[0]
    assert _pickup(m) > 0, "seed 1 draws an upbeat"
    path = tmp_path / "pickup.musicxml"
    melody_to_score(m).write("musicxml", str(path))
    assert validate_musicxml(path) == []
    text = path.read_text()
    assert '<measure implicit="yes" number="0">' in text
    back = melody_from_part(pick_part(load(path)))
    assert [(e.pitch, e.onset, e.duration, e.bar_pos) for e in back.events] == [
        (e.pitch, e.onset, e.duration, e.bar_pos) for e in m.events
    ]


def test_no_upbeat_with_form_free():
    m = continue_melody(None, bars=4, genre="irish", meter="6/8", options=SamplingOptions(seed=1, form="free")).melodies[0]
    assert m.events[0].bar_pos == 0


def test_sampling_defaults_proof_writes_tunes_at_each_setting_and_marks_the_best():
    from lstmfuse.evaluation.sampling_defaults import markdown, tunes

    hot = tunes("irish", 3, 1.0, 0.98, bars=4)
    cool = tunes("irish", 3, 0.9, 0.95, bars=4)
    assert len(hot) == len(cool) == 3 and [m.meter for m in hot] == [m.meter for m in cool]  # same meters drawn
    assert [m.events for m in hot] != [m.events for m in cool]
    row = {"interval": 0.9, "note_length": 0.8, "pitch_class": 0.7, "scalars": 0.6, "judge_share": 0.5}
    table = markdown({"genres": {"irish": [dict(row, temperature=0.9, top_p=0.95, mean=0.75), dict(row, temperature=1.0, top_p=0.98, mean=0.8)]}})
    assert "| irish | 1 / 0.98 | 0.900 | 0.800 | 0.700 | 0.600 | **0.800** | 0.50 |" in table


@pytest.mark.parametrize("knob", ["LEAD_GUIDE", "LEAD_RHYTHM"])
def test_lead_guide_setting_is_restored_and_its_report_reads_as_a_table(monkeypatch, knob):
    """The lead-pull measurement varies a module constant: it must put the default back even
    when a run fails, and its table names each pair's real reference."""
    from lstmfuse.evaluation import lead_guide
    from lstmfuse.generation import continuation

    default = getattr(continuation, knob)
    monkeypatch.setattr(lead_guide, "judge", lambda: (None, "none"))
    monkeypatch.setattr(lead_guide, "_real_tunes", lambda g, meter: [])

    def failing(*args, **kwargs):
        assert getattr(continuation, knob) == 3.0
        raise RuntimeError("stop")

    monkeypatch.setattr(lead_guide, "fusions", failing)
    with pytest.raises(RuntimeError):
        lead_guide.run(1, knob, settings=(3.0,))
    assert getattr(continuation, knob) == default
    report = {"n": 1, "knob": knob, "real_unit_short_notes": {"folk 6/8": 0.74, "irish 6/8": None}, "rows": [
        {"setting": 2.0, "pair": ["folk", "irish"], "meter": "6/8", "leap_into_unit": 2.9, "leap_inside_unit": 2.1,
         "p_a": 0.3, "p_b": 0.3, "short_notes_folk_led": 0.64, "short_notes_irish_led": None,
         "length_distance_folk_led": 0.061, "length_distance_irish_led": None, "p_folk_in_folk_led": 0.65, "p_irish_in_irish_led": None}]}
    table = lead_guide.markdown(report)
    assert f"| {knob} | pair (meter) |" in table
    assert "| 2 | folk+irish (6/8) | 0.64 (0.74) | n/a (n/a) | 0.06; n/a | 0.65; n/a | 2.90 / 2.10 | 0.30 + 0.30 |" in table


def test_note_length_distance_from_real_units():
    """0 for the same lengths as often, 1 for none in common, halfway for half moved."""
    from fractions import Fraction as F

    from lstmfuse.encoding.events import Melody, NoteEvent
    from lstmfuse.evaluation.lead_guide import length_distance, length_shares

    def unit(lengths):
        t, events = F(0), []
        for d in lengths:
            events.append(NoteEvent(60, t, F(d), t % 2))
            t += F(d)
        return Melody(events=events, meter="2/4")

    eighths = length_shares([unit(["1/2"] * 4)])
    assert eighths == {F(1, 2): 1.0}
    assert length_distance([unit(["1/2"] * 4)], eighths) == 0.0
    assert length_distance([unit([1, 1])], eighths) == 1.0
    assert length_distance([unit(["1/2", "1/2", 1])], eighths) == pytest.approx(1 / 3)
    assert length_distance([], eighths) is None


def test_blend_proof_runs_earlier_designs_with_the_guides_they_were_built_with(monkeypatch):
    """The mixture alone and the 0.6 leads predate LEAD_GUIDE and LEAD_RHYTHM: measured with
    them they would be other designs. Only the default runs with the defaults, and the
    constants are put back."""
    from lstmfuse.evaluation import blend_proof
    from lstmfuse.generation import continuation

    seen = []
    monkeypatch.setattr(blend_proof, "judge", lambda: (None, "none"))
    monkeypatch.setattr(blend_proof, "real_reference", lambda *a, **k: {})
    monkeypatch.setattr(blend_proof, "sweep", lambda *a: seen.append((continuation.LEAD_SHARE, continuation.LEAD_GUIDE, continuation.LEAD_RHYTHM)) or {})
    share, guide, rhythm = continuation.LEAD_SHARE, continuation.LEAD_GUIDE, continuation.LEAD_RHYTHM
    blend_proof.run(1)
    assert sorted(set(seen)) == sorted({(0.0, 1.0, 1.0), (0.6, 1.0, 1.0), (share, guide, rhythm)})
    assert (continuation.LEAD_SHARE, continuation.LEAD_GUIDE, continuation.LEAD_RHYTHM) == (share, guide, rhythm)


def test_real_palestrina_is_rebarred_into_2_2_only_by_adding_barlines():
    from lstmfuse.evaluation.blend_proof import rebarred

    # a 4/2 line with a half-note upbeat: whole, half, half, breve
    events, t = [], F(0)
    for pitch, d in ((67, F(2)), (69, F(4)), (71, F(2)), (72, F(2)), (74, F(8))):
        events.append(NoteEvent(pitch, t, d, (t + 6) % 8))
        t += d
    m = Melody(events, meter="4/2", meters=[(F(0), "4/2")])
    r = rebarred(m, "2/2")
    assert r.meter == "2/2" and r.meters == [(F(0), "2/2")]
    assert [(e.pitch, e.onset, e.duration) for e in r.events] == [(e.pitch, e.onset, e.duration) for e in m.events]
    assert [e.bar_pos for e in r.events] == [F(2), F(0), F(0), F(2), F(0)]
    assert rebarred(m, "4/4") is None  # another beat unit
    assert rebarred(Melody(events, meter="3/2", meters=[(F(0), "3/2")]), "2/2") is None  # 3/2 is not whole 2/2 bars


def _upbeat_tune(restated: bool = True) -> Melody:
    """8 bars of 4/4 after a quarter upbeat (G): phrase 1 closes on E (beat 2-3 of bar 4), then
    G, the next phrase's upbeat; phrase 2 repeats phrase 1 and ends on the short bar."""
    close = [(62, Q), (64, H), (67, Q)] if restated else [(62, Q), (64, H + Q)]
    body = BAR_A + BAR_C + BAR_A
    return line([(67, Q)] + body + close + body + [(62, Q), (64, H)], start=F(3))


def test_phrases_of_a_tune_with_an_upbeat_are_measured_from_upbeat_to_upbeat():
    m = _upbeat_tune()
    phrases = phrase_layout(m)
    assert [p["relation"] for p in phrases] == ["new", "exact"]
    # the cadence is the note before the next upbeat (E, the 3rd), held half a bar to the upbeat
    assert phrases[0]["cadence"] == "other" and phrases[0]["end_last"] == 0.5
    # on the barline grid the "cadence" was the next phrase's upbeat (G, the 5th)
    assert phrase_layout(m, offset=F(0))[0]["cadence"] == "dominant"
    assert upbeat_restated(m) == 1.0 and upbeat_restated(_upbeat_tune(restated=False)) == 0.0
    assert math.isnan(upbeat_restated(line(BAR_A * 8)))  # no upbeat: undefined


def test_cadence_before_an_upbeat_starts_on_the_pulse():
    from lstmfuse.generation.form import _cadence_before_upbeat, _pulse

    q = to_ticks(F(1))
    six_eight, four_four, cut = to_ticks(F(3)), to_ticks(F(4)), to_ticks(F(4))
    # 6/8, eighth upbeat: a quarter on the second beat; never a note across the beat
    assert _cadence_before_upbeat(1 / 3, six_eight, q // 2, _pulse("6/8")) == q
    assert _cadence_before_upbeat(1.0, six_eight, q // 2, _pulse("6/8")) == q
    # 4/4, quarter upbeat: a half on beat 2, or the dotted half from the downbeat
    assert _cadence_before_upbeat(0.5, four_four, q, _pulse("4/4")) == 2 * q
    assert _cadence_before_upbeat(0.75, four_four, q, _pulse("4/4")) == 3 * q
    # 2/2: the quarter is the pulse, not the half-note beat
    assert _pulse("2/2") == q and _cadence_before_upbeat(0.25, cut, q // 2, _pulse("2/2")) == q + q // 2


def test_tunes_from_nothing_with_an_upbeat_restate_it_before_every_phrase():
    """Real phrase-final bars hold the next phrase's upbeat in 0.86 (folk), 0.91 (Irish),
    0.84 (Scottish), 0.98 (Bach) of tunes with one; generated tunes held it in 0.28, 0.74,
    0.32, 0.41 at commit 4542d8c (docs/form.md)."""
    shares = []
    for seed in range(12):
        r = continue_melody(None, bars=16, genre="folk", meter="6/8", options=SamplingOptions(seed=seed))
        v = upbeat_restated(r.melodies[0])
        if v == v:
            shares.append(v)
    assert len(shares) >= 6 and np.mean(shares) >= 0.8, shares


def test_the_median_note_a_phrase_end_must_exceed_is_the_genres_in_that_meter():
    from lstmfuse.generation.form import median_note_ticks

    assert median_note_ticks("irish", "2/4") == to_ticks(F(1, 4))  # polkas and reels in 2/4 run in sixteenths
    assert median_note_ticks("irish", "6/8") == to_ticks(F(1, 2))
    assert median_note_ticks("folk", "4/4") == to_ticks(F(1))
    assert median_note_ticks("irish", "5/4") == median_note_ticks("irish")  # no tunes there: the genre's


def test_a_genre_that_never_starts_on_an_upbeat_takes_the_lead_at_the_barline():
    """Palestrina never starts a phrase on an upbeat; in a Scottish tune whose phrases do, its
    half-phrases start at the barline after the upbeat, which the lead before it writes."""
    from lstmfuse.generation import continuation
    from lstmfuse.generation.form import FormPlan, Segment, never_upbeat
    from lstmfuse.generation.stack import LSTMStack
    from lstmfuse.models.registry import FUSION, load_model

    assert never_upbeat("palestrina") and not never_upbeat("scottish")
    fusion = load_model(FUSION)
    order = list(fusion.config.genres)
    active = [g for g in order if g in ("palestrina", "scottish")]
    stack = LSTMStack([fusion] + [load_model(g) for g in active], [np.zeros(len(order))] + [None] * len(active))
    bar, upbeat = 4 * 120, 60  # 2/2, an eighth upbeat: the tune starts 420 ticks into its bar
    plan = FormPlan((Segment(4 * bar, upbeat=upbeat), Segment(4 * bar, upbeat=upbeat)))
    leads = continuation._lead_schedule(plan, {"palestrina": 0.5, "scottish": 0.5}, active, order, stack,
                                        np.random.default_rng(0), bar, bar - upbeat)
    assert {lead.genre for lead in leads} == {"palestrina", "scottish"}
    for lead, half in zip(leads, (0, 2 * bar, 4 * bar, 6 * bar)):
        shifted = half and lead.genre == "palestrina"
        assert lead.tick == half + (upbeat if shifted else 0), (lead.genre, lead.tick)
        if lead.tick:
            assert (bar - upbeat + lead.tick) % bar == (0 if shifted else bar - upbeat)
    # without an upbeat nothing moves
    plain = continuation._lead_schedule(FormPlan((Segment(4 * bar), Segment(4 * bar))), {"palestrina": 0.5, "scottish": 0.5},
                                        active, order, stack, np.random.default_rng(0), bar, 0)
    assert [lead.tick for lead in plain] == [0, 2 * bar, 4 * bar, 6 * bar]


def test_a_tune_ending_on_a_whole_bar_ends_as_real_ones_that_do():
    """Real Irish jigs that end on a whole bar end on a quarter (0.33 bar) far more often than
    on a dotted quarter; every final used to be rounded up to a beat (a dotted quarter, 0.54 bar
    on average where real ones are 0.30), which the style judge heard as Scottish. Finals are
    now drawn from the real tunes that end on a whole bar, to the nearest eighth, at least a
    quarter (no final eighth at the end of a bar)."""
    from lstmfuse.generation import form

    assert len(form_reference("irish")["final_bars_whole_bar"]["6/8"]) >= 100
    rng = np.random.default_rng(0)
    jig = [form._final_ticks("irish", "6/8", 360, rng) for _ in range(400)]
    assert min(jig) == 120 and jig.count(120) > 2 * jig.count(180), (jig.count(120), jig.count(180))
    # the real lengths (since 2026-12-03 only from jigs that end on a barline), an eighth raised
    # to a quarter: their mean, and below a beat-rounded final's 0.54 bar
    real = [max(120, int(v * 360 / 60 + 0.5) * 60) for v in form_reference("irish")["final_bars_whole_bar"]["6/8"]]
    assert abs(float(np.mean(jig)) - float(np.mean(real))) < 12 and float(np.mean(jig)) / 360 < 0.5
    reel = [form._final_ticks("irish", "2/2", 480, rng) for _ in range(400)]
    assert min(reel) == 120  # a reel's final eighth becomes a quarter
    assert all(t % 60 == 0 for t in jig + reel)


@pytest.mark.parametrize("seed, meter", [(4, "3/4"), (9, "6/8"), (22, "3/4"), (28, "3/4")])
def test_a_tune_does_not_rest_in_its_closing_bar_before_its_last_note(seed, meter):
    """No held-out folk tune rests right before its last note (0 of 400), and 6 of 400 rest in
    the bar before it; these four folk tunes from nothing did (a quarter rest, then the tonic:
    the ending hangs), 10% of 40 such tunes did before the closing bar was kept free of rests."""
    m = continue_melody(None, bars=16, genre="folk", meter=meter, options=SamplingOptions(seed=seed)).melodies[0]
    events = list(m.events)
    while events and events[-1].pitch is None:
        events.pop()
    final = events[-1]
    assert final.pitch is not None and final.end == m.end
    closing = [e for e in events[:-1] if e.end > final.onset - m.bar_length]
    assert closing and all(e.pitch is not None for e in closing), [(e.pitch, e.duration) for e in events[-6:]]


def test_a_blend_from_nothing_begins_with_a_note():
    """Palestrina's parts often wait for their imitative entry (55% of held-out ones begin with
    a rest), and 13 of 60 Palestrina + Scottish fusions began so, some with two bars of silence;
    no other genre's tunes do. A pure Palestrina tune may (its parts' manner), and rests inside
    a blend are still written."""
    from lstmfuse.evaluation import blend_proof as bp

    blends = [m for r in bp.fusions(12, 8, 0, {"palestrina": 0.5, "scottish": 0.5}, "2/2") for m in r.melodies]
    blends += [m for r in bp.fusions(12, 8, 0, {"palestrina": 0.5, "bach": 0.5}, "4/4") for m in r.melodies]
    assert all(m.events[0].pitch is not None for m in blends), [m.events[0] for m in blends if m.events[0].pitch is None]
    assert any(e.pitch is None for m in blends for e in m.events)
    pure = [continue_melody(None, bars=8, genre="palestrina", meter="4/2", options=SamplingOptions(seed=s)).melodies[0] for s in range(12)]
    assert any(m.events[0].pitch is None for m in pure)


def test_dotted_pair_share_counts_a_dotted_eighth_then_a_sixteenth():
    from lstmfuse.metrics.rhythm import dotted_pair_share

    swing = line([(67, F(3, 4)), (69, F(1, 4)), (71, F(3, 4)), (67, F(1, 4)), (69, F(1, 2)), (71, F(1, 2)), (72, F(1))])
    assert dotted_pair_share(swing) == pytest.approx(2 / 7)
    snap = line([(67, F(1, 4)), (69, F(3, 4)), (71, F(3))])  # a Scotch snap is the other way round
    assert dotted_pair_share(snap) == 0.0
    assert dotted_pair_share(line([])) == 0.0


def test_a_plan_whose_template_swings_gives_an_irish_tune_its_swing():
    from lstmfuse.generation import form
    from lstmfuse.generation.form import FormPlan, Segment, with_template_feel

    hornpipe, reel = "irish/oneills1850/0001-0050.abc#2", "irish/oneills1850/0001-0050.abc#6"
    assert form._dotted_shares("irish")[hornpipe] > form.SWINGING_TEMPLATE >= form._dotted_shares("irish")[reel]
    plan = FormPlan((Segment(4 * 480),), "A", hornpipe)
    assert with_template_feel(plan, "4/4").feel == form.TEMPLATE_FEEL["irish"] > 0
    assert with_template_feel(plan, "6/8").feel == 0  # a jig's beat is three eighths
    assert with_template_feel(FormPlan((Segment(4 * 480),), "A", reel), "4/4").feel == 0
    scottish = next(k for k, v in form._dotted_shares("scottish").items() if v > form.SWINGING_TEMPLATE)
    assert with_template_feel(FormPlan((Segment(4 * 480),), "A", scottish), "4/4").feel == 0  # swings on its own


def test_irish_tunes_in_4_4_swing_as_often_as_real_hornpipes_do():
    """Real held-out Irish 4/4 tunes: 0.138 of their events are a dotted eighth and a sixteenth,
    47% of tunes swing (hornpipes). The model alone wrote 0.073 and 27% for these 30 tunes
    (0.060 and 20% for 60); with its template's feel on the first phrase 0.13 and 43%, 0.14 and
    43% since tunes from nothing lie at a real tune's level (15ede98)."""
    from lstmfuse.metrics.rhythm import dotted_pair_share

    shares = np.array([dotted_pair_share(continue_melody(None, bars=16, genre="irish", meter="4/4", options=SamplingOptions(seed=s)).melodies[0]) for s in range(30)])
    assert 0.10 <= shares.mean() <= 0.18, shares.mean()
    assert 0.33 <= (shares > 0.1).mean() <= 0.6


def test_in_a_blend_the_lead_of_the_last_half_phrase_closes_the_tune_its_own_way():
    """A Palestrina-led last half-phrase on a Scottish template ended on the Scottish template's
    quarter (0.27 bar on average over 22 such tunes), a Scottish-led one on a Palestrina
    template's long final; now the closing lead draws the final's degree and length."""
    from lstmfuse.evaluation.blend_proof import fusions
    from lstmfuse.generation.form import FormPlan, Segment, closing_in

    last = Segment(4 * 480, cadence="tonic", end_ticks=120)
    plan = FormPlan((Segment(4 * 480, cadence="dominant"), last), "AB", "scottish/x.abc#1")
    rng = np.random.default_rng(0)
    closed = [closing_in(plan, "palestrina", "2/2", 480, rng).segments[-1] for _ in range(50)]
    assert all(s.end_ticks >= 240 for s in closed)  # Palestrina ends on a long note
    degrees = {0 if s.cadence == "tonic" else int(s.cadence.removeprefix("degree")) for s in closed}
    assert degrees <= {int(d) for d in form_reference("palestrina")["final_degrees"]} and len(degrees) > 1
    assert closing_in(plan, "scottish", "2/2", 480, rng) == plan  # its own template's genre
    copied = FormPlan((plan.segments[0], Segment(4 * 480, "exact", 0, cadence="copied")), "AA", "scottish/x.abc#1")
    assert closing_in(copied, "palestrina", "2/2", 480, rng) == copied
    # in real fusions: tunes whose last half-phrase Palestrina leads end on half a bar or more
    results = fusions(36, 16, 0, {"palestrina": 0.5, "scottish": 0.5}, "2/2")  # 24 until the last lead of 5 of them was Palestrina (2026-12-03)
    finals = [float(r.melodies[0].notes[-1].duration / r.melodies[0].bar_length) for r in results if r.leads[0][-1][1] == "palestrina"]
    assert len(finals) >= 6 and np.mean(finals) >= 0.45, finals


# a 6/8 passage from upbeat to upbeat: two phrases (an eighth upbeat and four bars less the
# next phrase's upbeat), then the third phrase's upbeat at the end of its last bar
PHRASE_A = [(67, E), (72, Q), (71, E), (72, Q), (74, E), (76, 3 * E), (74, 3 * E), (72, Q), (71, E), (69, Q), (67, E), (72, 3 * E), (72, Q)]
PHRASE_B = [(74, E), (76, Q), (77, E), (79, Q), (76, E), (74, 3 * E), (71, 3 * E), (72, Q), (74, E), (76, Q), (74, E), (72, 3 * E), (72, Q)]


def test_a_continuation_of_a_passage_with_an_upbeat_runs_its_phrases_from_upbeat_to_upbeat():
    """Real tunes that begin with an upbeat begin every phrase with one (85-96% of phrase-final
    bars hold a note where the upbeat stood). A continuation of such a passage plans its phrases
    on the same grid: the first, whose upbeat the passage's last bar already holds, restates the
    passage's first phrase without it, and ends before the next upbeat; the last, which ends on
    the barline, repeats the start of its source with the upbeat."""
    eighth = to_ticks(E)
    bar = 6 * eighth
    assert _phrase_ticks(8 * bar, 0, bar, 0, upbeat=eighth) == [4 * bar - eighth, 4 * bar + eighth]
    assert _phrase_ticks(8 * bar, 0, bar, 2, upbeat=eighth) == [2 * bar - eighth, 4 * bar, 2 * bar + eighth]
    passage = line(PHRASE_A + PHRASE_B + [(67, E)], meter="6/8", start=F(5, 2))
    assert passage.end == 9 * passage.bar_length
    r = continue_melody(passage, bars=8, genre="irish", options=SamplingOptions(seed=0, form="ABAB"))
    phrases = r.plans[0]["phrases"]
    assert [p["ticks"] for p in phrases] == [4 * bar - eighth, 4 * bar + eighth]
    assert [p["source"] for p in phrases] == [-2, -1]
    new = r.melodies[0]
    assert new.events[0].onset == passage.end
    got = [(e.pitch, e.duration) for e in new.events]
    assert got[: len(PHRASE_A) - 1] == PHRASE_A[1:]  # phrase A after its upbeat, ending before the next upbeat
    assert new.events[len(PHRASE_A) - 1].onset == passage.end + 4 * passage.bar_length - E
    assert got[len(PHRASE_A) - 1 : len(PHRASE_A) + 6] == PHRASE_B[:7]  # B's upbeat and its first two bars
    assert new.end == passage.end + 8 * passage.bar_length


def test_a_later_phrase_copies_the_first_with_the_upbeat_the_passage_played():
    """The continuation's first phrase begins with the passage's closing upbeat; a phrase that
    repeats it repeats that upbeat too (form._whole_phrase, engine._end_segment)."""
    passage = line(PHRASE_A + PHRASE_B + [(67, E)], meter="6/8", start=F(5, 2))
    r = continue_melody(passage, bars=8, genre="irish", options=SamplingOptions(seed=3, form="ABCC"))
    assert [p["source"] for p in r.plans[0]["phrases"]] == [None, 0]
    new = r.melodies[0]
    second = passage.end + 4 * passage.bar_length - E  # where the second phrase's upbeat stands
    first = [(e.pitch, e.duration) for e in new.events if e.onset < passage.end + 2 * passage.bar_length]
    copied = [(e.pitch, e.duration) for e in new.events if second <= e.onset < second + E + 2 * passage.bar_length]
    assert copied == [(67, E)] + first  # the passage's upbeat, then the first phrase's first two bars


def test_the_form_proof_counts_phrase_ends_that_hold_the_upbeat(monkeypatch):
    from lstmfuse.evaluation import form_proof
    from lstmfuse.evaluation.form_proof import continuation_upbeats, markdown
    from lstmfuse.metrics.form import upbeat_hits

    restated = line(PHRASE_A + PHRASE_B + [(67, E)], meter="6/8", start=F(5, 2))
    held = line(PHRASE_A[:-1] + [(72, Q + E)] + PHRASE_B[1:] + [(67, E)], meter="6/8", start=F(5, 2))
    assert upbeat_hits(restated, from_bar=0) == [True]  # bar 4 holds B's upbeat; bar 8 is the last
    assert upbeat_hits(held, from_bar=0) == [False]
    assert upbeat_hits(restated, from_bar=4) == []
    tune = line((PHRASE_A + PHRASE_B) * 3 + [(67, E)], meter="6/8", start=F(5, 2))  # 24 bars from upbeat to upbeat
    monkeypatch.setattr(form_proof, "load_corpus", lambda genre, split: [("a", tune), ("b", tune), ("c", restated)])
    report = continuation_upbeats(["irish"], n=2, seeds=1)
    u = report["irish"]
    assert u["passages"] == 2 and u["phrase_ends"] == 4 and u["real_upbeat_restated"] == 1.0  # bars 12 and 16 of each
    assert 0 <= u["upbeat_restated"] <= 1 and 0 <= u["p_genre"] <= 1 and 0 <= u["phrases_copying"] <= 1
    assert "| irish | 2 |" in markdown({"genres": {}, "continuation_upbeats": report})
    middle = continuation_upbeats(["irish"], n=1, seeds=1, first_bar=4)["irish"]  # bars 5-12, continued to bar 24
    assert middle["real_upbeat_restated"] == 1.0 and middle["phrase_ends"] == 2 and 0 <= middle["unplaced_upbeat_restated"] <= 1


def test_a_passage_from_the_middle_of_a_tune_keeps_the_tunes_phrase_grid():
    """A selection from bar 5 of a jig that opens on an eighth begins on a downbeat, but its
    phrases run from upbeat to upbeat as the tune's do: with its TunePosition the continuation's
    phrases end before the tune's next upbeat; one from bar 3 completes the phrase it is in."""
    from lstmfuse import TunePosition

    eighth = to_ticks(E)
    bar = 6 * eighth
    # bars 5-8 of the tune of PHRASE_A + PHRASE_B: phrase B after its upbeat, then the next upbeat
    passage = line(PHRASE_B[1:] + [(67, E)], meter="6/8")
    opts = SamplingOptions(seed=0)
    unplaced = continue_melody(passage, bars=8, genre="irish", options=opts)
    assert [p["ticks"] for p in unplaced.plans[0]["phrases"]] == [4 * bar, 4 * bar]  # taken to start a phrase on its barline
    placed = continue_melody(passage, bars=8, genre="irish", options=opts, position=TunePosition(4, E))
    assert [p["ticks"] for p in placed.plans[0]["phrases"]] == [4 * bar - eighth, 4 * bar + eighth]
    middle = continue_melody(passage, bars=8, genre="irish", options=opts, position=TunePosition(2, E))
    assert [p["ticks"] for p in middle.plans[0]["phrases"]] == [2 * bar - eighth, 4 * bar, 2 * bar + eighth]
    # a phrase wholly inside the passage may be restated: bars 1-8 placed at bar 0 find phrase A and B
    whole = line(PHRASE_A + PHRASE_B + [(67, E)], meter="6/8", start=F(5, 2))
    same = continue_melody(whole, bars=8, genre="irish", options=SamplingOptions(seed=0, form="ABAB"), position=TunePosition(0, E))
    assert [(e.pitch, e.duration) for e in same.melodies[0].events][: len(PHRASE_A) - 1] == PHRASE_A[1:]
    with pytest.raises(UsageError, match="upbeat"):
        continue_melody(passage, bars=4, genre="irish", position=TunePosition(0, F(3)))
    with pytest.raises(UsageError, match="bars before"):
        continue_melody(passage, bars=4, genre="irish", position=TunePosition(-1, E))


def test_a_phrase_breathes_halfway_where_its_real_template_did():
    """Real chorales lengthen bar 2 of the 4-bar grid as often as bar 4 (their phrases are two
    bars): a plan takes each template phrase's first-half breath (form._mid_breath), and the
    engine holds a note or rest across the last mid_ticks before the half's end (or, where the
    real half ended on a rest, a note up to the rest and the rest to the half's end)."""
    held = planned = capped = 0
    for seed in range(12):
        r = continue_melody(None, bars=8, genre="bach", meter="4/4", options=SamplingOptions(seed=seed))
        m = r.melodies[0]
        start = m.events[0].onset
        for ph in r.plans[0]["phrases"]:
            capped += ph["mid_cap"] > 0
            if ph["mid_ticks"]:
                planned += 1
                mid = start + F(ph["mid_at"], V.TICKS_PER_QUARTER)
                z = F(ph["mid_ticks"], V.TICKS_PER_QUARTER)
                rest = F(ph.get("mid_rest", 0), V.TICKS_PER_QUARTER)
                # a breath: the note across the zone's start stops short and a rest ends the half
                # (where the chorale's small rest cap leaves room for it; else the note is held)
                breath = rest and any(e.pitch is not None and e.onset <= mid - z and e.end == mid - rest for e in m.events) and any(
                    e.pitch is None and e.end == mid and e.duration == rest for e in m.events)
                held += bool(breath) or any(e.onset <= mid - z and e.end >= mid for e in m.events)
            start += F(ph["ticks"], V.TICKS_PER_QUARTER)
    assert planned >= 6 and held == planned
    assert capped == 0  # a chorale's median note is its beat: no cap ("not breathing" is its plain motion)


def test_a_phrase_breathes_halfway_only_in_genres_whose_real_phrases_do():
    """Real chorales lengthen bar 2 of the 4-bar grid far more than bars 1 and 3; Palestrina
    lengthens every bar alike (a long note in each 4/2 bar), so its bar 2 is no breath point, and
    planning one there made a quarter of its tunes move in whole notes (real: 6%)."""
    from lstmfuse.generation import form
    from lstmfuse.metrics.form import _median_note

    for genre in ("folk", "irish", "scottish", "bach", "palestrina"):
        assert len(form_reference(genre)["lengthening_by_bar"]) == 4
    assert [form.breathes_midway(g) for g in ("folk", "irish", "scottish", "bach", "palestrina")] == [True, True, True, True, False]
    tunes = [continue_melody(None, bars=16, genre="palestrina", meter="4/2", options=SamplingOptions(seed=s)).melodies[0] for s in range(60)]
    plans = [continue_melody(None, bars=16, genre="palestrina", meter="4/2", options=SamplingOptions(seed=s)).plans[0] for s in range(5)]
    assert all(ph["mid_at"] == 0 and ph["mid_ticks"] == 0 for plan in plans for ph in plan["phrases"])
    whole = sum(_median_note(m) >= 4 for m in tunes)
    # at most a fifth of them, as before with 40 tunes (<= 8): 60 tunes read 8 before the approach
    # to the last note (commit 2547897), 10 since (seeds 1000-1059: 7 and 7); 11 of the first 40
    # with the breath planned (real 6% of tunes)
    assert whole <= 12, whole


def test_half_phrase_lengthening_counts_bar_two_of_each_phrase():
    from lstmfuse.metrics.form import form_metrics

    quarters = [(60, Q)] * 4
    breath = [(60, Q), (62, Q), (64, H)]  # a half note longer than the tune's median quarter
    tune = line(quarters + breath + quarters + breath + quarters + quarters + quarters + breath)
    f = form_metrics(tune)
    assert f["half_phrase_lengthening"] == 0.5  # bar 2 breathes, bar 6 does not
    assert f["phrase_end_lengthening"] == 1.0  # bar 4 and bar 8 do


def test_a_phrase_ends_on_the_3rd_4th_or_6th_where_its_template_did():
    """A third of real folk and Bach phrase ends fall on neither the tonic nor the dominant (0.33,
    0.35); with those planned "open", ours fell there in 0.06 and 0.14 (the model's own choice
    is the tonic or the dominant). Such a template phrase now plans an "other" cadence."""
    assert cadence_pitch_classes("other", False) == frozenset({4, 5, 9})  # E F A in C major
    assert cadence_pitch_classes("other", True) == frozenset({0, 2, 5})  # C D F in A minor
    rng = np.random.default_rng(0)
    bar = 480
    seen = set()
    for _ in range(30):
        plan = choose_plan("auto", "folk", meter="4/4", budget_ticks=16 * bar, lead_ticks=0, bar_ticks=bar,
                           passage=None, end_on_stable=True, rng=rng)
        seen |= {s.cadence for s in plan.segments[:-1]}
    assert "other" in seen and "open" not in seen


def test_phrase_end_other_counts_phrase_ends_off_the_tonic_and_dominant():
    from lstmfuse.metrics.form import form_metrics

    body = [(60, Q)] * 12
    tune = line(body + [(62, Q), (64, H + Q)] + body + [(62, Q), (67, H + Q)] + body + [(60, W)])
    assert form_metrics(tune)["phrase_end_other"] == 0.5  # bar 4 ends on E, bar 8 on G; bar 12 is the last


def test_the_endings_proof_counts_moves_onto_the_last_note_and_restores_the_approach():
    """evaluation.endings (docs/form.md, "The note before the last"): its figures on a known
    list of moves, and its baseline (no approach table) undone after use."""
    from lstmfuse.evaluation import endings
    from lstmfuse.generation import continuation as cont

    m = Melody([NoteEvent(p, F(i), F(1), F(i % 4)) for i, p in enumerate((64, 62, 60))], meter="4/4")
    assert endings.move(m) == -2 and endings.move(Melody([NoteEvent(60, F(0), F(1), F(0))])) is None
    s = endings.shares([-2, -2, 0, 5, -1, 12])
    assert (s["n"], s["step"], s["same"], s["fourth_or_more"]) == (6, 0.5, 0.167, 0.333)
    assert endings.total_variation(s["distribution"], s["distribution"]) == 0.0
    assert endings.total_variation({"0": 1.0}, {"-2": 1.0}) == 1.0
    kept = cont.genre_approach, cont.genre_approach2
    with endings.without_approach():
        assert cont.genre_approach({"bach": 1.0}) is None and cont.genre_approach2({"bach": 1.0}) is None
    with endings.one_note():
        assert cont.genre_approach({"bach": 1.0}) is not None and cont.genre_approach2({"bach": 1.0}) is None
    assert (cont.genre_approach, cont.genre_approach2) == kept and cont.genre_approach2({"bach": 1.0}) is not None


def test_two_notes_from_home_weighs_two_real_moves_onto_the_last_note():
    """form.genre_approach2: the note two before the last gains the log-probability of a real
    interval followed by a real move onto the last note; a chorale line a step or two above
    its final is nearer home than one a fifth below it, and a blend weighs its genres."""
    from lstmfuse.generation.form import APPROACH_SPAN, genre_approach2

    two = genre_approach2({"bach": 1.0})
    at = lambda move: two[APPROACH_SPAN + move]  # noqa: E731 (the last note less this one)
    assert two.shape == (2 * APPROACH_SPAN + 1,)
    assert at(-3) > at(7) and at(-2) > at(7) and at(0) > at(9)
    assert np.exp(two).sum() == pytest.approx(1.0, abs=0.05)  # shares of two moves, most within an octave
    blend = genre_approach2({"bach": 0.5, "irish": 0.5})
    assert not np.allclose(blend, two) and genre_approach2({"nosuchgenre": 1.0}) is None


def test_a_breath_keeps_the_real_cadence_note_on_the_pulse_and_rests_to_the_next_upbeat():
    """A real phrase that ended on a rest (``end_rest``) plans its cadence note as long as the
    real one, started on the pulse at or before where the real one started, and a rest to the
    phrase's end; one that held its note to the end, or whose note or rest would need a tie,
    keeps the plan it had."""
    from lstmfuse.generation.form import _breath

    bar, eighth = to_ticks(F(3)), 60  # 6/8, a dotted-quarter pulse
    at = bar - eighth  # the phrase ends before an eighth upbeat
    # a quarter, then a dotted-quarter rest ("c4 r4." before the upbeat): the note on the downbeat
    assert _breath({"end_last": 5 / 6, "end_rest": 1 / 2}, 120, bar, at, 3 * eighth) == (300, 180)
    # the template's note began off the pulse (its upbeat differed): moved back to the beat
    assert _breath({"end_last": 1 / 2, "end_rest": 1 / 6}, 120, bar, at, 3 * eighth) == (300, 180)
    # a dotted quarter, then a quarter rest
    assert _breath({"end_last": 5 / 6, "end_rest": 1 / 3}, 120, bar, at, 3 * eighth) == (300, 120)
    assert _breath({"end_last": 1 / 3, "end_rest": 0.0}, 120, bar, at, 3 * eighth) == (120, 0)  # held to the end
    assert _breath({"end_last": 5 / 6, "end_rest": 1 / 12}, 120, bar, at, 3 * eighth) == (120, 0)  # a 5-sixteenth rest: no token


def test_folk_phrases_breathe_before_the_next_one_as_real_songs_do_and_the_tune_ends_on_its_note():
    """The last event of a held-out Essen phrase is a rest in 0.27-0.52 of phrase ends (0.52 in
    6/8, 0.41 in 4/4; 2-bar units from the upbeat), of an Irish one in 0.04-0.10. Ours never
    rested there: the phrase's cadence note had to last to its end. Now where the template's
    phrase breathed the note stops and a rest follows, right after a cadence note; never in the
    tune's last phrase (its final rings)."""
    from lstmfuse.metrics.form import phrase_end_rest

    folk = [continue_melody(None, bars=16, genre="folk", meter="6/8", options=SamplingOptions(seed=s)).melodies[0] for s in range(20)]
    rate = np.mean([v for v in (phrase_end_rest(m) for m in folk) if v is not None])
    assert 0.25 <= rate <= 0.7, rate  # 0.00 before
    irish = [continue_melody(None, bars=16, genre="irish", meter="6/8", options=SamplingOptions(seed=s)).melodies[0] for s in range(20)]
    assert np.mean([v for v in (phrase_end_rest(m) for m in irish) if v is not None]) <= 0.15
    for m in folk:
        assert m.events[-1].pitch is not None
        for before, rest in zip(m.events, m.events[1:]):
            if rest.pitch is None and before.pitch is not None:
                assert before.duration >= F(1, 2)  # no breath after a note shorter than an eighth


def test_phrase_end_rest_counts_the_phrase_ends_followed_by_silence():
    from lstmfuse.metrics.form import phrase_end_rest

    def bars(*cells):  # each bar: (pitch or None, quarters) pairs
        out, t = [], F(0)
        for cell in cells:
            for p, d in cell:
                out.append(NoteEvent(p, t, F(d), t % 4))
                t += F(d)
        return Melody(out, meter="4/4")

    full = [(60, 1)] * 4
    breath = [(62, 2), (None, 2)]
    held = [(64, 4)]
    m = bars(full, full, full, breath, full, full, full, held, full, full, full, held)
    assert phrase_end_rest(m) == 0.5  # two phrase ends before the last: one breathes
    assert phrase_end_rest(bars(full, full, full, held)) is None


def test_each_half_phrase_of_a_blend_ends_as_its_lead_genres_real_phrases_do():
    """A half-phrase led by folk closes as folk songs do, one led by Irish as jigs do, whichever
    genre's layout the plan came from: ``form.ends_as`` takes each half's ending from a plan of
    its lead genre with the same phrase lengths (a copied phrase keeps its own)."""
    from dataclasses import replace

    from lstmfuse.generation.form import FormPlan, ends_as

    a = FormPlan((Segment(100, end_ticks=10, mid_at=50, mid_ticks=5), Segment(100, relation="exact", source=0, cadence="copied")), "x", "irish/t")
    b = FormPlan((Segment(100, end_ticks=30, end_rest=20, mid_at=50, mid_ticks=15), Segment(100, end_ticks=40)), "y", "folk/t")
    merged = ends_as(a, [b, a, a, b])
    assert merged.segments[0] == replace(a.segments[0], mid_ticks=15)  # the first half from folk's plan
    assert ends_as(a, [a, b, a, a]).segments[0] == replace(a.segments[0], end_ticks=30, end_rest=20)
    assert merged.segments[1] == a.segments[1]  # a copy keeps its source's ending
    assert ends_as(a, [b, b]) == a  # not one plan per half: unchanged
    from lstmfuse.evaluation import blend_proof as bp

    breaths = {"folk": [], "irish": []}
    for r in bp.fusions(30, 16, 0, {"folk": 0.5, "irish": 0.5}, "6/8"):
        for m, leads in zip(r.melodies, r.leads):
            ends = [t for t, _ in leads[1:]] + [m.end]
            for (start, genre), end in zip(leads[:-1], ends[:-1]):
                before = [e for e in m.events if e.onset < end]
                breaths[genre].append(before[-1].pitch is None)
    assert np.mean(breaths["folk"]) >= 2 * np.mean(breaths["irish"]) + 0.05, {g: np.mean(v) for g, v in breaths.items()}


@pytest.mark.parametrize("meter", ["4/4", "6/8"])
def test_every_planned_breath_is_written_as_a_note_then_a_rest_where_the_plan_says(meter):
    """A phrase end (``end_rest``) or a first half's end (``mid_rest``) that the plan's real
    phrase breathed at is written so: a note, then a rest of the planned length ending exactly
    there (held-out Essen first halves end on a rest in 0.10-0.27 of phrases, phrase ends in
    0.27-0.52). Only the genres' rest cap, or a note or rest no one token writes, may leave one
    out. (Until 2026-12-03 a phrase end with no one token for what was left, five eighths in 6/8,
    was not breathed: 0.83 of 181 planned breaths over 100 folk 6/8 tunes, now 0.93.)"""
    planned = written = 0
    for seed in range(25):
        r = continue_melody(None, bars=16, genre="folk", meter=meter, options=SamplingOptions(seed=seed))
        m = r.melodies[0]
        rests = {e.end: e for e in m.events if e.pitch is None}
        start = 0
        for k, seg in enumerate(r.plans[0]["phrases"]):
            for at, rest in ((seg["mid_at"], seg.get("mid_rest", 0)), (seg["ticks"], seg.get("end_rest", 0))):
                if rest:
                    planned += 1
                    e = rests.get(F(start + at, 120))
                    written += e is not None and e.duration == F(rest, 120)
            start += seg["ticks"]
    assert planned >= 15, planned
    assert written >= 0.9 * planned, (written, planned)


def test_the_breaths_proof_counts_rests_ending_units_and_turns_the_breath_off():
    """evaluation.breaths (docs/form.md, "Phrases breathe"): its figures on built tunes, and its
    baseline, plans without the planned breath."""
    from lstmfuse.evaluation import breaths
    from lstmfuse.generation import form

    def tune(*cells):
        out, t = [], F(0)
        for p, d in cells:
            out.append(NoteEvent(p, t, F(d), t % 4))
            t += F(d)
        return Melody(out, meter="4/4")

    # four 2-bar units: the first half rests, the phrase end holds, then the reverse
    m = tune(*([(60, 1)] * 6 + [(60, 1), (None, 1)]), *([(62, 1)] * 6 + [(64, 2)]),
             *([(60, 1)] * 6 + [(60, 2)]), *([(62, 1)] * 6 + [(64, 1), (None, 1)]))
    assert breaths.unit_rests([m]) == {"first_halves": 0.5, "phrase_ends": 0.5, "units": [2, 2]}
    units = [tune((60, 4), (62, 3.5), (64, 0.5)), tune((60, 4), (62, 2), (None, 2)), tune((60, 4), (62, 3), (64, 1))]
    assert [breaths.ending_bars(u) for u in units] == [0.125, 1.0, 0.25]  # the note and its breath
    assert breaths.ending_shares(units) == {"short": 0.333, "long": 0.333, "units": 3}
    entry = {"end_last": 5 / 6, "end_rest": 1 / 2}
    assert form._breath(entry, 120, 360, 300, 180) == (300, 180)
    with breaths.without_breaths():
        assert form._breath(entry, 120, 360, 300, 180) == (120, 0)
    assert form._breath(entry, 120, 360, 300, 180) == (300, 180)


def test_blend_proof_collages_our_pure_tunes_as_it_collages_real_ones():
    """The sweep's pure melodies (w = 1 and w = 0), cut into 2-bar units and alternated as the
    real collages are: a judge that reads each note's genre off its pitch hears half of each."""
    from lstmfuse.evaluation.blend_proof import pure_collage

    class ByPitch:
        genres = ["a", "b"]

        def posteriors(self, melodies):
            out = []
            for m in melodies:
                share = np.mean([n.pitch == 60 for n in m.notes])
                out.append([share, 1 - share])
            return np.array(out)

    def tune(pitch):
        return Melody([NoteEvent(pitch, F(i), F(1), F(i % 4)) for i in range(64)], meter="4/4", meters=[(F(0), "4/4")])

    got = pure_collage([tune(60)] * 3, [tune(72)] * 3, "a", "b", "4/4", ByPitch(), seed=0, n=10)
    assert got == {"p_a": 0.5, "p_b": 0.5}
    assert pure_collage([], [tune(72)], "a", "b", "4/4", ByPitch(), seed=0) == {}


def _starts_on_pulse_at(bar_pos: F, meter: str) -> bool:
    from lstmfuse.generation.form import _pulse

    return to_ticks(bar_pos) % _pulse(meter) == 0


def _starts_on_pulse(m: Melody) -> bool:
    return _starts_on_pulse_at(m.notes[-1].bar_pos, m.meter)


@pytest.mark.parametrize("genre, meter", [("bach", "6/8"), ("bach", "2/4")])
def test_a_genre_closing_in_a_meter_it_never_wrote_starts_its_last_note_on_the_beat(genre, meter):
    """Bach never wrote 6/8 or 2/4, so its final's length came from its 4/4 chorales (a quarter
    of a bar) and was placed before the last barline: in 6/8 it began on the fifth eighth, 0.37 of
    60 tunes from nothing ended on the pulse (2/4: 0.83). Real folk 6/8 tunes that end on a
    barline start their last note on the pulse 83 of 87 times; now every one of these does."""
    tunes = [continue_melody(None, bars=8, genre=genre, meter=meter, options=SamplingOptions(seed=s)).melodies[0] for s in range(12)]
    assert all(_starts_on_pulse(m) for m in tunes), [(str(m.notes[-1].bar_pos), str(m.notes[-1].duration)) for m in tunes]


def test_haydns_opening_with_its_upbeat_is_continued_to_a_final_on_the_beat():
    """The first 8 bars of Haydn's op. 1/1 (6/8, an eighth upbeat; music21's corpus), continued by
    Bach + folk at 50/50: 5 of 16 continuations ended on a note off the dotted-quarter beat, two of
    them a quarter on the fifth eighth (Bach's quarter-bar final from 4/4, placed before the
    barline), as seen engraved; now 1 of 16, folk's own rare ending (two quarters from the third
    eighth, as 4 of 87 real folk 6/8 tunes that end on a barline end)."""
    import music21

    from lstmfuse.encoding.extract import melody_from_part
    from lstmfuse.io import load

    score = load(Path(music21.__file__).parent / "corpus" / "haydn" / "opus1no1" / "movement1.mxl")
    m = melody_from_part(score.parts[0])
    first = next(e.onset for e in m.events if e.bar_pos == 0)
    passage = m.with_events([e for e in m.events if e.onset < first + 8 * m.bar_length])
    assert (passage.meter, passage.events[0].bar_pos) == ("6/8", F(5, 2))
    finals = []
    for seed in range(16):
        out = continue_melody(passage, bars=8, weights="bach=0.5,folk=0.5", options=SamplingOptions(seed=seed)).melodies[0]
        assert out.events[-1].bar_pos + out.events[-1].duration == out.bar_length  # it ends on a barline
        finals.append(out.notes[-1])
    assert sum(_starts_on_pulse_at(f.bar_pos, "6/8") for f in finals) >= 14, [(str(f.bar_pos), str(f.duration)) for f in finals]
    assert not [f for f in finals if f.bar_pos == 2 and f.duration == 1]  # a quarter on the fifth eighth


def test_a_final_length_from_other_meters_starts_on_the_pulse():
    """A genre without tunes in the meter draws its final from its other meters' tunes, in bars:
    Bach's quarter-bar final became a quarter before the last barline in 6/8 and in 2/4 a dotted
    eighth's worth rounded to an eighth. Such a length now starts on the pulse at or before where
    it would have; a genre's own meter keeps what its real tunes do (a jig's final quarter on
    the fifth eighth, as real jigs that end on a barline write)."""
    from lstmfuse.generation import form

    rng = np.random.default_rng(0)
    assert all(form._final_ticks("bach", "6/8", 360, rng) % 180 == 0 for _ in range(200))
    assert all(form._final_ticks("palestrina", "2/4", 240, rng) % 120 == 0 for _ in range(200))
    assert 120 in {form._final_ticks("irish", "6/8", 360, rng) for _ in range(200)}


def test_ends_on_barline_tells_a_whole_last_bar_from_a_short_one():
    from lstmfuse.metrics.form import ends_on_barline

    assert ends_on_barline(line([(60, F(1))] * 8))
    assert not ends_on_barline(line([(60, F(1))] * 7))
    assert ends_on_barline(line([(60, F(1))] * 5, start=F(3)))  # a pickup, then a whole bar
    assert not ends_on_barline(line([(60, F(1))] * 4, start=F(3)))  # the short bar that completes it


@pytest.mark.parametrize("genre, meter, bar, pickup", [("folk", "4/4", 480, 60), ("folk", "3/4", 360, 60), ("bach", "6/8", 360, 60), ("scottish", "4/4", 480, 60)])
def test_the_short_last_bar_s_final_starts_on_the_pulse(genre, meter, bar, pickup):
    """A tune from nothing with an upbeat ends on the short bar that completes it. Its final was
    drawn from real tunes with any upbeat: a folk 4/4 final of three quarters (after a quarter
    upbeat, on the downbeat) placed after an eighth upbeat began on the second eighth, 6 of 60
    folk 4/4 tunes from nothing (real: 11 of 286). Now the finals of real tunes with the same
    upbeat are drawn (folk 4/4 after an eighth: 74 tunes), else the length starts on the pulse."""
    from lstmfuse.generation import form

    rng = np.random.default_rng(0)
    short, pulse = bar - pickup, form._pulse(meter)
    draws = [form._final_ticks_after_pickup(genre, meter, bar, pickup, rng) for _ in range(400)]
    assert all(0 < t <= short for t in draws)
    off = float(np.mean([(short - t) % pulse != 0 for t in draws]))
    # the real tunes with this upbeat: how many of their finals start off the pulse (a few do)
    real = {k: c for k, c in form_reference(genre).get("final_bars_by_pickup", {}).get(meter, {}).items() if round(float(k) * bar) == pickup}
    counts = next(iter(real.values()), {})
    if sum(counts.values()) >= form.MIN_SAME_PICKUP:
        real_off = sum(n for v, n in counts.items() if (short - round(float(v) * bar / 60) * 60) % pulse) / sum(counts.values())
        assert real_off < 0.1 and off <= real_off + 0.04, (off, real_off)
    else:  # no such tunes: every final starts on the pulse
        assert off == 0, sorted(set(draws))


def test_a_genre_that_never_wrote_a_compound_meter_keeps_its_notes_within_the_beats():
    """Bach and Palestrina never wrote 6/8: from a downbeat their models wrote half notes, 3/4's
    rhythm across 6/8's dotted-quarter beat (0.11 and 0.43 of the notes that start on a main beat
    in 40 tunes from nothing; real folk 6/8 0.027, Irish 0.004). A note from a main beat now ends
    within that beat or on a later one where the genre's real tunes in the meter (or, in a blend,
    the half-phrase's lead's) do so 99 times in 100 or never wrote the meter; folk keeps its own."""
    from lstmfuse.generation.form import holds_beats

    assert holds_beats("bach", "6/8") and holds_beats("palestrina", "6/8") and holds_beats("irish", "6/8")
    assert not holds_beats("folk", "6/8") and not holds_beats("bach", "4/4")
    beat = F(3, 2)
    for genre in ("bach", "palestrina"):
        for seed in range(8):
            m = continue_melody(None, bars=12, genre=genre, meter="6/8", options=SamplingOptions(seed=seed)).melodies[0]
            spans = [e for e in m.notes if e.bar_pos % beat == 0 and e.duration > beat and e.duration % beat]
            assert not spans, (genre, seed, [(str(e.bar_pos), str(e.duration)) for e in spans])


def test_the_beat_spanning_proof_counts_notes_that_run_past_the_next_beat():
    """evaluation.beat_spanning: a half note from a 6/8 downbeat runs past the dotted-quarter
    beat without ending on one; a dotted half and a quarter within the beat do not."""
    from lstmfuse.evaluation.beat_spanning import spanning

    tune = line([(60, F(2)), (62, F(1)), (64, F(3)), (65, F(1)), (67, F(1, 2)), (65, F(3, 2))], meter="6/8")
    # on a main beat: 60 (a half: spans), 64 (a dotted half: ends on a beat), 65 at 6 (a quarter)
    # and 65 at 7.5 (a dotted quarter), both within their beat
    assert spanning([tune]) == (0.25, 4)
    assert spanning([]) == (None, 0)


@pytest.mark.parametrize("genre,meter,bars,seed", [("irish", "9/8", 8, 4), ("folk", "2/4", 8, 0), ("scottish", "6/8", 16, 31)])
def test_a_last_phrase_that_would_repeat_a_short_close_writes_its_own_ending(genre, meter, bars, seed):
    """These tunes' plans repeated an earlier phrase as their last, exactly; that phrase had
    closed on an eighth before the next phrase's upbeat, so the tune ended on that eighth (a
    slip jig's last G, 1/9 of a bar). A last phrase now repeats one only where that phrase's
    close is as long as the tune's final; else it keeps the first half and writes a new
    ending, which lasts the final's length."""
    r = continue_melody(None, bars=bars, genre=genre, meter=meter, options=SamplingOptions(seed=seed))
    last = r.plans[0]["phrases"][-1]
    assert last["relation"] == "varied"
    final = r.melodies[0].notes[-1]
    assert to_ticks(r.melodies[0].end - final.onset) >= last["end_ticks"] >= to_ticks(F(1))


def test_continue_on_a_part_of_rests_says_it_writes_a_new_tune(tmp_path):
    """``lstmfuse continue`` on a file whose part holds only rests says in one line that the new
    bars are a tune from nothing, and writes them after the rests."""
    from music21 import key, meter, note, stream

    from test_io_cli_errors import run_cli

    from lstmfuse.api import passage_of
    from lstmfuse.io import load

    part = stream.Part()
    part.append(meter.TimeSignature("3/4"))
    part.append(key.KeySignature(-1))
    for _ in range(2):
        part.append(note.Rest(quarterLength=3))
    src, out = tmp_path / "rests.musicxml", tmp_path / "out.musicxml"
    stream.Score([part.makeMeasures()]).write("musicxml", fp=str(src))
    proc = run_cli("continue", str(src), "-g", "folk", "--bars", "4", "--seed", "1", "-o", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    said = " ".join((proc.stdout + proc.stderr).split())
    assert "the part holds only rests: the new bars are a tune from nothing after them" in said, said
    m = passage_of(load(out))
    assert m.meter == "3/4" and m.sharps == -1
    new = [e for e in m.events if e.onset >= 6]
    assert all(e.pitch is None for e in m.events if e.onset < 6)  # the user's rests, as they were
    assert new[0].onset == 6 and new[0].bar_pos == 0 and len([e for e in new if e.pitch is not None]) >= 6
    assert m.events[-1].end == 6 + 4 * 3


def test_a_tune_seldom_closes_on_four_strikes_of_its_last_note():
    """The last note's zone may hold several notes, each drawn among the final's pitches, and the
    models filled a reel's or a hornpipe's last bar with the tonic: Irish tunes from nothing in
    G closed on four strikes or more 0.115 of the time in 2/2 and 0.065 in 4/4 (seeds 0-199), where
    the training split's do 0.047 and 0.023. A fourth strike there is held now (engine.
    _holds_fourth_strike): 0.04 and 0.02, and three-strike closes (a re-struck tonic, the close
    of a fifth to a third of real tunes) as often as before. Scottish strathspeys in 4/4 close on
    four strikes in 0.195 of real tunes (form.json 'final_runs'): theirs are left alone."""
    assert closing_run(Melody([NoteEvent(67, F(0), F(1), F(0)), NoteEvent(None, F(1), F(1), F(1)), NoteEvent(67, F(2), F(2), F(2))],
                              meter="4/4", sharps=1)) == 2
    real = form_reference("irish")["final_runs"]
    for meter in ("2/2", "4/4"):
        runs = [closing_run(continue_melody(None, bars=16, genre="irish", meter=meter, sharps=1, options=SamplingOptions(seed=s)).melodies[0])
                for s in range(200)]
        four, three = np.mean([k >= 4 for k in runs]), np.mean([k >= 3 for k in runs])
        tunes, hammered = real[meter]
        assert four <= hammered / tunes + 0.02, (meter, four, hammered / tunes)
        assert three >= 0.1, (meter, three)
    assert hammers_final("scottish", "4/4") and not hammers_final("irish", "2/2")
    runs = [closing_run(continue_melody(None, bars=16, genre="scottish", meter="4/4", sharps=2, options=SamplingOptions(seed=s)).melodies[0])
            for s in range(200)]
    assert np.mean([k >= 4 for k in runs]) >= 0.04
