# Fixed twin of ../loop_body_capture_map_fn_per_example.py: map_fn runs over the examples themselves and each body call does its own forward pass under a GradientTape, so every per-example gradient is taken of values the body computed from kernel.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(76)
batch = tf.constant(rng.normal(size=(8, 5)), dtype=tf.float32)
labels = tf.constant(rng.normal(size=(8, 2)), dtype=tf.float32)
kernel = tf.Variable(tf.random.normal((5, 2), stddev=0.5, seed=76))


@tf.function
def per_example_grad_norms(x, y):
    def grad_norm(example):
        x_i, y_i = example
        with tf.GradientTape() as tape:
            example_loss = tf.reduce_sum(tf.square(x_i[None, :] @ kernel - y_i))
        g = tape.gradient(example_loss, kernel)
        return tf.norm(g)

    return tf.map_fn(grad_norm, (x, y), fn_output_signature=tf.float32)


print("per-example clipping over", int(batch.shape[0]), "examples")
norms = per_example_grad_norms(batch, labels)
clip_factors = tf.minimum(1.0, 1.0 / norms)
print("per-example gradient norms:", norms.numpy())
print("clip factors:", clip_factors.numpy())
