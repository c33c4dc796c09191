# A subclassed denoiser whose refinement layer runs only when not training (an inverted
# condition), built by a warm-up call before training: under the tape, with training=True, the
# layer is skipped and its weights get None ("Gradients do not exist for variables").
# gradviz-expect: name=denoiser/dense_1/kernel status=none cause=unused_variable line=19 call=31
# gradviz-expect: name=denoiser/dense_1/bias status=none cause=unused_variable line=19 call=31
import keras
import tensorflow as tf


class Denoiser(keras.Model):
    def __init__(self):
        super().__init__()
        self.enc = keras.layers.Dense(8, activation="relu")
        self.refine = keras.layers.Dense(8, activation="relu")
        self.head = keras.layers.Dense(2)

    def call(self, x, training=False):
        h = self.enc(x)
        if not training:
            h = self.refine(h)
        return self.head(h)


model = Denoiser()
x = tf.random.normal((6, 3), seed=1)
model(x)  # warm-up: builds every layer
y = tf.random.normal((6, 2), seed=2)
with tf.GradientTape() as tape:
    out = model(x, training=True)
    loss = tf.reduce_mean(tf.square(out - y))
grads = tape.gradient(loss, model.trainable_variables)
for v, g in zip(model.trainable_variables, grads):
    print("grad", v.path, "None" if g is None else "ok")
