# Rebuilt from: https://github.com/tensorflow/tensorflow/issues/50278 ("Second gradient return None using
# tf.while_loop in TF2.x"): a first gradient is taken with a tape before a tf.while_loop, and inside the loop
# body tf.gradients of an expression of that gradient with respect to the variable is None. Here the loop is
# a power iteration estimating the loss's sharpness (its top Hessian eigenvalue).
# gradviz-expect: weights status=ok call=22
# gradviz-expect: weights status=none cause=loop_body_capture line=25 call=25
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(50)
features = tf.constant(rng.normal(size=(20, 3)), dtype=tf.float32)
targets = tf.constant(rng.normal(size=(20,)), dtype=tf.float32)
weights = tf.Variable([0.5, -1.0, 2.0])
probe = tf.constant([1.0, 1.0, 1.0]) / np.sqrt(3.0)


@tf.function
def sharpness(v0):
    with tf.GradientTape() as tape:
        residual = tf.linalg.matvec(features, weights) - targets
        loss = tf.reduce_mean(tf.square(residual))
    grad = tape.gradient(loss, weights)

    def power_step(i, v, eig):
        hvp = tf.gradients(tf.reduce_sum(grad * v), weights)[0]
        print("Hessian-vector product inside the loop body:", hvp)
        if hvp is None:
            return i + 1, v, eig
        return i + 1, hvp / tf.norm(hvp), tf.reduce_sum(hvp * v)

    _, _, eig = tf.while_loop(lambda i, v, eig: i < 10, power_step, [0, v0, 0.0])
    return eig


print("estimated sharpness:", float(sharpness(probe)))
