# Heteroscedastic regression: the noise scale is computed under tape.stop_recording()
# ("it is only a scalar, no need to record it"), so log_sigma never learns.
# gradviz-expect: w status=ok call=20
# gradviz-expect: log_sigma status=none cause=stop_recording line=17 call=20
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(3)
x = tf.constant(rng.normal(size=(64, 3)), dtype=tf.float32)
y = tf.constant(rng.normal(size=(64, 1)) * 2.0, dtype=tf.float32)
w = tf.Variable(tf.zeros((3, 1)))
log_sigma = tf.Variable(0.0)

with tf.GradientTape() as tape:
    mean = x @ w
    with tape.stop_recording():
        sigma = tf.exp(log_sigma)
    nll = tf.reduce_mean(0.5 * tf.square((y - mean) / sigma) + tf.math.log(sigma))

grad_w, grad_log_sigma = tape.gradient(nll, [w, log_sigma])
print("nll:", float(nll))
print("grad w:", grad_w)
print("grad log_sigma:", grad_log_sigma)
