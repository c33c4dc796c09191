# A bias initialised with the integer literal 0 becomes an int32 variable; the cast that makes
# the shapes/dtypes line up hides it, and the bias never gets a gradient.
# gradviz-expect: w status=ok call=18
# gradviz-expect: bias status=none cause=integer_dtype line=12 call=18
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(19)
x = tf.constant(rng.normal(size=(16, 3)), dtype=tf.float32)
y = tf.constant(rng.normal(size=(16, 1)) + 4.0, dtype=tf.float32)
w = tf.Variable(tf.zeros((3, 1)))
bias = tf.Variable(0)

with tf.GradientTape() as tape:
    y_pred = x @ w + tf.cast(bias, tf.float32)
    loss = tf.reduce_mean(tf.square(y_pred - y))

grad_w, grad_bias = tape.gradient(loss, [w, bias])
print("grad w:", grad_w)
print("grad bias:", grad_bias)
