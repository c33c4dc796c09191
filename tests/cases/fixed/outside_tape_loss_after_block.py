# Fixed twin of ../outside_tape_loss_after_block.py: the loss line is indented back into the `with tf.GradientTape()` block.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(0)
x_train = rng.normal(size=(32, 3)).astype("float32")
y_train = x_train @ np.array([[1.5], [-2.0], [0.5]], dtype="float32") + 0.3

w = tf.Variable(tf.zeros((3, 1)), name="w")
b = tf.Variable(0.0, name="b")

with tf.GradientTape() as tape:
    y_pred = tf.matmul(x_train, w) + b
    loss = tf.reduce_mean(tf.square(y_pred - y_train))

dw, db = tape.gradient(loss, [w, b])
print("loss:", float(loss))
print("grad w:", dw)
print("grad b:", db)
