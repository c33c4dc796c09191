# Rebuilt from: the TensorFlow autodiff guide, "Cases where gradient returns None: did calculations
# outside of TensorFlow" (y = np.mean(x2, axis=0) inside the tape), here in a hand-written
# cross-entropy that clips the softmax probabilities with NumPy before taking the log.
# gradviz-expect: w status=none cause=numpy_roundtrip line=17 call=21
# gradviz-expect: b status=none cause=numpy_roundtrip line=17 call=21
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(21)
x = tf.constant(rng.normal(size=(10, 4)), dtype=tf.float32)
onehot = tf.one_hot(rng.integers(0, 3, size=10), depth=3)
w = tf.Variable(tf.random.normal((4, 3), stddev=0.3, seed=21), name="w")
b = tf.Variable(tf.zeros((3,)), name="b")

with tf.GradientTape() as tape:
    probs = tf.nn.softmax(x @ w + b)
    safe_probs = np.clip(np.asarray(probs), 1e-6, 1.0)
    nll = -tf.reduce_sum(onehot * tf.math.log(safe_probs), axis=1)
    loss = tf.reduce_mean(nll)

grad_w, grad_b = tape.gradient(loss, [w, b])
print("loss:", float(loss))
print("grad w:", None if grad_w is None else float(tf.norm(grad_w)))
print("grad b:", None if grad_b is None else float(tf.norm(grad_b)))
