# Fixed twin of ../variable_assign_fit_context_layer.py: the layer returns the summary tensor it computed (still caching it with assign) instead of reading the cached variable back.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf


class BatchContext(keras.layers.Layer):
    def build(self, input_shape):
        self.summary_proj = self.add_weight(name="summary_proj", shape=(input_shape[-1], 8))
        self.context = self.add_weight(name="context", shape=(1, 8), initializer="zeros", trainable=False)

    def call(self, x):
        summary = tf.reduce_mean(x @ self.summary_proj, axis=0, keepdims=True)
        self.context.assign(summary)
        return tf.repeat(summary, tf.shape(x)[0], axis=0)


class ContextModel(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.encode = keras.layers.Dense(8, activation="relu", name="encode")
        self.context = BatchContext(name="context")
        self.head = keras.layers.Dense(1, name="head")

    def call(self, x):
        return self.head(self.encode(x) + self.context(x))


keras.utils.set_random_seed(0)
rng = np.random.default_rng(25)
x = rng.normal(size=(8, 4)).astype("float32")
y = rng.normal(size=(8, 1)).astype("float32")
model = ContextModel(name="context_net")
model.compile(optimizer="adam", loss="mse")
history = model.fit(x, y, epochs=1, batch_size=4, verbose=0)
print("loss:", history.history["loss"])
