# A tf.py_function whose Python body uses only TensorFlow ops, inside a tf.function: its gradient
# flows (TensorFlow records the body on a tape of its own, on another thread). No finding.
# gradviz-expect: all-ok
import tensorflow as tf

w = tf.Variable([[0.5], [-0.5]], name="w")
x = tf.random.normal((6, 2), seed=1)


def soft_clip(a):
    return 2.0 * tf.tanh(a / 2.0)


@tf.function
def loss_fn(x):
    z = tf.matmul(x, w)
    z = tf.py_function(soft_clip, [z], tf.float32)
    return tf.reduce_mean(z**2)


with tf.GradientTape() as tape:
    loss = loss_fn(x)
g = tape.gradient(loss, w)
print("grad:", g.numpy().ravel())
