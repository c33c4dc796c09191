# Rebuilt from: keras-team/keras#17444 "Gradients are [None,...] in text GAN model". The generator's
# token scores are turned into token ids with np.argmax and fed to the discriminator, which embeds
# them; the generator is then trained on the discriminator's verdict.
# gradviz-expect: generator.trainable_variables[0] status=none cause=numpy_roundtrip line=32 call=36
# gradviz-expect: generator.trainable_variables[1] status=none cause=numpy_roundtrip line=32 call=36
import keras
import numpy as np
import tensorflow as tf

VOCAB, LENGTH, NOISE = 20, 6, 8

keras.utils.set_random_seed(0)
generator = keras.Sequential(
    [keras.Input((NOISE,)), keras.layers.Dense(LENGTH * VOCAB), keras.layers.Reshape((LENGTH, VOCAB))],
    name="generator",
)
discriminator = keras.Sequential(
    [
        keras.Input((LENGTH,), dtype="int32"),
        keras.layers.Embedding(VOCAB, 8),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(1),
    ],
    name="discriminator",
)
bce = keras.losses.BinaryCrossentropy(from_logits=True)

noise = tf.random.normal((4, NOISE), seed=5)

with tf.GradientTape() as tape:
    token_scores = generator(noise, training=True)
    fake_ids = np.argmax(token_scores, axis=-1)
    verdict = discriminator(fake_ids, training=True)
    g_loss = bce(tf.ones_like(verdict), verdict)

g_grads = tape.gradient(g_loss, generator.trainable_variables)
print("fake ids:", fake_ids.tolist())
print("generator loss:", float(g_loss))
print("generator grads:", g_grads)
