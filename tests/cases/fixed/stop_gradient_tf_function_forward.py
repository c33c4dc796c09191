# Fixed twin of ../stop_gradient_tf_function_forward.py: the tf.stop_gradient line that detached the hidden layer in the compiled forward pass is removed.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(13)
x = tf.constant(rng.normal(size=(24, 4)), dtype=tf.float32)
y = tf.constant(rng.normal(size=(24, 1)), dtype=tf.float32)
w1 = tf.Variable(tf.random.normal((4, 8), seed=1))
b1 = tf.Variable(tf.zeros((8,)))
w2 = tf.Variable(tf.random.normal((8, 1), seed=2))


@tf.function
def forward(inputs):
    hidden = tf.nn.tanh(inputs @ w1 + b1)
    return hidden @ w2


with tf.GradientTape() as tape:
    loss = tf.reduce_mean(tf.square(forward(x) - y))

grads = tape.gradient(loss, [w1, b1, w2])
for name, grad in zip(["w1", "b1", "w2"], grads):
    print("grad", name, "->", None if grad is None else float(tf.norm(grad)))
