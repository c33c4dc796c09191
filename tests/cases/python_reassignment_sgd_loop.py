# Hand-written gradient descent: `w = w - lr * grad` turns the variable into a plain tensor,
# so from the second step on the gradient is None.
# gradviz-expect: w status=none cause=python_reassignment line=20 call=16
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(23)
x = tf.constant(rng.normal(size=(32, 3)), dtype=tf.float32)
y = x @ tf.constant([[2.0], [-1.0], [0.5]])
w = tf.Variable(tf.zeros((3, 1)))
learning_rate = 0.1

for step in range(3):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(x @ w - y))
    grad = tape.gradient(loss, w)
    print("step", step, "loss", float(loss), "grad is None:", grad is None)
    if grad is None:
        break
    w = w - learning_rate * grad
