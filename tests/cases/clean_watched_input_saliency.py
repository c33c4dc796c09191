# Saliency done right: the input tensor is passed to tape.watch, so the gradient of the class
# score w.r.t. the pixels exists.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(0)
model = keras.Sequential(
    [keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(10, name="logits")],
    name="digits",
)
rng = np.random.default_rng(45)
images = tf.constant(rng.random((2, 8, 8, 1)), dtype=tf.float32)

with tf.GradientTape() as tape:
    tape.watch(images)
    scores = model(images)
    top_class_score = tf.reduce_max(scores, axis=1)

saliency = tape.gradient(top_class_score, images)
print("saliency max:", float(tf.reduce_max(tf.abs(saliency))))
