"""lstmfuse: extend and fuse melodies inside the score you are writing.

The data flows one way: files -> scores (``lstmfuse.io``) -> events/tokens
(``lstmfuse.encoding``) -> models -> tokens -> scores -> files.

The public API (:mod:`lstmfuse.api`) loads on first use, so ``import lstmfuse`` stays cheap
for the command line and the bridge::

    import lstmfuse
    result = lstmfuse.continue_passage("tune.musicxml", bars=4, weights={"irish": 0.7, "scottish": 0.3},
                                       options=lstmfuse.SamplingOptions(seed=1))
"""

import os as _os

# Inference steps small matrices one at a time; a multi-threaded BLAS only adds
# hand-off and spinning costs there (measured 9x slower on a busy 2-core machine).
# Callers who want threads can set these variables before importing lstmfuse.
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_var, "1")

__version__ = "0.1.0"

#: public name -> the module that defines it (imported on first use)
_API = {
    "load_score": "lstmfuse.api",
    "save_score": "lstmfuse.api",
    "passage_of": "lstmfuse.api",
    "continue_passage": "lstmfuse.api",
    "fuse": "lstmfuse.api",
    "to_score": "lstmfuse.api",
    "Result": "lstmfuse.generation.continuation",
    "Melody": "lstmfuse.encoding.events",
    "SamplingOptions": "lstmfuse.generation.options",
    "GenreWeights": "lstmfuse.generation.weights",
    "TunePosition": "lstmfuse.generation.form",
    "Key": "lstmfuse.theory",
    "parse_key": "lstmfuse.theory",
}

__all__ = ["__version__", *_API]


def __getattr__(name):
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'lstmfuse' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_API))
