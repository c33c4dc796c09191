# Fixed twin of ../zero_keras_sign_layer.py: the binarising Lambda uses a smooth stand-in for tf.sign, tf.tanh(5.0 * h), so the first Dense layer's gradients are non-zero.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(0)
model = keras.Sequential(
    [
        keras.Input((5,)),
        keras.layers.Dense(8, name="pre"),
        keras.layers.Lambda(lambda h: tf.tanh(5.0 * h), name="binarize"),
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
