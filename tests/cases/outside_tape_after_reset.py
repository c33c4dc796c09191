# tape.reset() in the middle of the block throws away what was recorded so far: the hidden
# layer computed before it is no longer on the tape.
# gradviz-expect: w status=none cause=outside_tape line=12 call=17
import numpy as np
import tensorflow as tf

x = tf.constant(np.random.default_rng(5).normal(size=(4, 2)), dtype=tf.float32)
w = tf.Variable(tf.ones((2, 3)))
b = tf.Variable(tf.zeros((3,)))

with tf.GradientTape() as tape:
    hidden = tf.tanh(x @ w)
    tape.reset()  # meant to drop a warm-up computation, but drops `hidden` too
    loss = tf.reduce_sum(hidden + b)

# gradviz-expect: b status=ok call=17
grad_w, grad_b = tape.gradient(loss, [w, b])
print("grad w:", grad_w)
print("grad b:", grad_b)
