# Rebuilt from: https://github.com/tensorflow/tensorflow/issues/36306 ("Gradients do not propagate when
# iterating over dataset in graph mode"). The user fitted a distribution's parameters by summing the
# per-sample loss with Dataset.reduce inside the tape; both gradients came back None.
# gradviz-expect: mu status=none cause=dataset_boundary line=21 call=23
# gradviz-expect: log_sigma status=none cause=dataset_boundary line=21 call=23
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(36)
samples = tf.data.Dataset.from_tensor_slices(rng.normal(2.0, 0.5, size=64).astype("float32"))
mu = tf.Variable(0.0)
log_sigma = tf.Variable(0.0)


def add_nll(total, x):
    z = (x - mu) / tf.exp(log_sigma)
    return total + 0.5 * z * z + log_sigma


with tf.GradientTape() as tape:
    nll = samples.reduce(tf.constant(0.0), add_nll)

grad_mu, grad_log_sigma = tape.gradient(nll, [mu, log_sigma])
print("negative log-likelihood:", float(nll))
print("grad mu:", grad_mu)
print("grad log_sigma:", grad_log_sigma)
