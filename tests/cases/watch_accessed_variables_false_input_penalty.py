# Input-gradient penalty: the tape was told to watch only the inputs, then the same tape is
# asked for the weights' gradient as well.
# gradviz-expect: x status=ok call=17
# gradviz-expect: w status=none cause=watch_accessed_variables_false line=12 call=17
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(10)
x = tf.constant(rng.normal(size=(8, 5)), dtype=tf.float32)
w = tf.Variable(tf.random.normal((5, 3), seed=10))

with tf.GradientTape(watch_accessed_variables=False) as tape:
    tape.watch(x)
    activations = tf.tanh(x @ w)
    energy = tf.reduce_sum(activations**2)

dx, dw = tape.gradient(energy, [x, w])
print("grad x:", dx)
print("grad w:", dw)
