# The usual compiled training step: tape and optimizer inside a @tf.function.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(44)
x = tf.constant(rng.normal(size=(32, 5)), dtype=tf.float32)
y = tf.constant(rng.normal(size=(32, 1)), dtype=tf.float32)
w1 = tf.Variable(tf.random.normal((5, 16), stddev=0.3, seed=44))
b1 = tf.Variable(tf.zeros((16,)))
w2 = tf.Variable(tf.random.normal((16, 1), stddev=0.3, seed=45))
params = [w1, b1, w2]
optimizer = tf.keras.optimizers.Adam(1e-2)


@tf.function
def train_step(inputs, targets):
    with tf.GradientTape() as tape:
        hidden = tf.nn.relu(inputs @ w1 + b1)
        loss = tf.reduce_mean(tf.square(hidden @ w2 - targets))
    grads = tape.gradient(loss, params)
    optimizer.apply_gradients(zip(grads, params))
    return loss


for step in range(3):
    print("step", step, "loss", float(train_step(x, y)))
