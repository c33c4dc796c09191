# Fixed twin of ../not_watched_tensor_keras_saliency.py: tape.watch(images) is the first line inside the tape.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(0)
model = keras.Sequential(
    [
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
        keras.layers.Flatten(),
        keras.layers.Dense(10, name="logits"),
    ],
    name="digits",
)
rng = np.random.default_rng(5)
images = tf.convert_to_tensor(rng.random((2, 8, 8, 1)).astype("float32"))

with tf.GradientTape() as tape:
    tape.watch(images)
    scores = model(images)
    top_class_score = tf.reduce_max(scores, axis=1)

saliency = tape.gradient(top_class_score, images)
print("saliency:", saliency)
