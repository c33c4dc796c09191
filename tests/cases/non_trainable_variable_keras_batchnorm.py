# Looking at the gradient of every weight of a small Keras model in inference mode, including
# BatchNormalization's moving statistics, which are non-trainable weights.
# gradviz-expect: name=bn_net/bn/moving_mean status=none cause=non_trainable_variable line=14
# gradviz-expect: name=bn_net/bn/moving_variance status=none cause=non_trainable_variable line=14
import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(0)
model = keras.Sequential(
    [
        keras.Input((6,)),
        keras.layers.Dense(8, name="dense"),
        keras.layers.BatchNormalization(name="bn"),
        keras.layers.Dense(1, name="out"),
    ],
    name="bn_net",
)
rng = np.random.default_rng(8)
x = rng.normal(size=(12, 6)).astype("float32")
y = rng.normal(size=(12, 1)).astype("float32")

with tf.GradientTape() as tape:
    y_pred = model(x, training=False)
    loss = tf.reduce_mean(tf.square(y_pred - y))

grads = tape.gradient(loss, model.weights)
for weight, grad in zip(model.weights, grads):
    print("grad", weight.path, "->", "None" if grad is None else float(tf.norm(grad)))
