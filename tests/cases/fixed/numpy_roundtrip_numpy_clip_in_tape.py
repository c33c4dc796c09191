# Fixed twin of ../numpy_roundtrip_numpy_clip_in_tape.py: the probabilities are clipped with tf.clip_by_value instead of np.clip(np.asarray(...)).
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(21)
x = tf.constant(rng.normal(size=(10, 4)), dtype=tf.float32)
onehot = tf.one_hot(rng.integers(0, 3, size=10), depth=3)
w = tf.Variable(tf.random.normal((4, 3), stddev=0.3, seed=21), name="w")
b = tf.Variable(tf.zeros((3,)), name="b")

with tf.GradientTape() as tape:
    probs = tf.nn.softmax(x @ w + b)
    safe_probs = tf.clip_by_value(probs, 1e-6, 1.0)
    nll = -tf.reduce_sum(onehot * tf.math.log(safe_probs), axis=1)
    loss = tf.reduce_mean(nll)

grad_w, grad_b = tape.gradient(loss, [w, b])
print("loss:", float(loss))
print("grad w:", None if grad_w is None else float(tf.norm(grad_w)))
print("grad b:", None if grad_b is None else float(tf.norm(grad_b)))
