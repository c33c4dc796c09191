"""gradviz demo: a small regression step whose gradients are partly missing.

Two classic mistakes: the inputs are scaled before the `with` block (outside the tape), and a bias
is created with trainable=False. The weight gradient arrives; the other two come back as None.
"""

import numpy as np
import tensorflow as tf

rng = np.random.default_rng(0)
x = tf.constant(rng.normal(size=(32, 3)), dtype=tf.float32)
y = tf.constant(rng.normal(size=(32, 1)), dtype=tf.float32)

w = tf.Variable(tf.random.normal((3, 1), seed=1), name="w")
b = tf.Variable(tf.zeros((1,)), trainable=False, name="b")
scale = tf.Variable(1.0, name="scale")

x_scaled = x * scale  # computed before the tape starts recording

with tf.GradientTape() as tape:
    pred = tf.matmul(x_scaled, w) + b
    loss = tf.reduce_mean(tf.square(pred - y))

grads = tape.gradient(loss, [w, b, scale])
for name, g in zip(["w", "b", "scale"], grads):
    print(f"d loss / d {name}:", None if g is None else g.numpy().ravel()[:3])
