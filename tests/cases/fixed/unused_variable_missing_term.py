# Fixed twin of ../unused_variable_missing_term.py: the quadratic term quad * x**2 is added to the prediction.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(26)
x = tf.constant(rng.uniform(-2, 2, size=(40,)), dtype=tf.float32)
y = 0.7 * x**2 - 1.2 * x + 0.4
w = tf.Variable(0.0)
b = tf.Variable(0.0)
quad = tf.Variable(0.0)

with tf.GradientTape() as tape:
    y_pred = quad * x**2 + w * x + b
    loss = tf.reduce_mean(tf.square(y_pred - y))

grad_w, grad_b, grad_quad = tape.gradient(loss, [w, b, quad])
print("grad w:", grad_w)
print("grad b:", grad_b)
print("grad quad:", grad_quad)
