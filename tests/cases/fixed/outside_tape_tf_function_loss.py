# Fixed twin of ../outside_tape_tf_function_loss.py: the compiled Huber loss is called inside the `with tf.GradientTape()` block.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf


@tf.function
def huber_loss(y_true, y_pred, delta=1.0):
    err = tf.abs(y_true - y_pred)
    return tf.reduce_mean(tf.where(err < delta, 0.5 * err**2, delta * (err - 0.5 * delta)))


rng = np.random.default_rng(2)
x = tf.constant(rng.normal(size=(20, 5)), dtype=tf.float32)
y = tf.constant(rng.normal(size=(20, 1)), dtype=tf.float32)
w1 = tf.Variable(tf.random.normal((5, 8), seed=2))
w2 = tf.Variable(tf.random.normal((8, 1), seed=3))

with tf.GradientTape() as tape:
    hidden = tf.nn.relu(x @ w1)
    y_pred = hidden @ w2
    loss = huber_loss(y, y_pred)

g1, g2 = tape.gradient(loss, [w1, w2])
print("loss:", loss.numpy())
print("grad w1:", g1)
print("grad w2:", g2)
