# Fixed twin of ../unused_variable_inception_aux_logits.py: the loss adds the auxiliary classifier's term (0.4 * cross_entropy(labels, aux_logits)), as Inception training does.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf


class TinyInception(keras.Model):
    def __init__(self, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.stem = keras.layers.Conv2D(8, 3, activation="relu", name="stem")
        self.mixed = keras.layers.Conv2D(16, 3, activation="relu", name="mixed")
        self.pool = keras.layers.GlobalAveragePooling2D()
        self.classifier = keras.layers.Dense(num_classes, name="classifier")
        self.aux_classifier = keras.layers.Dense(num_classes, name="aux_classifier")

    def call(self, images, training=False):
        early = self.stem(images)
        logits = self.classifier(self.pool(self.mixed(early)))
        if training:
            aux_logits = self.aux_classifier(self.pool(early))
            return logits, aux_logits
        return logits


keras.utils.set_random_seed(0)
net = TinyInception(num_classes=5, name="tiny_inception")
cross_entropy = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

rng = np.random.default_rng(33)
images = rng.random((6, 12, 12, 3)).astype("float32")
labels = rng.integers(0, 5, size=(6,))

with tf.GradientTape() as tape:
    logits, aux_logits = net(images, training=True)
    loss = cross_entropy(labels, logits) + 0.4 * cross_entropy(labels, aux_logits)

grads = tape.gradient(loss, net.trainable_variables)
print("loss:", float(loss))
for var, grad in zip(net.trainable_variables, grads):
    print("grad", var.path, "->", None if grad is None else float(tf.norm(grad)))
