# Fixed twin of ../non_trainable_variable_output_scale.py: the output scale is created trainable (trainable=False removed).
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(7)
x = tf.constant(rng.normal(size=(32, 4)), dtype=tf.float32)
y = tf.constant(3.0 * rng.normal(size=(32, 1)), dtype=tf.float32)
w = tf.Variable(tf.random.normal((4, 1), seed=7))
output_scale = tf.Variable(1.0, name="output_scale")

with tf.GradientTape() as tape:
    y_pred = output_scale * (x @ w)
    loss = tf.reduce_mean(tf.square(y_pred - y))

grad_w, grad_scale = tape.gradient(loss, [w, output_scale])
print("grad w:", grad_w)
print("grad output_scale:", grad_scale)
