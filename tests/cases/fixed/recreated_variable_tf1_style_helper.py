# Fixed twin of ../recreated_variable_tf1_style_helper.py: the helper keeps its kernels by name and creates one only on the first call, reusing it afterwards like tf.compat.v1.get_variable did.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

_kernels = {}


def dense(x, units, activation=None, name="dense"):
    if name not in _kernels:
        _kernels[name] = tf.Variable(tf.random.normal((x.shape[-1], units), stddev=0.1, seed=1), name="kernel")
    kernel = _kernels[name]
    y = x @ kernel
    return (activation(y) if activation else y), kernel


rng = np.random.default_rng(30)
x = tf.constant(rng.normal(size=(8, 5)), dtype=tf.float32)
y = tf.constant(rng.normal(size=(8, 2)), dtype=tf.float32)
_, kernel = dense(x, 2)

with tf.GradientTape() as tape:
    y_pred, _ = dense(x, 2, activation=tf.nn.tanh)
    loss = tf.reduce_mean(tf.square(y_pred - y))

grad_kernel = tape.gradient(loss, kernel)
print("grad kernel:", grad_kernel)
