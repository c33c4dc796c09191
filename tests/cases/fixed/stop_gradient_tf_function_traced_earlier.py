# Fixed twin of ../stop_gradient_tf_function_traced_earlier.py: the tf.stop_gradient around `inputs * scale` in the compiled loss is removed, so `scale` gets its gradient.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

x = tf.constant(np.linspace(0.0, 1.0, 6), dtype=tf.float32)
shift = tf.Variable(0.5)
scale = tf.Variable(2.0)


@tf.function
def loss_fn(inputs):
    centred = inputs * scale + shift
    return tf.reduce_mean(centred**2)


print("warm-up loss:", float(loss_fn(x)))
with tf.GradientTape() as tape:
    loss = loss_fn(x)
grad_shift, grad_scale = tape.gradient(loss, [shift, scale])
print("grad shift:", grad_shift)
print("grad scale:", grad_scale)
