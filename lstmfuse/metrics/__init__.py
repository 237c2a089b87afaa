"""Objective metrics of (generated) melodies, after Yang & Lerch 2020 and MusPy.

One module per concern: :mod:`.pitch` (pitch-class histogram/entropy, scale consistency,
in-key ratio, range, intervals), :mod:`.rhythm` (note lengths, groove consistency),
:mod:`.distances` (comparison with a reference corpus's :class:`Profile`),
:mod:`.originality` (how much is copied from the training set), :mod:`.form` (recurrence,
phrase endings, the final note, motif reuse of a continued passage). :func:`melody_metrics`
gathers them in one flat dict for reports and JSON.
"""

from __future__ import annotations

import math

from ..encoding.events import Melody
from .form import form_metrics
from .distances import (
    Profile,
    compare_to_profile,
    histogram_counts,
    kl_divergence,
    overlap_area,
    reference_profile,
    scalar_metrics,
    set_comparison,
)
from .originality import Originality, OriginalityIndex
from .pitch import interval_histogram, pitch_class_histogram
from .rhythm import NOTE_LENGTH_LABELS, note_length_histogram

__all__ = [
    "Originality",
    "OriginalityIndex",
    "Profile",
    "compare_to_profile",
    "histogram_counts",
    "kl_divergence",
    "melody_metrics",
    "overlap_area",
    "reference_profile",
    "scalar_metrics",
    "set_comparison",
]


def melody_metrics(
    melody: Melody,
    against: Profile | None = None,
    originality: OriginalityIndex | None = None,
    histograms: bool = False,
    passage: Melody | None = None,
) -> dict[str, float | None]:
    """Every metric of one melody as a flat dict of plain floats (None where undefined).

    Always: n_notes, pitch_class_entropy, scale_consistency, in_key_ratio, pitch_range,
    n_pitches, rest_ratio, groove_consistency, and the form statistics (recurrence_exact,
    _transposed, _rhythm; phrase_end_lengthening; ends_on_tonic; final_note_bars; closing_run; with
    ``passage``, the music the melody continues, motif_reuse). With ``against``: <histogram>_overlap/_kl
    versus that profile. With ``originality``: longest_copied_run (notes),
    longest_copied_fraction, copied_<n>gram_share. With ``histograms``: the histograms
    themselves as pc_hist_<0..11>, interval_hist_<-12..12>, note_length_hist_<length> (off by
    default: 53 numbers drown a report).
    """
    out: dict[str, float] = {"n_notes": float(len(melody.notes))}
    out.update(scalar_metrics(melody))
    out.update(form_metrics(melody, passage))
    if against is not None:
        out.update(compare_to_profile(melody, against))
    if originality is not None:
        out.update(originality.query(melody).as_dict())
    if histograms:
        out.update({f"pc_hist_{i}": float(v) for i, v in enumerate(pitch_class_histogram(melody))})
        out.update({f"interval_hist_{i - 12}": float(v) for i, v in enumerate(interval_histogram(melody))})
        out.update({f"note_length_hist_{lab}": float(v) for lab, v in zip(NOTE_LENGTH_LABELS, note_length_histogram(melody))})
    return {k: (None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)) for k, v in out.items()}
