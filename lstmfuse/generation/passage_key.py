"""The key a passage's notes are in: the key its continuation is written in.

A key signature can misdescribe its tune. Essen's files name the tonic and write every other
accidental out (the bundled ``examples/essen-altdeu10-1.krn``, the Hildebrandslied, is in G
minor under one sharp, with written B-flats and E-flats), and a score whose writer never set a
signature shows C major over a tune in D. The models hear a passage moved by its signature
(``encoding.tokens.normalising_shift``), so such a passage reached them as another key full of
accidentals, and the continuation came back in the signature's key: the Hildebrandslied went
on in G major. Here the signature in force is kept where it describes the notes and replaced by
the one that does where it does not (``theory.fitting_signature``); the score's own signature is
never changed, the new notes are spelled in the key they are in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..encoding.events import Melody
from ..errors import LstmfuseError
from ..theory import fitting_signature, major_or_minor_key, name_to_midi, out_of_key_share, tonic_of, tonic_pc, tonic_text
from ..theory.keys import OUT_OF_KEY_LIMIT

#: fewer notes than this say too little about a key to overrule the signature (a four-note
#: selection C D E F# is as likely a G-major fragment as C lydian)
MIN_NOTES = 8
#: a passage's signature is overruled when it leaves more than this share of the notes out (the
#: corpus refit's 0.15 is too lax for a score whose signature was never set: a G-major passage
#: read under none has its F sharps out, often fewer than 0.15). On the first 8 bars of held-out
#: tunes, 2026-12-03 (docs/fusion.md, "A passage in the key of its notes"): read without their
#: signature, 0.44 get it back (0.34 at 0.15); of those whose signature fits, 1 of 1,504 folk,
#: Irish and Scottish ones is read otherwise, 8 of 243 Palestrina ones, no Bach (1, 3, 0 at 0.15)
PASSAGE_LIMIT = 0.08
#: a signature that leaves at most this share more of the notes out than the best is as good a
#: reading, and is preferred where the home note is its tonic (a modal tune: G dorian is G minor
#: with a raised sixth, not F major ending on its second)
TONIC_TOLERANCE = 0.05


@dataclass(frozen=True)
class PassageKey:
    """The signature and mode the continuation is written in, and whether the notes chose them."""

    sharps: int
    mode: str | None
    tonic: str | None
    from_notes: bool  # True: the signature in force did not describe the notes
    named: bool = False  # True: the user named it (``continue --key``), not the notes

    @property
    def name(self) -> str:
        """``G minor``, ``Eb major``."""
        step, alter = tonic_of(self.sharps, self.mode)
        return f"{tonic_text(step, alter)} {self.mode or 'major'}"

    def settings(self, written: int) -> dict:
        """What a result's settings say of it (``key_of_notes``), for the CLI and the plugin."""
        said = {"sharps": self.sharps, "mode": self.mode or "major", "name": self.name, "said": self.describe(written)}
        return {**said, "named": True} if self.named else said

    def describe(self, written: int) -> str:
        """One line for the user: which key, and why it is not the signature's."""
        name, said = self.name, _signature_text(written)
        if self.named:
            return f"key: {name}, as --key says; the new notes are in {name}, the signature ({said}) left as it is"
        return f"key: the passage's notes are in {name}, not in the key its signature ({said}) writes; the new notes are in {name} too, the signature left as it is"


def _signature_text(sharps: int) -> str:
    if sharps == 0:
        return "no sharps or flats"
    n = abs(sharps)
    return f"{n} {'sharp' if sharps > 0 else 'flat'}{'s' if n > 1 else ''}"


def _pitch_class(name: str | None) -> int | None:
    if not name:
        return None
    try:
        return name_to_midi(name) % 12
    except LstmfuseError:
        return None


def passage_key(passage: Melody | None, sharps: int, mode: str | None) -> PassageKey:
    """The key to continue ``passage`` in, given the signature ``sharps`` and ``mode`` in force.

    Where the notes fit the signature, it stands as given. Where they do not:

    - the source names a tonic (Essen's ``K: G``): of the signatures with it as their major or
      minor tonic, the one that holds the most notes. The Hildebrandslied, G dorian under one
      sharp, is continued in G minor; a G-mixolydian song under one sharp with its F naturals
      written out stays in G major (C major would end it on C).
    - else the home note is the last note: the signature that holds the most notes, or one that
      holds nearly as many (TONIC_TOLERANCE) with the last note as its tonic, in that mode;
      otherwise the mode is unknown (read as major)."""
    notes = passage.notes if passage is not None else []
    if passage is not None and passage.key_span != (0, None):  # a piece that changes key: the notes under this one
        since, until = passage.key_span
        notes = [n for n in notes if n.onset >= since and (until is None or n.onset < until)]
    tonic = passage.tonic if passage is not None else None
    if len(notes) < MIN_NOTES:
        return PassageKey(sharps, mode, tonic, False)
    pitches = [n.pitch for n in notes]
    named = _pitch_class(tonic)
    home = named if named is not None else notes[-1].pitch % 12
    # a passage that rests on its signature's own tonic needs the corpus's stronger evidence: an
    # A-dorian tune written under A minor's signature with its F sharps, or a melodic-minor line,
    # is in its signature's key with the accidentals the mode or the line brings
    at_home = home in (tonic_pc(sharps, "major"), tonic_pc(sharps, "minor"))
    fitted = fitting_signature(pitches, sharps, OUT_OF_KEY_LIMIT if at_home else PASSAGE_LIMIT)
    if fitted is None:
        return PassageKey(sharps, mode, tonic, False)
    share = {s: out_of_key_share(pitches, s) for s in range(-6, 7)}
    homed = [s for s in share if home in (tonic_pc(s, "major"), tonic_pc(s, "minor"))]
    if named is None:
        homed = [s for s in homed if share[s] <= share[fitted] + TONIC_TOLERANCE]
    if homed:
        fitted = min(homed, key=lambda s: (share[s], abs(s - sharps)))
    if fitted == sharps:  # the written key after all, its accidentals the tune's own
        return PassageKey(sharps, mode, tonic, False)
    modes = {tonic_pc(fitted, "major"): "major", tonic_pc(fitted, "minor"): "minor"}
    return PassageKey(fitted, modes.get(home), tonic if named in modes else None, True)


def named_key(key, sharps: int, mode: str | None) -> PassageKey:
    """The key the user names for a passage (``continue --key F``; text as ``fuse --key`` takes
    it, or a :class:`~lstmfuse.theory.Key`), for where the notes do not settle it: Foster's
    F-major song under no signature leaves out as many of its notes in C major as in F major,
    so the signature stands and the song went on in C (docs/fusion.md, "A passage in the key of
    its notes")."""
    chosen = major_or_minor_key(key)
    same = chosen.fifths == sharps and chosen.mode == (mode or "major")
    return PassageKey(chosen.fifths, chosen.mode, None, not same, named=True)


def in_passage_key(passage: Melody, key: PassageKey) -> Melody:
    """The passage as the models should read it: its notes under the key they are in."""
    return replace(passage, sharps=key.sharps, mode=key.mode, tonic=key.tonic) if key.from_notes else passage
