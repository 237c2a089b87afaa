"""Melody LSTMs: the Keras definition and training (TensorFlow, training only), the NumPy
inference engine, the registry of installed models, and the pipeline that ships them."""
