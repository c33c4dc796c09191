# Fixed twin of ../unexplained_fifo_queue_between_stages.py: the scoring stage takes the encoder's features directly instead of through a FIFOQueue.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(12)
frames = tf.constant(rng.normal(size=(8, 5)), dtype=tf.float32)
labels = tf.constant(rng.integers(0, 2, size=(8, 1)), dtype=tf.float32)

w_enc = tf.Variable(tf.random.normal((5, 4), stddev=0.5, seed=12), name="w_enc")
b_enc = tf.Variable(tf.zeros((4,)), name="b_enc")
w_score = tf.Variable(tf.random.normal((4, 1), stddev=0.5, seed=13), name="w_score")

with tf.GradientTape() as tape:
    features = tf.nn.relu(frames @ w_enc + b_enc)
    logits = features @ w_score
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))

grads = tape.gradient(loss, [w_enc, b_enc, w_score])
print("loss:", float(loss))
for name, grad in zip(["w_enc", "b_enc", "w_score"], grads):
    print("grad", name, "->", None if grad is None else float(tf.norm(grad)))
