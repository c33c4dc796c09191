# tape.stop_recording() used as intended: only a logging metric is computed while paused,
# the loss path is fully recorded, so every gradient exists.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(47)
x = tf.constant(rng.normal(size=(16, 4)), dtype=tf.float32)
labels = tf.constant(rng.integers(0, 2, size=(16,)))
w = tf.Variable(tf.random.normal((4, 2), seed=47))
b = tf.Variable(tf.zeros((2,)))

with tf.GradientTape() as tape:
    logits = x @ w + b
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    with tape.stop_recording():
        accuracy = tf.reduce_mean(tf.cast(tf.argmax(logits, axis=1) == labels, tf.float32))

grad_w, grad_b = tape.gradient(loss, [w, b])
print("loss:", float(loss), "accuracy:", float(accuracy))
print("grad w:", grad_w)
print("grad b:", grad_b)
