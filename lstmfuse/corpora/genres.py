"""The genre corpora: exactly which files of music21's bundled corpus, which voice, and why.

Everything here ships inside the music21 wheel (nothing is downloaded). Licence: music21's
corpus/license.txt says parts of the corpus are for non-commercial use only; every model
trained on these inherits that note in its card.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError


@dataclass(frozen=True)
class Genre:
    name: str
    title: str
    globs: tuple[str, ...]  # relative to music21's corpus folder
    exclude: tuple[str, ...] = ()
    voice: str = "first"  # which part is the melody: "first" part, or a part name
    why: str = ""
    #: the four most common opening meters of the training split with their shares: a melody
    #: generated from nothing "in the genre" draws its meter from these
    meters: tuple[tuple[str, float], ...] = (("4/4", 1.0),)
    #: refit key signatures that do not describe the notes (corpora/keyfit.py). Off for every
    #: shipped genre: see keyfit's docstring for what a folk model trained with it did.
    refit_key_signatures: bool = False

    @property
    def meter(self) -> str:
        return self.meters[0][0]

    def draw_meter(self, rng) -> str:
        names = [m for m, _ in self.meters]
        shares = [w for _, w in self.meters]
        total = sum(shares)
        return names[int(rng.choice(len(names), p=[w / total for w in shares]))]


GENRES: dict[str, Genre] = {
    g.name: g
    for g in (
        Genre(
            "folk",
            "German/European folk songs (Essen Folksong Collection)",
            ("essenFolksong/*.abc",),
            exclude=("test*.abc", "han*.abc", "irl.abc"),
            meters=(("4/4", 0.34), ("2/4", 0.26), ("3/4", 0.25), ("6/8", 0.15)),
            why=(
                "Essen's German and central-European songs (altdeu, ballad, boehme, dva, erk, fink, "
                "folkHaydn, kinder, lot, lux, variant, zuccal). Left out: han1/han2 (Chinese songs, a "
                "different style), irl.abc (Irish: kept out so the folk and irish genres stay distinct), "
                "test*.abc (music21's own test files). Essen's K: gives the tonic with every other "
                "accidental written out, so about 11% of songs do not fit their signature (counted "
                "by each build; see corpora/keyfit.py)."
            ),
        ),
        Genre(
            "irish",
            "Irish dance tunes and airs (O'Neill's 1850 + Ryan's Mammoth Collection)",
            ("oneills1850/*.abc", "ryansMammoth/*.abc"),
            meters=(("6/8", 0.33), ("2/2", 0.31), ("2/4", 0.26), ("4/4", 0.10)),
            why="Single-line fiddle tunes: reels, jigs, hornpipes, airs; the tune is the only voice.",
        ),
        Genre(
            "scottish",
            "Scottish airs and dances (Aird's Airs)",
            ("airdsAirs/*.abc",),
            meters=(("4/4", 0.35), ("6/8", 0.30), ("2/4", 0.23), ("2/2", 0.12)),
            why="Aird's Selection of Scotch, English, Irish and Foreign Airs, single-line melodies.",
        ),
        Genre(
            "bach",
            "Bach chorale melodies (soprano voice of the four-part chorales)",
            ("bach/*.mxl",),
            meters=(("4/4", 0.90), ("3/4", 0.10)),
            voice="soprano",
            why=(
                "The chorale tune is the soprano; the lower voices are harmony, not melody, and would "
                "teach bass-line leaps. Files without a part named Soprano use the first part."
            ),
        ),
        Genre(
            "palestrina",
            "Palestrina mass movements (top voice, Humdrum **kern)",
            ("palestrina/*.krn",),
            meters=(("4/2", 0.92), ("3/2", 0.08)),
            why=(
                "The highest voice (first part: cantus/soprano) of every mass movement, read with "
                "converter21. One voice per file keeps the corpus a melody corpus and its size in "
                "line with the others."
            ),
        ),
    )
}


def corpus_root() -> Path:
    import music21

    return Path(music21.__file__).parent / "corpus"


def get_genre(name: str) -> Genre:
    try:
        return GENRES[name.lower()]
    except KeyError:
        raise UsageError(f"unknown genre '{name}' (choose from {', '.join(GENRES)})") from None


def genre_files(genre: Genre) -> list[Path]:
    """The genre's source files, sorted (so builds and splits are deterministic)."""
    root = corpus_root()
    files: set[Path] = set()
    for pattern in genre.globs:
        files.update(root.glob(pattern))
    excluded = {f for pattern in genre.exclude for f in root.glob(str(Path(genre.globs[0]).parent / pattern))}
    return sorted(files - excluded)
