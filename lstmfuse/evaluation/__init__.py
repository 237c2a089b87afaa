"""Baselines and scores for held-out evaluation of melody models."""

from .ngram import NGramModel

__all__ = ["NGramModel"]
