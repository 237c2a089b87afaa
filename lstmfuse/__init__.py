"""lstmfuse: extend and fuse melodies inside the score you are writing.

The data flows one way: files -> scores (``lstmfuse.io``) -> events/tokens
(``lstmfuse.encoding``) -> models -> tokens -> scores -> files.
"""

import os as _os

# Inference steps small matrices one at a time; a multi-threaded BLAS only adds
# hand-off and spinning costs there (measured 9x slower on a busy 2-core machine).
# Callers who want threads can set these variables before importing lstmfuse.
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_var, "1")

__version__ = "0.1.0"
