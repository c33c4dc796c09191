# Rebuilt from: https://github.com/tensorflow/tensorflow/issues/32964 ("Automatic gradient for numpy
# functions/external functions"): an external NumPy routine is wrapped in tf.py_function so it can sit
# in the loss; its body converts the tensor with .numpy(), and the gradient that comes back is exactly 0.
# gradviz-expect: stiffness status=zero cause=numpy_roundtrip line=18 call=27
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(32964)
loads = tf.constant(rng.uniform(0.5, 1.5, size=(6,)), dtype=tf.float32)
stiffness = tf.Variable(tf.fill((6,), 2.0), name="stiffness")


def external_displacement(k):
    return np.tanh(1.0 / k) * 0.5  # stands in for a compiled solver that only speaks NumPy


def displacement(k):
    values = external_displacement(k.numpy())
    return tf.constant(values, dtype=tf.float32)


with tf.GradientTape() as tape:
    u = tf.py_function(displacement, [stiffness], tf.float32)
    u.set_shape(stiffness.shape)
    compliance = tf.reduce_sum(loads * u)

grad = tape.gradient(compliance, stiffness)
print("compliance:", float(compliance))
print("grad stiffness:", grad.numpy())
