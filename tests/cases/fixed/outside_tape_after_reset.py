# Fixed twin of ../outside_tape_after_reset.py: the tape.reset() call is removed, so the hidden layer stays on the tape.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

x = tf.constant(np.random.default_rng(5).normal(size=(4, 2)), dtype=tf.float32)
w = tf.Variable(tf.ones((2, 3)))
b = tf.Variable(tf.zeros((3,)))

with tf.GradientTape() as tape:
    hidden = tf.tanh(x @ w)
    loss = tf.reduce_sum(hidden + b)

grad_w, grad_b = tape.gradient(loss, [w, b])
print("grad w:", grad_w)
print("grad b:", grad_b)
