# A Keras model with a hand-made binarising layer (tf.sign in a Lambda): the first Dense
# layer's gradients are exactly zero, the output layer's are real.
# gradviz-expect: model.trainable_variables[0] status=zero
# gradviz-expect: model.trainable_variables[1] status=zero
# gradviz-expect: model.trainable_variables[2] status=ok
import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(0)
model = keras.Sequential(
    [
        keras.Input((5,)),
        keras.layers.Dense(8, name="pre"),
        keras.layers.Lambda(tf.sign, name="binarize"),
        keras.layers.Dense(1, name="out"),
    ],
    name="binary_net",
)
rng = np.random.default_rng(37)
x = rng.normal(size=(10, 5)).astype("float32")
y = rng.normal(size=(10, 1)).astype("float32")

with tf.GradientTape() as tape:
    loss = tf.reduce_mean(tf.square(model(x, training=True) - y))

grads = tape.gradient(loss, model.trainable_variables)
for var, grad in zip(model.trainable_variables, grads):
    print("grad", var.path, "max |g| =", float(tf.reduce_max(tf.abs(grad))))
