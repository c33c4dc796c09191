# Quadratic regression where the quadratic coefficient was declared but left out of the
# prediction: w and b train, `quad` gets None.
# gradviz-expect: w status=ok call=20
# gradviz-expect: b status=ok call=20
# gradviz-expect: quad status=none cause=unused_variable line=17 call=20
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(26)
x = tf.constant(rng.uniform(-2, 2, size=(40,)), dtype=tf.float32)
y = 0.7 * x**2 - 1.2 * x + 0.4
w = tf.Variable(0.0)
b = tf.Variable(0.0)
quad = tf.Variable(0.0)

with tf.GradientTape() as tape:
    y_pred = w * x + b
    loss = tf.reduce_mean(tf.square(y_pred - y))

grad_w, grad_b, grad_quad = tape.gradient(loss, [w, b, quad])
print("grad w:", grad_w)
print("grad b:", grad_b)
print("grad quad:", grad_quad)
