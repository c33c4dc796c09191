# A persistent tape used for two gradient calls: the data loss w.r.t. the weights and the
# regularisation term w.r.t. the same weights, reported separately.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(42)
x = tf.constant(rng.normal(size=(20, 4)), dtype=tf.float32)
y = tf.constant(rng.normal(size=(20, 1)), dtype=tf.float32)
w = tf.Variable(tf.random.normal((4, 1), seed=42))
b = tf.Variable(tf.zeros((1,)))

with tf.GradientTape(persistent=True) as tape:
    data_loss = tf.reduce_mean(tf.square(x @ w + b - y))
    l2_penalty = 1e-2 * tf.reduce_sum(tf.square(w))

data_grads = tape.gradient(data_loss, [w, b])
penalty_grad = tape.gradient(l2_penalty, w)
del tape
print("data grads:", [float(tf.norm(g)) for g in data_grads])
print("penalty grad:", penalty_grad)
