# Fixed twin of ../stop_gradient_tf_function_nested.py: the tf.stop_gradient in the compiled encoder is removed, so the encoder's weight gets its gradient.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

x = tf.constant(np.random.default_rng(3).normal(size=(4, 3)), dtype=tf.float32)
w_enc = tf.Variable(tf.random.normal((3, 5), seed=3))
w_out = tf.Variable(tf.random.normal((5, 1), seed=4))


@tf.function
def encode(inputs):
    return tf.nn.relu(inputs @ w_enc)


@tf.function
def model(inputs):
    return encode(inputs) @ w_out


with tf.GradientTape() as tape:
    loss = tf.reduce_mean(model(x) ** 2)
grad_enc, grad_out = tape.gradient(loss, [w_enc, w_out])
print("grad w_enc:", grad_enc)
print("grad w_out:", None if grad_out is None else grad_out.shape)
