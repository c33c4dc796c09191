# Rebuilt from: cleverhans-lab/cleverhans#432 "tf.gradients(loss, x) returns None" (a Keras layer
# wrapping np.sinh in tf.py_func, then tf.reshape to restore the shape). The fast-gradient-sign
# step needs the loss gradient w.r.t. the input images, which passes through that layer.
# gradviz-expect: images status=none cause=numpy_roundtrip line=15 call=33
# gradviz-expect: encoder.kernel status=none cause=numpy_roundtrip line=15 call=33
# gradviz-expect: encoder.bias status=none cause=numpy_roundtrip line=15 call=33
# gradviz-expect: classifier.kernel status=ok call=33
import keras
import numpy as np
import tensorflow as tf


class SinhFilter(keras.layers.Layer):
    def call(self, inputs):
        filtered = tf.numpy_function(np.sinh, [inputs], tf.float32)
        return tf.reshape(filtered, tf.shape(inputs))


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
