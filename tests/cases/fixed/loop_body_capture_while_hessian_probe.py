# Fixed twin of ../loop_body_capture_while_hessian_probe.py: the loop body computes the loss and its gradient itself, with nested GradientTapes, so the Hessian-vector product is taken of values the body computed from weights.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(50)
features = tf.constant(rng.normal(size=(20, 3)), dtype=tf.float32)
targets = tf.constant(rng.normal(size=(20,)), dtype=tf.float32)
weights = tf.Variable([0.5, -1.0, 2.0])
probe = tf.constant([1.0, 1.0, 1.0]) / np.sqrt(3.0)


@tf.function
def sharpness(v0):
    def power_step(i, v, eig):
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                residual = tf.linalg.matvec(features, weights) - targets
                loss = tf.reduce_mean(tf.square(residual))
            grad = inner.gradient(loss, weights)
            directional = tf.reduce_sum(grad * v)
        hvp = outer.gradient(directional, weights)
        return i + 1, hvp / tf.norm(hvp), tf.reduce_sum(hvp * v)

    _, _, eig = tf.while_loop(lambda i, v, eig: i < 10, power_step, [0, v0, 0.0])
    return eig


print("estimated sharpness:", float(sharpness(probe)))
