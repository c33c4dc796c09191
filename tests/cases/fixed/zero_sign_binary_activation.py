# Fixed twin of ../zero_sign_binary_activation.py: the binary activation keeps tf.sign in the forward pass with a straight-through estimator (h + tf.stop_gradient(tf.sign(h) - h)).
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(35)
x = tf.constant(rng.normal(size=(16, 4)), dtype=tf.float32)
y = tf.constant(rng.normal(size=(16, 1)), dtype=tf.float32)
w1 = tf.Variable(tf.random.normal((4, 8), seed=35))
w2 = tf.Variable(tf.random.normal((8, 1), stddev=0.3, seed=36))

with tf.GradientTape() as tape:
    pre_activation = x @ w1
    hidden = pre_activation + tf.stop_gradient(tf.sign(pre_activation) - pre_activation)
    y_pred = hidden @ w2
    loss = tf.reduce_mean(tf.square(y_pred - y))

grad_w1, grad_w2 = tape.gradient(loss, [w1, w2])
print("grad w1 max:", float(tf.reduce_max(tf.abs(grad_w1))))
print("grad w2:", grad_w2)
