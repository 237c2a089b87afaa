"""Genre corpora from music21's bundled corpus: definitions, build/cache, split."""

from .build import build, corpus_path, corpus_report, load_corpus
from .genres import GENRES, Genre, genre_files, get_genre
from .split import split_of

__all__ = ["GENRES", "Genre", "build", "corpus_path", "corpus_report", "genre_files", "get_genre", "load_corpus", "split_of"]
