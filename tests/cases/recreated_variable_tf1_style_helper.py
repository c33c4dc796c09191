# TF1 code ported to TF2: tf.compat.v1.get_variable reused variables by name, but the ported
# helper creates a fresh tf.Variable on every call, so the kernel kept from the first call is
# not the one inside the tape.
# gradviz-expect: kernel status=none cause=recreated_variable line=10 call=24
import numpy as np
import tensorflow as tf


def dense(x, units, activation=None):
    kernel = tf.Variable(tf.random.normal((x.shape[-1], units), stddev=0.1, seed=1), name="kernel")
    y = x @ kernel
    return (activation(y) if activation else y), kernel


rng = np.random.default_rng(30)
x = tf.constant(rng.normal(size=(8, 5)), dtype=tf.float32)
y = tf.constant(rng.normal(size=(8, 2)), dtype=tf.float32)
_, kernel = dense(x, 2)

with tf.GradientTape() as tape:
    y_pred, _ = dense(x, 2, activation=tf.nn.tanh)
    loss = tf.reduce_mean(tf.square(y_pred - y))

grad_kernel = tape.gradient(loss, kernel)
print("grad kernel:", grad_kernel)
