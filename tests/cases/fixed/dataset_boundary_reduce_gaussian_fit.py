# Fixed twin of ../dataset_boundary_reduce_gaussian_fit.py: the loss is summed over the dataset's batches by a Python loop inside the tape instead of by Dataset.reduce, so every op runs where the tape records it.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(36)
samples = tf.data.Dataset.from_tensor_slices(rng.normal(2.0, 0.5, size=64).astype("float32"))
mu = tf.Variable(0.0)
log_sigma = tf.Variable(0.0)


def batch_nll(x):
    z = (x - mu) / tf.exp(log_sigma)
    return tf.reduce_sum(0.5 * z * z + log_sigma)


with tf.GradientTape() as tape:
    nll = tf.constant(0.0)
    for batch in samples.batch(16):
        nll += batch_nll(batch)

grad_mu, grad_log_sigma = tape.gradient(nll, [mu, log_sigma])
print("negative log-likelihood:", float(nll))
print("grad mu:", grad_mu)
print("grad log_sigma:", grad_log_sigma)
