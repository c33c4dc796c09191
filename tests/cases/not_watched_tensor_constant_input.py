# Checking the derivative of a damped wave at a few points: x is a tf.constant, not watched.
# gradviz-expect: x status=none cause=not_watched_tensor line=6
import numpy as np
import tensorflow as tf

x = tf.constant(np.linspace(-2.0, 2.0, 5), dtype=tf.float32)

with tf.GradientTape() as tape:
    y = tf.sin(3.0 * x) * tf.exp(-0.5 * x**2)

dy_dx = tape.gradient(y, x)
print("y:", y.numpy())
print("dy/dx:", dy_dx)
