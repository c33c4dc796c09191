# Rebuilt from: https://github.com/tensorflow/tensorflow/issues/7643 ("Interaction between tf.map_fn and
# tf.gradients") and #3972 ("tf.gradients returns None in tf.map_fn"): per-example gradient norms for
# clipping, computed with tf.gradients inside tf.map_fn over rows of a batch's output. The forward pass ran
# before map_fn, so the gradient is None and the next op fails on it.
# gradviz-expect-exit: nonzero
# gradviz-expect: kernel status=none cause=loop_body_capture line=22 call=22
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(76)
batch = tf.constant(rng.normal(size=(8, 5)), dtype=tf.float32)
labels = tf.constant(rng.normal(size=(8, 2)), dtype=tf.float32)
kernel = tf.Variable(tf.random.normal((5, 2), stddev=0.5, seed=76))


@tf.function
def per_example_grad_norms(x, y):
    preds = x @ kernel
    per_example_loss = tf.reduce_sum(tf.square(preds - y), axis=1)

    def grad_norm(example_loss):
        g = tf.gradients(example_loss, kernel)[0]
        return tf.norm(g)

    return tf.map_fn(grad_norm, per_example_loss)


print("per-example clipping over", int(batch.shape[0]), "examples")
norms = per_example_grad_norms(batch, labels)
clip_factors = tf.minimum(1.0, 1.0 / norms)
