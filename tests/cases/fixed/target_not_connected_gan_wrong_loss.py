# Fixed twin of ../target_not_connected_gan_wrong_loss.py: the generator's gradient is taken from g_loss, the loss on the discriminator's view of the fakes.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(31)
real = tf.constant(rng.normal(loc=2.0, size=(16, 2)), dtype=tf.float32)
z = tf.constant(rng.normal(size=(16, 4)), dtype=tf.float32)
g_w = tf.Variable(tf.random.normal((4, 2), stddev=0.5, seed=31))
d_w = tf.Variable(tf.random.normal((2, 1), stddev=0.5, seed=32))

with tf.GradientTape() as tape:
    fake = tf.tanh(z @ g_w)
    d_real = tf.sigmoid(real @ d_w)
    d_fake = tf.sigmoid(fake @ d_w)
    d_loss_real = -tf.reduce_mean(tf.math.log(d_real + 1e-7))
    g_loss = -tf.reduce_mean(tf.math.log(d_fake + 1e-7))

g_grad = tape.gradient(g_loss, g_w)
print("g_loss:", float(g_loss))
print("grad g_w:", g_grad)
