# Fixed twin of ../stop_recording_noise_scale.py: sigma is computed on the tape, out of the `tape.stop_recording()` block, so log_sigma learns.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(3)
x = tf.constant(rng.normal(size=(64, 3)), dtype=tf.float32)
y = tf.constant(rng.normal(size=(64, 1)) * 2.0, dtype=tf.float32)
w = tf.Variable(tf.zeros((3, 1)))
log_sigma = tf.Variable(0.0)

with tf.GradientTape() as tape:
    mean = x @ w
    sigma = tf.exp(log_sigma)
    nll = tf.reduce_mean(0.5 * tf.square((y - mean) / sigma) + tf.math.log(sigma))

grad_w, grad_log_sigma = tape.gradient(nll, [w, log_sigma])
print("nll:", float(nll))
print("grad w:", grad_w)
print("grad log_sigma:", grad_log_sigma)
