# Rebuilt from: pytorch/vision#302 "Failed in fine-tuning inception_v3" (training returns the main and
# auxiliary logits; the auxiliary loss must be added) and the AuxLogits loss of tensorflow/models#1527.
# A small Inception-style Keras net returns (logits, aux_logits) when training; the hand-written
# step computes the loss from logits only.
# gradviz-expect: net.trainable_variables[0] status=ok call=44
# gradviz-expect: net.trainable_variables[4] status=ok call=44
# gradviz-expect: net.trainable_variables[6] status=none cause=unused_variable line=42 call=44 mentions=aux_logits
# gradviz-expect: net.trainable_variables[7] status=none cause=unused_variable line=42 call=44 mentions=aux_logits
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
    loss = cross_entropy(labels, logits)

grads = tape.gradient(loss, net.trainable_variables)
print("loss:", float(loss))
for var, grad in zip(net.trainable_variables, grads):
    print("grad", var.path, "->", None if grad is None else float(tf.norm(grad)))
