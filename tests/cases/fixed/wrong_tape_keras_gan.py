# Fixed twin of ../wrong_tape_keras_gan.py: the generator's gradient is asked of gen_tape, the tape that recorded g_loss.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(0)
generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, name="g_out")], name="generator")
discriminator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, name="d_out")], name="discriminator")
bce = keras.losses.BinaryCrossentropy(from_logits=True)
rng = np.random.default_rng(34)
real = rng.normal(loc=1.0, size=(8, 2)).astype("float32")
noise = rng.normal(size=(8, 4)).astype("float32")

with tf.GradientTape(persistent=True) as disc_tape:
    fake = generator(noise, training=True)
    real_logits, fake_logits = discriminator(real), discriminator(fake)
    d_loss = bce(tf.ones_like(real_logits), real_logits) + bce(tf.zeros_like(fake_logits), fake_logits)
with tf.GradientTape() as gen_tape:
    fake = generator(noise, training=True)
    g_loss = bce(tf.ones((8, 1)), discriminator(fake))

d_grads = disc_tape.gradient(d_loss, discriminator.trainable_variables)
g_grads = gen_tape.gradient(g_loss, generator.trainable_variables)
print("d grads:", [float(tf.norm(g)) for g in d_grads])
print("g grads:", g_grads)
