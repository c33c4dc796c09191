# Fixed twin of ../not_watched_tensor_watch_after_use.py: tape.watch(x) moves before x is used.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

x = tf.constant(np.linspace(-1.0, 1.0, 5), dtype=tf.float32)
with tf.GradientTape() as tape:
    tape.watch(x)
    energy = tf.reduce_sum(x * x)

print("grad x:", tape.gradient(energy, x))
