# A @tf.function encoder called from a @tf.function model: the stop_gradient sits two function
# levels down, and only the encoder's weight loses its gradient.
# gradviz-expect: w_enc status=none cause=stop_gradient line=15 call=25
# gradviz-expect: w_out status=ok call=25
import numpy as np
import tensorflow as tf

x = tf.constant(np.random.default_rng(3).normal(size=(4, 3)), dtype=tf.float32)
w_enc = tf.Variable(tf.random.normal((3, 5), seed=3))
w_out = tf.Variable(tf.random.normal((5, 1), seed=4))


@tf.function
def encode(inputs):
    return tf.stop_gradient(tf.nn.relu(inputs @ w_enc))


@tf.function
def model(inputs):
    return encode(inputs) @ w_out


with tf.GradientTape() as tape:
    loss = tf.reduce_mean(model(x) ** 2)
grad_enc, grad_out = tape.gradient(loss, [w_enc, w_out])
print("grad w_enc:", grad_enc)
print("grad w_out:", None if grad_out is None else grad_out.shape)
