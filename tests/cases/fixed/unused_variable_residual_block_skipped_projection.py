# Fixed twin of ../unused_variable_residual_block_skipped_projection.py: the 1x1 shortcut convolution is created and built only when the channel counts differ, so no weights exist that call() never uses.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf


class TemporalBlock(keras.Model):
    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.conv = keras.layers.Conv1D(filters, 3, padding="causal", activation="relu", name="conv")
        self.shortcut = None
        self.head = keras.layers.Dense(1, name="head")

    def build(self, input_shape):
        self.conv.build(input_shape)
        if input_shape[-1] != self.filters:
            self.shortcut = keras.layers.Conv1D(self.filters, 1, name="shortcut")
            self.shortcut.build(input_shape)
        self.head.build((*input_shape[:-1], self.filters))

    def call(self, inputs):
        residual = inputs
        if self.shortcut is not None:
            residual = self.shortcut(inputs)
        features = self.conv(inputs) + residual
        return self.head(features[:, -1, :])


keras.utils.set_random_seed(0)
block = TemporalBlock(filters=4, name="temporal_block")
block.build((None, 10, 4))
optimizer = keras.optimizers.SGD(0.01)

rng = np.random.default_rng(263)
series = rng.normal(size=(8, 10, 4)).astype("float32")
target = series[:, -1, :1] * 0.5

with tf.GradientTape() as tape:
    loss = tf.reduce_mean(tf.square(block(series) - target))

grads = tape.gradient(loss, block.trainable_variables)
print("loss:", float(loss))
for var, grad in zip(block.trainable_variables, grads):
    print("grad", var.path, "->", None if grad is None else float(tf.norm(grad)))
