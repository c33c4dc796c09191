# Fixed twin of ../unused_variable_training_branch_after_warmup.py: the refinement layer runs in training as well.
# gradviz-expect: all-ok
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
        h = self.refine(h)  # refine runs in training too
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
