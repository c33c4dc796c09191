# Fixed twin of ../numpy_roundtrip_sinh_layer_adversarial.py: the layer computes tf.math.sinh instead of calling np.sinh through tf.numpy_function, so the value never leaves TensorFlow.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf


class SinhFilter(keras.layers.Layer):
    def call(self, inputs):
        return tf.math.sinh(inputs)


keras.utils.set_random_seed(0)
encoder = keras.layers.Dense(8, name="encoder")
classifier = keras.layers.Dense(3, name="classifier")
model = keras.Sequential([keras.Input((4,)), encoder, SinhFilter(name="sinh_filter"), classifier])

rng = np.random.default_rng(4)
images = tf.constant(rng.normal(size=(5, 4)), dtype=tf.float32)
labels = tf.constant([0, 2, 1, 1, 0])
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

with tf.GradientTape() as tape:
    tape.watch(images)
    loss = loss_fn(labels, model(images))

grads = tape.gradient(loss, [images, encoder.kernel, encoder.bias, classifier.kernel])
print("loss:", float(loss))
for name, grad in zip(["images", "encoder.kernel", "encoder.bias", "classifier.kernel"], grads):
    print("grad", name, "->", None if grad is None else float(tf.norm(grad)))
