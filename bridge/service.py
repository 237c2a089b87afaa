"""What the bridge does for a request: continue/fuse/regenerate with lstmfuse, then notate for MuseScore.

Generation is :func:`lstmfuse.continue_passage` (the public API over
``generation.continuation.continue_melody``), the same code as ``lstmfuse continue`` /
``lstmfuse fuse``. Each variant is generated on its own (variant 0
with the user's seed exactly, so the bridge and the CLI agree). When a variant holds
something the client cannot write (a tuplet on MuseScore < 3.5, a note that is no single
note value), it is drawn again with a seed derived from (seed, variant, attempt), at most
``MAX_ATTEMPTS`` times; the answer reports the seed used and how many draws were refused.

/regenerate is :func:`lstmfuse.generation.regenerate.regenerate_span`, the engine of
``lstmfuse regenerate``: all variants from one call with the user's seed (as the CLI), then
only an unwritable variant is drawn again, alone, with a derived seed.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from fractions import Fraction

from lstmfuse import SamplingOptions, continue_passage
from lstmfuse.encoding.events import meter_bar_length
from lstmfuse.encoding.tokens import Unrepresentable
from lstmfuse.errors import LstmfuseError
from lstmfuse.generation.beat_groups import of_settings
from lstmfuse.generation.form import genre_by_meter_and_key
from lstmfuse.generation.options import json_schema as sampling_schema
from lstmfuse.generation.score_write import rest_marks
from lstmfuse.models.registry import FUSION, available, genre_names, load_model, read_card

from . import PROTOCOL_VERSION
from .notation import DIVISION, Unwritable, frac_str, notate
from .protocol import ProtocolError, Request, event_json

MAX_ATTEMPTS = 24
#: the sampling controls a request's options may hold (the seed is drawn per variant)
_OPTION_FIELDS = tuple(name for name in sampling_schema() if name != "seed")


#: what a refusal is about (``LstmfuseError.about``) -> the request field the plugin points at
_FIELDS = {"meter": "selection.meter", "passage": "selection.events", "form": "options.form", "range": "options.lowest", "gap": "gap"}


def rest_marks_w(meter: str, settings: dict | None = None) -> list[Fraction] | None:
    """The beats a written rest must show, in whole notes from the barline (``notation.notate``;
    the MusicXML writer's ``score_write.rest_marks``): an additive meter's groups as the
    result's ``settings`` name them (7/8 as 2+2+3), else the meter's."""
    marks = rest_marks(meter, of_settings(settings or {}))
    return [m / 4 for m in marks] if marks else None


def _field_of(err: LstmfuseError, req) -> str:
    """The request field a refusal of the generation is about, for the plugin to point at: the
    meter, the selection's notes, the form, the range, the gap, else the genre or weights asked
    for. Told by the error (``about``), not read from its message: "unknown genre 'uniform'"
    was pointed at the form field, and a message that named a meter at the bars' field."""
    if err.about in _FIELDS:
        return _FIELDS[err.about]
    return "options.weights" if req.weights is not None else "options.genre"


def derived_seed(seed: int, variant: int, attempt: int) -> int:
    if variant == 0 and attempt == 0:
        return seed
    h = hashlib.sha256(f"{seed}:{variant}:{attempt}".encode()).digest()
    return int.from_bytes(h[:4], "big")


def sampling_options(opts: dict, seed: int) -> SamplingOptions:
    kw = {k: opts[k] for k in _OPTION_FIELDS if k in opts}
    try:
        return SamplingOptions(seed=seed, **kw)
    except LstmfuseError as err:
        raise ProtocolError(str(err), "options") from None


def models_summary() -> dict:
    """GET /models: installed genre models and the fusion model, with card summaries."""
    out = []
    for name, path in available().items():
        card = read_card(name)
        summary = {
            "name": name,
            "kind": "fusion" if name == FUSION else "genre",
            "path": str(path),
        }
        for key in ("description", "corpus", "genres", "units", "layers", "parameters", "heldout", "licence", "license", "trained"):
            if key in card:
                summary[key] = card[key]
        out.append(summary)
    return {"protocol": PROTOCOL_VERSION, "ok": True, "genres": genre_names(), "fusion": FUSION in available(), "models": out}


def preload() -> list[str]:
    """Load every installed model once (the registry caches them per process)."""
    names = list(available())
    for n in names:
        load_model(n)
    return names


AUTO = "auto"


def closest_genre(req: Request) -> tuple[str, dict[str, float]]:
    """The installed genre the style judge finds closest to the selected passage.

    ``options.genre = "auto"``: the plugin's default, so a fresh install does not continue
    every score as whichever genre sorts first. Returns (genre, posterior over installed genres).
    A selection with no notes (a blank score's empty bars) has no style to judge: it takes the
    genre with the largest share of the real tunes in its meter and key signature
    (``form.genre_by_meter_and_key``; before 2026-12-04 it was refused).
    """
    from lstmfuse.metrics.reference import judge

    installed = genre_names()
    if not installed:
        raise ProtocolError("no genre model is installed", "options.genre", code="generation_refused")
    if req.passage is None or not any(e.pitch is not None for e in req.passage.events):
        # no notes to judge (a blank score's empty bars): the genre with the largest share of
        # the real tunes in the selection's meter and key signature
        shares = genre_by_meter_and_key(installed, req.meter, req.sharps)
        if not shares:
            raise ProtocolError(f"'auto' needs notes in the selection to judge their style, and no installed genre has "
                                f"real tunes in {req.meter}: choose a genre", "options.genre")
        best = max(shares, key=lambda g: (shares[g], -installed.index(g)))
        return best, shares
    try:
        clf = judge()  # the sequence style judge (lstmfuse/data/reference/JUDGE_CARD.md)
    except LstmfuseError as err:
        raise ProtocolError(f"'auto' needs the style judge: {err.message}", "options.genre", code="generation_refused") from None
    post = clf.posterior(req.passage)
    scores = {g: float(p) for g, p in zip(clf.genres, post) if g in installed}
    if not scores:
        raise ProtocolError("the style judge knows none of the installed genres: choose a genre", "options.genre", code="generation_refused")
    best = max(scores, key=lambda g: (scores[g], -installed.index(g)))
    return best, {g: round(p, 4) for g, p in scores.items()}


def _resolve_auto(req: Request) -> dict | None:
    if req.genre != AUTO:
        return None
    chosen, posterior = closest_genre(req)
    req.genre = chosen
    if req.passage is None or not req.passage.notes:
        return {"genre": chosen, "posterior": posterior, "by": "meter and key",
                "said": f"{chosen}, whose tunes are {round(posterior[chosen] * 100)}% of the real tunes in {req.meter} with this key signature (no notes to judge)"}
    return {"genre": chosen, "posterior": posterior}


def answer(req: Request, deadline: float | None = None) -> dict:
    if req.kind == "regenerate":
        return answer_regenerate(req, deadline)
    started = time.perf_counter()
    opts = req.options
    auto = _resolve_auto(req)
    variants = opts.get("variants", 1)
    bars = opts["bars"]
    seed = opts.get("seed")
    if seed is None:
        seed = secrets.randbelow(2**32)
    bar_q = meter_bar_length(req.meter)
    bar_w = bar_q / 4
    sel_end_w = req.bar_pos + req.length  # whole notes from the barline before the selection
    write_pos_w = req.end_bar_pos if req.end_bar_pos is not None else sel_end_w % bar_w  # where writing starts in its bar
    write_tick = req.start_tick + int(req.length * 4 * DIVISION)
    origin_q = Fraction(0)  # the passage's onsets start at 0 = the selection start
    out_variants = []
    new_events = []  # per variant, for the preview
    settings = None
    for v in range(variants):
        last_reason = ""
        for attempt in range(MAX_ATTEMPTS):
            if deadline is not None and time.monotonic() > deadline:
                raise ProtocolError("the request took too long; ask for fewer bars or variants", None, code="timeout", status=503)
            s = derived_seed(seed, v, attempt)
            options = sampling_options(opts, s)
            try:
                result = continue_passage(
                    req.passage, bars=bars, genre=req.genre, weights=req.weights, options=options, variants=1,
                    meter=req.meter, sharps=req.sharps, mode=req.mode, position=req.position,
                )
            except Unrepresentable as err:
                raise ProtocolError(f"the selection holds a value lstmfuse cannot read: {err.message}", "selection.events") from None
            except LstmfuseError as err:
                raise ProtocolError(err.message, _field_of(err, req), code="generation_refused") from None
            melody = result.melodies[0]
            events = [e for e in melody.events if e.onset >= req.length * 4]
            rows = [((e.onset / 4 - req.length), e.duration / 4, e.pitch) for e in events]
            try:
                notation = notate(rows, write_pos_w, bar_w, req.tuplets, rest_marks_w(req.meter, result.settings))
            except Unwritable as err:
                last_reason = str(err)
                continue
            settings = result.settings
            out_variants.append(_variant_json(v, s, attempt, events, notation, req, origin_q, write_tick, write_pos_w, bar_w))
            new_events.append(events)
            break
        else:
            raise ProtocolError(
                f"no writable continuation in {MAX_ATTEMPTS} draws (last: {last_reason}); "
                + ("try another seed or genre" if req.tuplets else "MuseScore 3.5+ can write tuplets; or try another seed or genre"),
                None, code="unwritable", status=422,
            )
    settings = dict(settings or {})
    settings["seed"] = seed
    if auto is not None:
        settings["auto"] = auto
    body = {
        "protocol": PROTOCOL_VERSION,
        "ok": True,
        "kind": req.kind,
        "settings": settings,
        "seconds": round(time.perf_counter() - started, 4),
        "variants": out_variants,
    }
    if opts.get("preview"):
        body["preview"] = _preview(new_events, req, settings)
    return body


def _unwritable(req: Request, last_reason: str) -> ProtocolError:
    return ProtocolError(
        f"no writable variant in {MAX_ATTEMPTS} draws (last: {last_reason}); "
        + ("try another seed or genre" if req.tuplets else "MuseScore 3.5+ can write tuplets; or try another seed or genre"),
        None, code="unwritable", status=422,
    )


def _regenerate(req: Request, seed: int, variants: int):
    """One call of the engine (the same as ``lstmfuse regenerate``) on the request's passage."""
    from lstmfuse.generation.regenerate import CANDIDATES, regenerate_span

    a, b = req.gap_quarters()
    opts = req.options
    try:
        return regenerate_span(
            req.passage, a, b, genre=req.genre, weights=req.weights, options=sampling_options(opts, seed),
            variants=variants, candidates=max(variants, opts.get("candidates", CANDIDATES)),
        )
    except Unrepresentable as err:
        raise ProtocolError(f"the selection holds a value lstmfuse cannot read: {err.message}", "selection.events") from None
    except LstmfuseError as err:
        raise ProtocolError(err.message, _field_of(err, req), code="generation_refused") from None


def answer_regenerate(req: Request, deadline: float | None = None) -> dict:
    """POST /regenerate: variants of the gap's bars, notated from the gap's start."""
    started = time.perf_counter()
    opts = req.options
    auto = _resolve_auto(req)
    variants = opts.get("variants", 1)
    seed = opts.get("seed")
    if seed is None:
        seed = secrets.randbelow(2**32)
    gap_a, gap_b = req.gap_quarters()
    bar_q = meter_bar_length(req.meter)
    bar_w = bar_q / 4
    first = req.passage.events[0]
    anchor = first.onset - first.bar_pos  # a barline of the passage, in quarters
    write_pos_w = ((gap_a - anchor) % bar_q) / 4
    write_tick = req.gap[0]
    result = _regenerate(req, seed, variants)
    settings = dict(result.settings)
    out_variants, new_events = [], []
    for v in range(variants):
        gap, attempt, s, last_reason = result.gaps[v], 0, seed, ""
        while True:
            rows = _gap_rows(gap, gap_a, gap_b)
            try:
                notation = notate(rows, write_pos_w, bar_w, req.tuplets, rest_marks_w(req.meter, settings))
                break
            except Unwritable as err:
                last_reason = str(err)
            attempt += 1
            if attempt >= MAX_ATTEMPTS:
                raise _unwritable(req, last_reason)
            if deadline is not None and time.monotonic() > deadline:
                raise ProtocolError("the request took too long; ask for fewer variants", None, code="timeout", status=503)
            s = derived_seed(seed, v, attempt)
            gap = _regenerate(req, s, 1).gaps[0]
        row = _variant_json(v, s, attempt, gap, notation, req, Fraction(0), write_tick, write_pos_w, bar_w)
        row["end_tick"] = req.gap[1]  # the written range is the gap itself
        out_variants.append(row)
        new_events.append(gap)
    settings["seed"] = seed
    settings["gap"] = {"start_tick": req.gap[0], "end_tick": req.gap[1]}
    if auto is not None:
        settings["auto"] = auto
    body = {
        "protocol": PROTOCOL_VERSION, "ok": True, "kind": "regenerate", "settings": settings,
        "seconds": round(time.perf_counter() - started, 4), "variants": out_variants,
    }
    if opts.get("preview"):
        body["preview"] = _preview(new_events, req, settings)
    return body


def _gap_rows(gap, gap_a: Fraction, gap_b: Fraction) -> list[tuple[Fraction, Fraction, int | None]]:
    """The gap's events as (onset from the gap start, length, pitch) in whole notes, filling it
    exactly (a shortfall at the end becomes a rest, so the old notes there are overwritten)."""
    rows = [((e.onset - gap_a) / 4, e.duration / 4, e.pitch) for e in gap]
    end = (gap[-1].onset + gap[-1].duration) if gap else gap_a
    if end < gap_b:
        rows.append(((end - gap_a) / 4, (gap_b - end) / 4, None))
    return rows


def _preview(new_events, req: Request, settings: dict) -> dict:
    """{"png", "seconds"} of the picture of all variants, or {"error"}: a failed engraving
    never costs the user the answer itself."""
    from .preview import render_variants, variant_facts

    t0 = time.perf_counter()
    mode = settings.get("mode", req.mode)
    facts = variant_facts(new_events, req.meter, req.sharps, mode)
    try:
        png = render_variants(new_events, req.meter, req.sharps, mode)
    except LstmfuseError as err:
        return {"error": err.message, "variants": facts}
    return {"png": str(png), "seconds": round(time.perf_counter() - t0, 3), "variants": facts}


def _variant_json(v, seed, attempt, events, notation, req: Request, origin_q, write_tick, write_pos_w, bar_w) -> dict:
    spelled = {}
    ev_json = []
    for i, e in enumerate(events):
        row = event_json(e, origin_q, req.start_tick)
        ev_json.append(row)
        spelled[i] = row.get("tpc")

    def tick_of(whole_from_bar0: Fraction) -> int:
        return write_tick + int((whole_from_bar0 - write_pos_w) * 4 * DIVISION)

    write = []
    for op in notation.ops:
        row = {"rest": op.pitch is None, "value": frac_str(op.value), "tick": tick_of(op.start), "event": op.event}
        if op.pitch is not None:
            row["pitch"] = op.pitch
            if spelled.get(op.event) is not None:
                row["tpc"] = spelled[op.event]
        if op.tuplet:
            row["tuplet"] = {"actual": op.tuplet["actual"], "normal": op.tuplet["normal"], "total": frac_str(op.tuplet["total"])}
        write.append(row)
    pieces = []
    for p in notation.pieces:
        row = {
            "measure": p.measure, "pos": frac_str(p.pos), "value": frac_str(p.value), "actual": frac_str(p.actual),
            "rest": p.pitch is None, "tick": tick_of(p.measure * bar_w + p.pos), "tie_next": p.tie_next,
            "tuplet": None if p.tuplet is None else {**p.tuplet, "total": frac_str(p.tuplet["total"])},
        }
        if p.pitch is not None:
            row["pitch"] = p.pitch
        pieces.append(row)
    end_tick = write_tick
    if events:
        last = events[-1]
        end_tick = req.start_tick + int((last.onset + last.duration - origin_q) * DIVISION)
    measures = 1 + (max(p.measure for p in notation.pieces) if notation.pieces else 0)
    return {
        "index": v, "seed": seed, "resampled": attempt, "start_tick": write_tick, "end_tick": end_tick,
        "measures": measures, "events": ev_json, "write": write, "pieces": pieces,
    }
