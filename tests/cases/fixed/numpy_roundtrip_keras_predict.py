# Fixed twin of ../numpy_roundtrip_keras_predict.py: the model is called directly (model(x_batch, training=True)) instead of model.predict, so the predictions stay a recorded tensor.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(0)
rng = np.random.default_rng(21)
x_batch = rng.normal(size=(8, 4)).astype("float32")
y_batch = rng.normal(size=(8, 1)).astype("float32")
model = keras.Sequential(
    [keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)],
    name="mlp",
)

with tf.GradientTape() as tape:
    preds = model(x_batch, training=True)
    loss = tf.reduce_mean(tf.square(preds - y_batch))

grads = tape.gradient(loss, model.trainable_variables)
print("loss:", float(loss))
print("grads:", grads)
