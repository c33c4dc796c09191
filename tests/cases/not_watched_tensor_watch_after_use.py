# `tape.watch(x)` is called only after x was used: the tape follows x from the watch on, so the
# product computed before it is not recorded and the gradient is None.
# gradviz-expect: x status=none cause=not_watched_tensor line=7
import numpy as np
import tensorflow as tf

x = tf.constant(np.linspace(-1.0, 1.0, 5), dtype=tf.float32)
with tf.GradientTape() as tape:
    energy = tf.reduce_sum(x * x)
    tape.watch(x)

print("grad x:", tape.gradient(energy, x))
