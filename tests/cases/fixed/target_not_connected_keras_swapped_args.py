# Fixed twin of ../target_not_connected_keras_swapped_args.py: the loss compares the smoothed labels with the model's predictions (probs) instead of with the raw labels.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(0)
rng = np.random.default_rng(32)
x_batch = rng.normal(size=(8, 5)).astype("float32")
y_onehot = tf.one_hot(rng.integers(0, 3, size=(8,)), depth=3)
model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, activation="softmax")], name="softmax_reg")

with tf.GradientTape() as tape:
    probs = model(x_batch, training=True)
    smoothed = y_onehot * 0.9 + 0.1 / 3
    loss = tf.reduce_mean(keras.losses.categorical_crossentropy(smoothed, probs))

grads = tape.gradient(loss, model.trainable_variables)
print("loss:", float(loss))
print("grads:", grads)
