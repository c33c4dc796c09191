# Fixed twin of ../integer_dtype_int_bias.py: the bias is initialised with the float literal 0.0 (a float32 variable), so the cast that hid the int32 bias is dropped.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(19)
x = tf.constant(rng.normal(size=(16, 3)), dtype=tf.float32)
y = tf.constant(rng.normal(size=(16, 1)) + 4.0, dtype=tf.float32)
w = tf.Variable(tf.zeros((3, 1)))
bias = tf.Variable(0.0)

with tf.GradientTape() as tape:
    y_pred = x @ w + bias
    loss = tf.reduce_mean(tf.square(y_pred - y))

grad_w, grad_bias = tape.gradient(loss, [w, bias])
print("grad w:", grad_w)
print("grad bias:", grad_bias)
