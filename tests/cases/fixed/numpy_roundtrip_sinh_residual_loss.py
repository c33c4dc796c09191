# Fixed twin of ../numpy_roundtrip_sinh_residual_loss.py: the penalty uses tf.math.sinh instead of np.sinh through tf.numpy_function.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf


def sinh_penalty(y_true, y_pred):
    residual = y_pred - y_true
    penalty = tf.math.sinh(residual)
    return tf.reduce_mean(tf.square(penalty))


keras.utils.set_random_seed(0)
forecaster = keras.Sequential(
    [keras.Input((7,)), keras.layers.Dense(12, activation="relu"), keras.layers.Dense(1)],
    name="forecaster",
)
optimizer = keras.optimizers.Adam(1e-3)

rng = np.random.default_rng(9)
past_week = rng.random((24, 7)).astype("float32")
next_day = past_week.mean(axis=1, keepdims=True) + 0.1 * rng.normal(size=(24, 1)).astype("float32")

with tf.GradientTape() as tape:
    forecast = forecaster(past_week, training=True)
    loss = sinh_penalty(next_day, forecast)

grads = tape.gradient(loss, forecaster.trainable_variables)
print("loss:", float(loss))
print("grad norms:", [None if g is None else float(tf.norm(g)) for g in grads])
