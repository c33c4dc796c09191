# Fixed twin of ../python_reassignment_clip_after_tape.py: the images are clipped in place with adv_images.assign(...) instead of rebinding the name to a new tensor.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(0)
model = keras.Sequential(
    [keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(3, name="logits")],
    name="tiny_cnn",
)
rng = np.random.default_rng(22)
images = rng.random((2, 4, 4, 1)).astype("float32")
labels = np.array([0, 2])

adv_images = tf.Variable(images + 0.05 * rng.normal(size=images.shape).astype("float32"))
with tf.GradientTape() as tape:
    logits = model(adv_images)
    loss = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
adv_images.assign(tf.clip_by_value(adv_images, 0.0, 1.0))

grad = tape.gradient(loss, adv_images)
print("grad adv_images:", grad)
