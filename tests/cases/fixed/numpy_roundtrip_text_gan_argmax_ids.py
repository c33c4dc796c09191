# Fixed twin of ../numpy_roundtrip_text_gan_argmax_ids.py: the discriminator reads the generator's softmax distribution over tokens (a soft embedding: probabilities times an embedding matrix) instead of np.argmax ids.
# gradviz-expect: all-ok
import keras
import tensorflow as tf

VOCAB, LENGTH, NOISE = 20, 6, 8

keras.utils.set_random_seed(0)
generator = keras.Sequential(
    [keras.Input((NOISE,)), keras.layers.Dense(LENGTH * VOCAB), keras.layers.Reshape((LENGTH, VOCAB))],
    name="generator",
)
discriminator = keras.Sequential(
    [
        keras.Input((LENGTH, VOCAB)),
        keras.layers.Dense(8, use_bias=False, name="soft_embedding"),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(1),
    ],
    name="discriminator",
)
bce = keras.losses.BinaryCrossentropy(from_logits=True)

noise = tf.random.normal((4, NOISE), seed=5)

with tf.GradientTape() as tape:
    token_scores = generator(noise, training=True)
    token_probs = tf.nn.softmax(token_scores, axis=-1)
    verdict = discriminator(token_probs, training=True)
    g_loss = bce(tf.ones_like(verdict), verdict)

g_grads = tape.gradient(g_loss, generator.trainable_variables)
print("fake ids:", tf.argmax(token_probs, axis=-1).numpy().tolist())
print("generator loss:", float(g_loss))
print("generator grad norms:", [float(tf.norm(g)) for g in g_grads])
