# Fixed twin of ../watch_accessed_variables_false_input_penalty.py: watch_accessed_variables=False is dropped, so the tape watches w as well as the explicitly watched x.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(10)
x = tf.constant(rng.normal(size=(8, 5)), dtype=tf.float32)
w = tf.Variable(tf.random.normal((5, 3), seed=10))

with tf.GradientTape() as tape:
    tape.watch(x)
    activations = tf.tanh(x @ w)
    energy = tf.reduce_sum(activations**2)

dx, dw = tape.gradient(energy, [x, w])
print("grad x:", dx)
print("grad w:", dw)
