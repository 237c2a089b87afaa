"""Key-signature refitting for corpora whose sources write the tonic, not the signature."""

from __future__ import annotations

from fractions import Fraction as F

import music21
import pytest

from lstmfuse.corpora.genres import GENRES
from lstmfuse.corpora.keyfit import fitted_sharps, out_of_key_share, refit
from lstmfuse.encoding.events import Melody, NoteEvent
from lstmfuse.encoding.extract import melody_from_part
from lstmfuse.io import load_all
from lstmfuse.theory import scale_pitch_classes as scale_of

ESSEN = __import__("pathlib").Path(music21.__file__).parent / "corpus" / "essenFolksong" / "altdeu10.abc"


def _melody(pitches, sharps, mode="major"):
    events = [NoteEvent(p, F(i), F(1), F(i % 4)) for i, p in enumerate(pitches)]
    return Melody(events, meter="4/4", sharps=sharps, mode=mode)


def test_scales_of_signatures():
    assert scale_of(0) == {0, 2, 4, 5, 7, 9, 11}
    assert scale_of(1) == {0, 2, 4, 6, 7, 9, 11}  # F sharp
    assert scale_of(-2) == {0, 2, 3, 5, 7, 9, 10}  # B flat, E flat


def test_a_g_minor_tune_written_with_one_sharp_gets_two_flats():
    g_minor = [67, 69, 70, 72, 74, 75, 74, 72, 70, 69, 67, 62, 67, 70, 74, 67]
    m = _melody(g_minor, sharps=1)
    assert out_of_key_share([e.pitch for e in m.events], 1) == 0.25  # 3 B-flats, 1 E-flat of 16
    fitted, sharps = refit(m)
    assert sharps == -2 and fitted.sharps == -2 and fitted.mode is None
    assert [e.pitch for e in fitted.events] == g_minor  # the notes never change


def test_tunes_that_fit_their_signature_or_are_chromatic_are_left_alone():
    assert fitted_sharps(_melody([60, 62, 64, 65, 67, 69, 71, 72], sharps=0)) is None
    chromatic = list(range(60, 72)) * 2
    assert fitted_sharps(_melody(chromatic, sharps=0)) is None  # no signature halves the misfit


def test_real_essen_songs_written_as_their_tonic_are_refitted():
    """altdeu10 #1 is 'K: G' with B-flats and E-flats written out (G minor)."""
    scores = list(load_all(ESSEN))
    first = melody_from_part(scores[0].parts[0])
    assert first.sharps == 1
    assert fitted_sharps(first) in (-2, -1)  # G minor (aeolian) or G dorian


@pytest.mark.parametrize("genre", sorted(GENRES))
def test_shipped_genres_keep_their_written_signatures(genre):
    """The shipped models were trained on written signatures (see keyfit's docstring)."""
    assert not GENRES[genre].refit_key_signatures


def test_build_counts_misfits_and_refits_only_when_asked(tmp_path, monkeypatch):
    import importlib
    from dataclasses import replace as dc_replace

    B = importlib.import_module("lstmfuse.corpora.build")  # the package exports a function of that name
    G = importlib.import_module("lstmfuse.corpora.genres")

    folk = G.GENRES["folk"]
    (plain,) = B.build(["folk"], root=tmp_path, limit_files=1)
    assert plain.key_signatures_misfit > 0 and plain.key_signatures_refitted == 0
    monkeypatch.setitem(G.GENRES, "folk", dc_replace(folk, refit_key_signatures=True))
    (refit_report,) = B.build(["folk"], root=tmp_path, limit_files=1)
    assert refit_report.key_signatures_refitted == plain.key_signatures_misfit
    pieces = B.load_corpus("folk", None, tmp_path)
    assert sum(m.mode is None for _, m in pieces) >= refit_report.key_signatures_refitted
