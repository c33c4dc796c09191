# A binary cross-entropy written with NumPy: the predictions leave TensorFlow through .numpy()
# and the loss comes back as a brand-new tensor.
# gradviz-expect: w status=none cause=numpy_roundtrip line=16 call=20
# gradviz-expect: b status=none cause=numpy_roundtrip line=16 call=20
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(20)
x = tf.constant(rng.normal(size=(16, 3)), dtype=tf.float32)
y = rng.integers(0, 2, size=(16, 1)).astype("float32")
w = tf.Variable(tf.random.normal((3, 1), seed=20))
b = tf.Variable(0.0)

with tf.GradientTape() as tape:
    probs = tf.sigmoid(x @ w + b)
    p = probs.numpy()
    bce = -np.mean(y * np.log(p + 1e-7) + (1 - y) * np.log(1 - p + 1e-7))
    loss = tf.convert_to_tensor(bce, dtype=tf.float32)

grad_w, grad_b = tape.gradient(loss, [w, b])
print("loss:", float(loss))
print("grad w:", grad_w)
print("grad b:", grad_b)
