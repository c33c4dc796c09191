# Fixed twin of ../python_reassignment_sgd_loop.py: the step updates the variable in place with w.assign_sub(...) instead of rebinding `w` to a tensor.
# gradviz-expect: all-ok
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
    w.assign_sub(learning_rate * grad)
