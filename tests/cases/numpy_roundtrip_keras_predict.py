# model.predict used inside the tape: predict returns a NumPy array, so the loss is cut off
# from the model's weights.
# gradviz-expect: model.trainable_variables[0] status=none cause=numpy_roundtrip line=21
# gradviz-expect: model.trainable_variables[1] status=none cause=numpy_roundtrip line=21
# gradviz-expect: model.trainable_variables[2] status=none cause=numpy_roundtrip line=21
# gradviz-expect: model.trainable_variables[3] status=none cause=numpy_roundtrip line=21
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
    preds = model.predict(x_batch, verbose=0)
    loss = tf.reduce_mean(tf.square(preds - y_batch))

grads = tape.gradient(loss, model.trainable_variables)
print("loss:", float(loss))
print("grads:", grads)
