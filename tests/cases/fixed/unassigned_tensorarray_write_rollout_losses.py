# Fixed twin of ../unassigned_tensorarray_write_rollout_losses.py: each step's loss is kept by assigning write()'s result back (step_losses = step_losses.write(i, ...)), so the stacked losses are the computed ones.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(37)
rng = np.random.default_rng(37)
series = np.cumsum(rng.normal(size=(16, 8)), axis=1).astype("float32")
history = tf.constant(series[:, :5])
future = tf.constant(series[:, 5:])

forecaster = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1, name="head")], name="forecaster")


@tf.function
def rollout_loss(window, horizon_targets):
    horizon = tf.shape(horizon_targets)[1]
    step_losses = tf.TensorArray(tf.float32, size=horizon)
    for i in tf.range(horizon):
        pred = forecaster(window)[:, 0]
        step_losses = step_losses.write(i, tf.reduce_mean(tf.square(pred - horizon_targets[:, i])))
        window = tf.concat([window[:, 1:], pred[:, None]], axis=1)
    return tf.reduce_sum(step_losses.stack())


with tf.GradientTape() as tape:
    loss = rollout_loss(history, future)

grads = tape.gradient(loss, forecaster.trainable_variables)
print("rollout loss:", float(loss))
for var, grad in zip(forecaster.trainable_variables, grads):
    print("grad", var.path, "->", None if grad is None else float(tf.norm(grad)))
