# Fixed twin of ../non_differentiable_op_argmax_class_index.py: the hard tf.argmax class index is replaced by a soft-argmax, the expected class index under tf.nn.softmax(logits).
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(16)
x = tf.constant(rng.normal(size=(20, 4)), dtype=tf.float32)
labels = tf.constant(rng.integers(0, 3, size=(20,)), dtype=tf.float32)
w = tf.Variable(tf.random.normal((4, 3), seed=16))
b = tf.Variable(tf.zeros((3,)))

with tf.GradientTape() as tape:
    logits = x @ w + b
    predicted_class = tf.reduce_sum(tf.nn.softmax(logits, axis=1) * tf.range(3, dtype=tf.float32), axis=1)
    loss = tf.reduce_mean(tf.square(predicted_class - labels))

grad_w, grad_b = tape.gradient(loss, [w, b])
print("loss:", float(loss))
print("grad w:", grad_w)
print("grad b:", grad_b)
