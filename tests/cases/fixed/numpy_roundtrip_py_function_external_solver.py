# Fixed twin of ../numpy_roundtrip_py_function_external_solver.py: the routine is written with TensorFlow ops inside the py_function, which the tape differentiates.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(32964)
loads = tf.constant(rng.uniform(0.5, 1.5, size=(6,)), dtype=tf.float32)
stiffness = tf.Variable(tf.fill((6,), 2.0), name="stiffness")


def external_displacement(k):
    return tf.math.tanh(1.0 / k) * 0.5  # the same formula, in TensorFlow ops


def displacement(k):
    values = external_displacement(k)
    return tf.cast(values, tf.float32)


with tf.GradientTape() as tape:
    u = tf.py_function(displacement, [stiffness], tf.float32)
    u.set_shape(stiffness.shape)
    compliance = tf.reduce_sum(loads * u)

grad = tape.gradient(compliance, stiffness)
print("compliance:", float(compliance))
print("grad stiffness:", grad.numpy())
