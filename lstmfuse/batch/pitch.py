"""MusicXML's view of pitches for editing the XML tree directly: accidental names and
``<alter>`` text. The arithmetic (spelled pitches, intervals, keys, signatures) is
:mod:`lstmfuse.theory`'s; the two names the tree code takes from here are re-exported.
"""

from __future__ import annotations

from ..theory import STEPS, key_alters  # noqa: F401 - re-exported for batch.xmltree

#: MusicXML <accidental> value for an alteration
ACCIDENTAL_NAMES = {
    0.0: "natural", 1.0: "sharp", -1.0: "flat", 2.0: "double-sharp", -2.0: "flat-flat",
    3.0: "triple-sharp", -3.0: "triple-flat", 0.5: "quarter-sharp", -0.5: "quarter-flat",
    1.5: "three-quarters-sharp", -1.5: "three-quarters-flat",
}
#: the alteration a MusicXML <accidental> value shows (None: not a plain alteration)
ACCIDENTAL_ALTERS = {v: k for k, v in ACCIDENTAL_NAMES.items()}
ACCIDENTAL_ALTERS.update({"sharp-sharp": 2.0, "natural-sharp": 1.0, "natural-flat": -1.0,
                          "double-flat": -2.0})


def accidental_name(alter: float) -> str | None:
    return ACCIDENTAL_NAMES.get(float(alter))


def fmt_alter(alter: float) -> str:
    """``<alter>`` text: integers without a decimal point, as most writers do."""
    if alter == int(alter):
        return str(int(alter))
    return repr(float(alter))
