"""lstmfuse: extend and fuse melodies inside the score you are writing.

The data flows one way: files -> scores (``lstmfuse.io``) -> events/tokens
(``lstmfuse.encoding``) -> models -> tokens -> scores -> files.
"""

__version__ = "0.1.0"
