"""Music theory at the ground floor: spelled pitches, intervals, keys and their one grammar,
key signatures and the alterations they imply, scales.

Pure Python, no music21 at import, nothing from lstmfuse but its error type: generation,
batch edits, corpora, the bridge and the CLI all read keys and spell pitches here, so
``--key c`` means C minor for every command (lower case = minor, as in music21).
"""

from .keys import (
    FLAT_ORDER,
    KEY_GRAMMAR_HELP,
    MAJOR_MINOR_KEY_HELP,
    MAJOR_SCALE,
    MODE_SHARPS,
    NATURAL_MINOR_SCALE,
    SHARP_ORDER,
    Key,
    fitting_signature,
    key_alters,
    major_or_minor_key,
    out_of_key_share,
    parse_key,
    scale_pitch_classes,
    tonic_of,
    tonic_pc,
    tonic_text,
    transpose_fifths,
)
from .pitches import (
    NATURAL_SEMITONES,
    PC_SPELLING,
    STEP_FIFTHS,
    STEP_INDEX,
    STEPS,
    Interval,
    fifths_of,
    from_fifths,
    interval_between,
    interval_from_to,
    interval_name,
    name_of,
    name_to_midi,
    name_to_tpc,
    natural_ps,
    parse_interval,
    parse_name,
    pitch_ps,
    spell_ps,
    tpc_of,
    tpc_to_name,
    transpose_pitch,
)

__all__ = [
    "FLAT_ORDER", "KEY_GRAMMAR_HELP", "MAJOR_MINOR_KEY_HELP", "MAJOR_SCALE", "MODE_SHARPS", "NATURAL_MINOR_SCALE", "NATURAL_SEMITONES",
    "PC_SPELLING", "SHARP_ORDER", "STEPS", "STEP_FIFTHS", "STEP_INDEX", "Interval", "Key", "fifths_of", "from_fifths",
    "fitting_signature", "interval_between", "interval_from_to", "interval_name", "key_alters", "major_or_minor_key", "name_of", "name_to_midi", "name_to_tpc",
    "natural_ps", "out_of_key_share", "parse_interval", "parse_key", "parse_name", "pitch_ps", "scale_pitch_classes", "spell_ps", "tonic_of",
    "tonic_pc", "tonic_text", "tpc_of", "transpose_fifths", "tpc_to_name", "transpose_pitch",
]
