# Fixed twin of ../variable_assign_state_cache.py: the prediction uses the new state tensor directly; state.assign(new_state) only keeps it for the next step.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(24)
x_t = tf.constant(rng.normal(size=(4, 5)), dtype=tf.float32)
target = tf.constant(rng.normal(size=(4, 1)), dtype=tf.float32)
w_in = tf.Variable(tf.random.normal((5, 8), stddev=0.3, seed=24))
w_out = tf.Variable(tf.random.normal((8, 1), stddev=0.3, seed=25))
state = tf.Variable(tf.zeros((4, 8)), trainable=False)

with tf.GradientTape() as tape:
    new_state = tf.tanh(x_t @ w_in + state)
    state.assign(new_state)
    y_pred = new_state @ w_out
    loss = tf.reduce_mean(tf.square(y_pred - target))

grad_in, grad_out = tape.gradient(loss, [w_in, w_out])
print("grad w_in:", grad_in)
print("grad w_out norm:", float(tf.norm(grad_out)))
