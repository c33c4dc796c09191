# Fixed twin of ../non_trainable_variable_keras_batchnorm.py: the gradient is asked for model.trainable_variables, leaving out BatchNormalization's moving statistics.
# gradviz-expect: all-ok
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

grads = tape.gradient(loss, model.trainable_variables)
for weight, grad in zip(model.trainable_variables, grads):
    print("grad", weight.path, "->", "None" if grad is None else float(tf.norm(grad)))
