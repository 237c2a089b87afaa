"""The sampling options of ``continue``, ``fuse`` and ``regenerate``, built from their one
declaration (:class:`lstmfuse.generation.options.SamplingOptions` and :func:`edge_options`),
and the genre weights parsed at the edge."""

from __future__ import annotations

import functools
import inspect
import typing
from typing import Any, Optional, Sequence

import typer

from ..generation.options import SamplingOptions, edge_options


def _parameters() -> list[inspect.Parameter]:
    params = []
    for opt in edge_options():
        annotation = opt.type if opt.default is not None else Optional[opt.type]
        default = typer.Option(opt.default, *opt.flags, help=opt.help)
        params.append(inspect.Parameter(opt.name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default))
    return params


def with_sampling_options(command):
    """Give a typer command every sampling option; it receives them as one
    ``options: SamplingOptions`` argument (built by :meth:`SamplingOptions.from_edge`)."""
    signature = inspect.signature(command)
    own = [p for p in signature.parameters.values() if p.name != "options"]
    extra = _parameters()
    hints = {k: v for k, v in typing.get_type_hints(command).items() if k not in ("options", "return")}

    @functools.wraps(command)
    def wrapper(**kwargs: Any):
        values = {p.name: kwargs.pop(p.name) for p in extra}
        return command(**kwargs, options=SamplingOptions.from_edge(values))

    wrapper.__signature__ = signature.replace(parameters=own + extra)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {**hints, **{p.name: p.annotation for p in extra}}
    return wrapper


WEIGHTS_HELP = ("folk=0.7,irish=0.3, or the option once per genre (-w folk=0.7 -w irish=0.3); "
                "normalised; a genre named twice adds up.")


def joined_weights(texts: "str | Sequence[str] | None") -> str | None:
    """Every ``--weights`` given, as one ``genre=number,...`` text (None if none).

    A scalar option given twice keeps only its last value, so ``-w folk=.5 -w irish=.5``
    would silently be pure Irish; the option is repeatable and its values are joined."""
    if texts is None or isinstance(texts, str):
        return texts
    parts = [t for t in texts if t.strip()]
    return ",".join(parts) if parts else None


def genre_weights(texts: "str | Sequence[str] | None"):
    """``--weights folk=0.7,irish=0.3`` (or one value per genre) -> GenreWeights over the
    installed genres (None if not given)."""
    text = joined_weights(texts)
    if text is None:
        return None
    from ..generation.weights import GenreWeights
    from ..models.registry import genre_names

    return GenreWeights.parse(text, genre_names())
