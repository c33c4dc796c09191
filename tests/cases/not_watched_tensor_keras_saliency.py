# Saliency map for a small Keras image classifier: the gradient of the top class score w.r.t.
# the input pixels, but the input is a plain tensor that was never passed to tape.watch.
# gradviz-expect: images status=none cause=not_watched_tensor line=19
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
    scores = model(images)
    top_class_score = tf.reduce_max(scores, axis=1)

saliency = tape.gradient(top_class_score, images)
print("saliency:", saliency)
