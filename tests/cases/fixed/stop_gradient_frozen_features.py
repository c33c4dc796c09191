# Fixed twin of ../stop_gradient_frozen_features.py: the leftover tf.stop_gradient around the encoder's features is removed.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(12)
x = tf.constant(rng.normal(size=(16, 6)), dtype=tf.float32)
labels = tf.constant(rng.integers(0, 3, size=(16,)))
enc_w = tf.Variable(tf.random.normal((6, 12), stddev=0.3, seed=12))
head_w = tf.Variable(tf.random.normal((12, 3), stddev=0.3, seed=13))

with tf.GradientTape() as tape:
    features = tf.nn.relu(x @ enc_w)
    logits = features @ head_w
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))

g_enc, g_head = tape.gradient(loss, [enc_w, head_w])
print("loss:", float(loss))
print("grad enc_w:", g_enc)
print("grad head_w norm:", float(tf.norm(g_head)))
