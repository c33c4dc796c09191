# Rebuilt from: philipperemy/keras-tcn#263 "Gradients do not exist for variables ['kernel', 'bias']
# when minimizing the loss" (a residual block builds its 1x1 shortcut convolution but applies it only
# when the channel counts differ). A subclassed temporal block builds every sublayer in build(); its
# call() uses the shortcut convolution under a shape test that is never true for this input.
# gradviz-expect: block.trainable_variables[0] status=ok call=47
# gradviz-expect: block.trainable_variables[2] status=none cause=unused_variable line=29 call=47 mentions=shortcut
# gradviz-expect: block.trainable_variables[3] status=none cause=unused_variable line=29 call=47 mentions=shortcut
# gradviz-expect: block.trainable_variables[4] status=ok call=47
import keras
import numpy as np
import tensorflow as tf


class TemporalBlock(keras.Model):
    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.conv = keras.layers.Conv1D(filters, 3, padding="causal", activation="relu", name="conv")
        self.shortcut = keras.layers.Conv1D(filters, 1, name="shortcut")
        self.head = keras.layers.Dense(1, name="head")

    def build(self, input_shape):
        self.conv.build(input_shape)
        self.shortcut.build(input_shape)
        self.head.build((*input_shape[:-1], self.filters))

    def call(self, inputs):
        residual = inputs
        if inputs.shape[-1] != self.filters:
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
