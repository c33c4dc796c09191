# Fixed twin of ../not_watched_tensor_read_value_snapshot.py: tape.watch(kernel_snapshot) is the first line inside the tape.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(6)
x = tf.constant(rng.normal(size=(10, 4)), dtype=tf.float32)
y_onehot = tf.one_hot(rng.integers(0, 2, size=(10,)), depth=2)
kernel = tf.Variable(rng.normal(size=(4, 2)).astype("float32"), name="kernel")

kernel_snapshot = kernel.read_value()
with tf.GradientTape() as tape:
    tape.watch(kernel_snapshot)
    logits = x @ kernel_snapshot
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y_onehot, logits=logits))

sensitivity = tape.gradient(loss, kernel_snapshot)
print("loss:", float(loss))
print("sensitivity:", sensitivity)
