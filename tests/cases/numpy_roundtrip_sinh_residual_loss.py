# Rebuilt from: keras-team/keras#10556 "Custom loss function which can save model weights, support
# subprocess calls and numpy operations". A demand forecaster is trained with an asymmetric loss
# whose penalty is computed by np.sinh through tf.numpy_function, reshaped back with tf.shape.
# gradviz-expect: forecaster.trainable_variables[0] status=none cause=numpy_roundtrip line=15 call=35
# gradviz-expect: forecaster.trainable_variables[1] status=none cause=numpy_roundtrip line=15 call=35
# gradviz-expect: forecaster.trainable_variables[2] status=none cause=numpy_roundtrip line=15 call=35
# gradviz-expect: forecaster.trainable_variables[3] status=none cause=numpy_roundtrip line=15 call=35
import keras
import numpy as np
import tensorflow as tf


def sinh_penalty(y_true, y_pred):
    residual = y_pred - y_true
    penalty = tf.numpy_function(np.sinh, [residual], tf.float32)
    penalty = tf.reshape(penalty, tf.shape(residual))
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
