# Rebuilt from: tensorflow/tensorflow#12864 "No gradient defined for operation (op type:
# QueueDequeueUpToV2)" ("We can't backpropagate through queues"). A two-stage model hands the
# encoder's features to the scoring stage through a tf.queue.FIFOQueue, producer/consumer style.
# gradviz-expect: w_enc status=none cause=unexplained line=26 call=26
# gradviz-expect: b_enc status=none cause=unexplained line=26 call=26
# gradviz-expect: w_score status=ok call=26
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(12)
frames = tf.constant(rng.normal(size=(8, 5)), dtype=tf.float32)
labels = tf.constant(rng.integers(0, 2, size=(8, 1)), dtype=tf.float32)

w_enc = tf.Variable(tf.random.normal((5, 4), stddev=0.5, seed=12), name="w_enc")
b_enc = tf.Variable(tf.zeros((4,)), name="b_enc")
w_score = tf.Variable(tf.random.normal((4, 1), stddev=0.5, seed=13), name="w_score")
feature_buffer = tf.queue.FIFOQueue(capacity=16, dtypes=tf.float32, shapes=[(4,)])

with tf.GradientTape() as tape:
    features = tf.nn.relu(frames @ w_enc + b_enc)
    feature_buffer.enqueue_many(features)
    batch = feature_buffer.dequeue_many(8)
    logits = batch @ w_score
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))

grads = tape.gradient(loss, [w_enc, b_enc, w_score])
print("loss:", float(loss))
for name, grad in zip(["w_enc", "b_enc", "w_score"], grads):
    print("grad", name, "->", None if grad is None else float(tf.norm(grad)))
