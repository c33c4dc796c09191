# Fixed twin of ../non_differentiable_op_round_quantized_weights.py: the rounding uses a straight-through estimator (w + tf.stop_gradient(rounded - w)), so w trains on the quantised forward pass.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(17)
x = tf.constant(rng.normal(size=(32, 6)), dtype=tf.float32)
y = tf.constant(rng.normal(size=(32, 1)), dtype=tf.float32)
w = tf.Variable(tf.random.normal((6, 1), stddev=0.5, seed=17))
b = tf.Variable(tf.zeros((1,)))

with tf.GradientTape() as tape:
    w_quantized = w + tf.stop_gradient(tf.round(w * 8.0) / 8.0 - w)
    y_pred = x @ w_quantized + b
    loss = tf.reduce_mean(tf.square(y_pred - y))

grad_w, grad_b = tape.gradient(loss, [w, b])
print("grad w:", grad_w)
print("grad b:", grad_b)
