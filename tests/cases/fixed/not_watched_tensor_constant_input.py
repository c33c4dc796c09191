# Fixed twin of ../not_watched_tensor_constant_input.py: tape.watch(x) is the first line inside the tape.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

x = tf.constant(np.linspace(-2.0, 2.0, 5), dtype=tf.float32)

with tf.GradientTape() as tape:
    tape.watch(x)
    y = tf.sin(3.0 * x) * tf.exp(-0.5 * x**2)

dy_dx = tape.gradient(y, x)
print("y:", y.numpy())
print("dy/dx:", dy_dx)
