# A binarised hidden layer: tf.sign as the activation makes the first layer's gradient exactly
# zero (no error, no None), so it silently never trains.
# gradviz-expect: w1 status=zero line=15 call=19
# gradviz-expect: w2 status=ok call=19
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(35)
x = tf.constant(rng.normal(size=(16, 4)), dtype=tf.float32)
y = tf.constant(rng.normal(size=(16, 1)), dtype=tf.float32)
w1 = tf.Variable(tf.random.normal((4, 8), seed=35))
w2 = tf.Variable(tf.random.normal((8, 1), stddev=0.3, seed=36))

with tf.GradientTape() as tape:
    hidden = tf.sign(x @ w1)
    y_pred = hidden @ w2
    loss = tf.reduce_mean(tf.square(y_pred - y))

grad_w1, grad_w2 = tape.gradient(loss, [w1, w2])
print("grad w1 max:", float(tf.reduce_max(tf.abs(grad_w1))))
print("grad w2:", grad_w2)
