"""Experiments above generation: the proofs (weight fidelity, pure genre, originality), the
form and blend proofs, the sweep and the context-length study. They call the generators
and the judges; the models' own held-out scoring and the n-gram baseline live with the
models (``lstmfuse.models.heldout``, ``lstmfuse.models.ngram``)."""
