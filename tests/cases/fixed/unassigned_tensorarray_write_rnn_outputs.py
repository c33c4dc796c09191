# Fixed twin of ../unassigned_tensorarray_write_rnn_outputs.py: the TensorArray returned by write() is assigned back (preds = preds.write(t, ...)), so the stacked predictions are the ones the loop computed.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(33)
seq = tf.constant(rng.normal(size=(6, 4, 3)), dtype=tf.float32)  # time, batch, features
labels = tf.constant(rng.normal(size=(6, 4, 1)), dtype=tf.float32)
w_in = tf.Variable(tf.random.normal((3, 8), stddev=0.3, seed=33), name="w_in")
w_rec = tf.Variable(tf.random.normal((8, 8), stddev=0.3, seed=34), name="w_rec")
w_out = tf.Variable(tf.random.normal((8, 1), stddev=0.3, seed=35), name="w_out")
params = [w_in, w_rec, w_out]


@tf.function
def train_step(inputs, targets):
    with tf.GradientTape() as tape:
        steps = tf.shape(inputs)[0]
        preds = tf.TensorArray(tf.float32, size=steps)
        state = tf.zeros((4, 8))
        for t in tf.range(steps):
            state = tf.tanh(inputs[t] @ w_in + state @ w_rec)
            preds = preds.write(t, state @ w_out)
        loss = tf.reduce_mean(tf.square(preds.stack() - targets))
    grads = tape.gradient(loss, params)
    return loss, grads


loss, grads = train_step(seq, labels)
print("loss:", float(loss))
for var, grad in zip(params, grads):
    print("grad", var.name, "->", None if grad is None else float(tf.norm(grad)))
