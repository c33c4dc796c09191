# Naive quantisation-aware training: the weights are rounded to a 1/8 grid in the forward
# pass; tf.round has no gradient (no straight-through estimator), so w never trains.
# gradviz-expect: w status=none cause=non_differentiable_op line=15 call=19
# gradviz-expect: b status=ok call=19
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(17)
x = tf.constant(rng.normal(size=(32, 6)), dtype=tf.float32)
y = tf.constant(rng.normal(size=(32, 1)), dtype=tf.float32)
w = tf.Variable(tf.random.normal((6, 1), stddev=0.5, seed=17))
b = tf.Variable(tf.zeros((1,)))

with tf.GradientTape() as tape:
    w_quantized = tf.round(w * 8.0) / 8.0
    y_pred = x @ w_quantized + b
    loss = tf.reduce_mean(tf.square(y_pred - y))

grad_w, grad_b = tape.gradient(loss, [w, b])
print("grad w:", grad_w)
print("grad b:", grad_b)
