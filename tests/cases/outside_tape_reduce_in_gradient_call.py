# Logistic regression: the per-example losses are averaged inside the gradient call itself,
# where no tape is recording any more.
# gradviz-expect: w status=none cause=outside_tape line=16 call=16
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(1)
features = tf.constant(rng.normal(size=(16, 4)), dtype=tf.float32)
labels = tf.constant(rng.integers(0, 2, size=(16, 1)), dtype=tf.float32)
w = tf.Variable(tf.random.normal((4, 1), seed=1))

with tf.GradientTape() as tape:
    logits = features @ w
    per_example = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)

grad_w = tape.gradient(tf.reduce_mean(per_example), w)
print("grad w:", grad_w)
