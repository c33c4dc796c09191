# Fixed twin of ../outside_tape_reduce_in_gradient_call.py: the mean over the per-example losses is taken inside the tape, and tape.gradient gets that loss.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(1)
features = tf.constant(rng.normal(size=(16, 4)), dtype=tf.float32)
labels = tf.constant(rng.integers(0, 2, size=(16, 1)), dtype=tf.float32)
w = tf.Variable(tf.random.normal((4, 1), seed=1))

with tf.GradientTape() as tape:
    logits = features @ w
    per_example = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
    loss = tf.reduce_mean(per_example)

grad_w = tape.gradient(loss, w)
print("grad w:", grad_w)
