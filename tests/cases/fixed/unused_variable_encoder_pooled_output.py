# Fixed twin of ../unused_variable_encoder_pooled_output.py: the tagger builds its encoder with add_pooling_layer=False (as TFBertModel allows), so there is no pooler whose output would be dropped.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf


class MiniEncoder(keras.layers.Layer):
    def __init__(self, vocab_size, hidden, add_pooling_layer=True, **kwargs):
        super().__init__(**kwargs)
        self.embeddings = keras.layers.Embedding(vocab_size, hidden, name="embeddings")
        self.mixer = keras.layers.Dense(hidden, activation="gelu", name="mixer")
        self.pooler = keras.layers.Dense(hidden, activation="tanh", name="pooler") if add_pooling_layer else None

    def call(self, token_ids):
        sequence_output = self.mixer(self.embeddings(token_ids))
        pooled_output = self.pooler(sequence_output[:, 0, :]) if self.pooler is not None else None
        return sequence_output, pooled_output


class TokenTagger(keras.Model):
    def __init__(self, num_tags, **kwargs):
        super().__init__(**kwargs)
        self.encoder = MiniEncoder(vocab_size=30, hidden=8, add_pooling_layer=False, name="encoder")
        self.tag_head = keras.layers.Dense(num_tags, name="tag_head")

    def call(self, token_ids):
        hidden_states = self.encoder(token_ids)[0]
        return self.tag_head(hidden_states)


keras.utils.set_random_seed(0)
tagger = TokenTagger(num_tags=4, name="tagger")
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

rng = np.random.default_rng(5427)
token_ids = rng.integers(1, 30, size=(4, 7))
tags = rng.integers(0, 4, size=(4, 7))

with tf.GradientTape() as tape:
    loss = loss_fn(tags, tagger(token_ids))

grads = tape.gradient(loss, tagger.trainable_variables)
print("loss:", float(loss))
for var, grad in zip(tagger.trainable_variables, grads):
    print("grad", var.path, "->", None if grad is None else float(tf.norm(tf.convert_to_tensor(grad))))
