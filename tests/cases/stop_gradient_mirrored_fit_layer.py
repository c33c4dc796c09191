# Keras fit on two replicas under tf.distribute.MirroredStrategy: a custom normalisation layer
# wraps its input in tf.stop_gradient (meant only for the running statistics), which also cuts
# the gradient to every layer before it, so fit trains only the layers after it.
# gradviz-expect: name=encoder/kernel status=none cause=stop_gradient line=20
# gradviz-expect: name=encoder/bias status=none cause=stop_gradient line=20
# gradviz-expect: name=head/kernel status=ok
import keras
import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])


class CenterFeatures(keras.layers.Layer):
    """Subtracts the batch mean of the features."""

    def call(self, features):
        centered = tf.stop_gradient(features - tf.reduce_mean(features, axis=0))
        return centered


keras.utils.set_random_seed(0)
with strategy.scope():
    model = keras.Sequential(
        [
            keras.Input(shape=(6,)),
            keras.layers.Dense(8, activation="relu", name="encoder"),
            CenterFeatures(name="center"),
            keras.layers.Dense(1, name="head"),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")

rng = np.random.default_rng(3)
x = rng.normal(size=(16, 6)).astype("float32")
y = rng.normal(size=(16, 1)).astype("float32")
history = model.fit(x, y, epochs=1, batch_size=8, verbose=0)
print("loss:", history.history["loss"])
