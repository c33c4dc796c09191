# Fixed twin of ../zero_unconnected_outside_tape.py: the loss line is indented back into the `with tf.GradientTape()` block, so the gradients are real rather than filled-in zeros.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(36)
x = tf.constant(rng.normal(size=(16, 3)), dtype=tf.float32)
y = tf.constant(rng.normal(size=(16, 1)), dtype=tf.float32)
w = tf.Variable(tf.random.normal((3, 1), seed=36))
b = tf.Variable(tf.zeros((1,)))
optimizer = tf.keras.optimizers.SGD(0.1)

with tf.GradientTape() as tape:
    y_pred = x @ w + b
    loss = tf.reduce_mean(tf.square(y_pred - y))

grads = tape.gradient(loss, [w, b], unconnected_gradients=tf.UnconnectedGradients.ZERO)
optimizer.apply_gradients(zip(grads, [w, b]))
print("grad w:", grads[0])
print("grad b:", grads[1])
