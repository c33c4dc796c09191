# Fixed twin of ../numpy_roundtrip_numpy_loss.py: the binary cross-entropy is written with TensorFlow ops on the probabilities instead of NumPy on probs.numpy().
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(20)
x = tf.constant(rng.normal(size=(16, 3)), dtype=tf.float32)
y = rng.integers(0, 2, size=(16, 1)).astype("float32")
w = tf.Variable(tf.random.normal((3, 1), seed=20))
b = tf.Variable(0.0)

with tf.GradientTape() as tape:
    probs = tf.sigmoid(x @ w + b)
    loss = -tf.reduce_mean(y * tf.math.log(probs + 1e-7) + (1 - y) * tf.math.log(1 - probs + 1e-7))

grad_w, grad_b = tape.gradient(loss, [w, b])
print("loss:", float(loss))
print("grad w:", grad_w)
print("grad b:", grad_b)
