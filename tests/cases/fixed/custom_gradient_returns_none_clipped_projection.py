# Fixed twin of ../custom_gradient_returns_none_clipped_projection.py: the gradient function returns the clipped gradient for the weight it reads (h^T @ dz for proj) instead of a list of None.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(31)
x = tf.constant(rng.normal(size=(16, 5)), dtype=tf.float32)
y = tf.constant(rng.normal(size=(16, 1)), dtype=tf.float32)
embed = tf.Variable(tf.random.normal((5, 6), stddev=0.4, seed=31), name="embed")
proj = tf.Variable(tf.random.normal((6, 4), stddev=0.4, seed=32), name="proj")
head = tf.Variable(tf.random.normal((4, 1), stddev=0.4, seed=33), name="head")
params = [embed, proj, head]


@tf.custom_gradient
def clipped_projection(h):
    z = h @ proj

    def grad(dz, variables=None):
        dz = tf.clip_by_norm(dz, 1.0)
        return dz @ tf.transpose(proj), [tf.transpose(h) @ dz]

    return z, grad


@tf.function
def train_step(inputs, targets):
    with tf.GradientTape() as tape:
        h = tf.tanh(inputs @ embed)
        pred = tf.tanh(clipped_projection(h)) @ head
        loss = tf.reduce_mean(tf.square(pred - targets))
    return loss, tape.gradient(loss, params)


loss, grads = train_step(x, y)
print("loss:", float(loss))
for var, grad in zip(params, grads):
    print("grad", var.name, "->", None if grad is None else float(tf.norm(grad)))
