# The loss function is compiled and called once outside the tape (a warm-up), so
# its body is not traced again under the tape; the tf.stop_gradient inside still cuts `scale`.
# gradviz-expect: shift status=ok call=22
# gradviz-expect: scale status=none cause=stop_gradient line=15 call=22
import numpy as np
import tensorflow as tf

x = tf.constant(np.linspace(0.0, 1.0, 6), dtype=tf.float32)
shift = tf.Variable(0.5)
scale = tf.Variable(2.0)


@tf.function
def loss_fn(inputs):
    centred = tf.stop_gradient(inputs * scale) + shift
    return tf.reduce_mean(centred**2)


print("warm-up loss:", float(loss_fn(x)))
with tf.GradientTape() as tape:
    loss = loss_fn(x)
grad_shift, grad_scale = tape.gradient(loss, [shift, scale])
print("grad shift:", grad_shift)
print("grad scale:", grad_scale)
