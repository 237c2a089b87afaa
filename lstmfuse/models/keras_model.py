"""The Keras 3 definition of the melody LSTM (training only; inference runs in NumPy).

Inputs per step: token, metrical position, meter (and for the fusion model a genre-weight
vector; for structure models the lookback tokens and the phrase context of
encoding.structure); output: logits over the next token. Sequence-to-sequence: a target at
every step.
"""

from __future__ import annotations

from .config import ModelConfig


def build_model(config: ModelConfig, stateful_batch: int | None = None):
    import keras
    from keras import layers

    batch = stateful_batch
    tokens = keras.Input(shape=(None,), batch_size=batch, dtype="int32", name="tokens")
    positions = keras.Input(shape=(None,), batch_size=batch, dtype="int32", name="positions")
    meters = keras.Input(shape=(None,), batch_size=batch, dtype="int32", name="meters")
    inputs = [tokens, positions, meters]
    parts = [
        layers.Embedding(config.vocab_size, config.token_dim, name="token_embedding")(tokens),
        layers.Embedding(config.n_positions, config.position_dim, name="position_embedding")(positions),
        layers.Embedding(config.n_meters, config.meter_dim, name="meter_embedding")(meters),
    ]
    if config.genres:
        style = keras.Input(shape=(None, len(config.genres)), batch_size=batch, dtype="float32", name="style")
        inputs.append(style)
        parts.append(style)
    if config.structure:
        from ..encoding.structure import N_CONTEXT

        structure = keras.Input(shape=(None, 3), batch_size=batch, dtype="int32", name="structure")
        inputs.append(structure)
        lookback = layers.Embedding(config.vocab_size, config.lookback_dim, embeddings_initializer="zeros", name="lookback_embedding")
        context = layers.Embedding(N_CONTEXT, config.context_dim, embeddings_initializer="zeros", name="context_embedding")
        # Zero-initialised: a structure model starts out computing exactly what its base did,
        # so it can be fine-tuned from a trained model without losing what that knew.
        parts += [lookback(structure[..., 0]), lookback(structure[..., 1]), context(structure[..., 2])]
    x = layers.Concatenate(name="step_input")(parts)
    for i in range(config.layers):
        x = layers.LSTM(config.units, return_sequences=True, stateful=stateful_batch is not None, name=f"lstm_{i}")(x)
        x = layers.Dropout(config.dropout, name=f"dropout_{i}")(x)
    logits = layers.Dense(config.vocab_size, name="logits")(x)
    return keras.Model(inputs, logits, name="melody_lstm")


def weights_dict(model, config: ModelConfig) -> dict:
    """Named NumPy arrays of a trained model (the format shipped in weight files)."""
    import numpy as np

    out = {
        "token_embedding": model.get_layer("token_embedding").get_weights()[0],
        "position_embedding": model.get_layer("position_embedding").get_weights()[0],
        "meter_embedding": model.get_layer("meter_embedding").get_weights()[0],
    }
    if config.structure:
        out["lookback_embedding"] = model.get_layer("lookback_embedding").get_weights()[0]
        out["context_embedding"] = model.get_layer("context_embedding").get_weights()[0]
    for i in range(config.layers):
        k, rk, b = model.get_layer(f"lstm_{i}").get_weights()
        out[f"lstm_{i}_kernel"], out[f"lstm_{i}_recurrent"], out[f"lstm_{i}_bias"] = k, rk, b
    w, b = model.get_layer("logits").get_weights()
    out["logits_kernel"], out["logits_bias"] = w, b
    return {k: np.asarray(v, dtype=np.float32) for k, v in out.items()}


def set_weights_from_dict(model, config: ModelConfig, arrays: dict) -> None:
    """Load named arrays into a built model; a structure model also accepts the arrays of
    the same model without structure inputs (the start of a fine-tune)."""
    import numpy as np

    model.get_layer("token_embedding").set_weights([arrays["token_embedding"]])
    model.get_layer("position_embedding").set_weights([arrays["position_embedding"]])
    model.get_layer("meter_embedding").set_weights([arrays["meter_embedding"]])
    if config.structure and "lookback_embedding" in arrays:
        model.get_layer("lookback_embedding").set_weights([arrays["lookback_embedding"]])
        model.get_layer("context_embedding").set_weights([arrays["context_embedding"]])
    for i in range(config.layers):
        kernel = arrays[f"lstm_{i}_kernel"]
        if i == 0 and config.structure and kernel.shape[0] == config.base_input_dim:
            # a base model's weights: keep the new inputs' rows as initialised (their
            # embeddings start at zero, so the output is the base model's to begin with)
            current = model.get_layer("lstm_0").get_weights()[0]
            kernel = np.concatenate([kernel, current[config.base_input_dim :]], axis=0)
        model.get_layer(f"lstm_{i}").set_weights([kernel, arrays[f"lstm_{i}_recurrent"], arrays[f"lstm_{i}_bias"]])
    model.get_layer("logits").set_weights([arrays["logits_kernel"], arrays["logits_bias"]])
