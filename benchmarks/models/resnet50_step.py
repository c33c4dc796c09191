"""One training step of keras.applications.ResNet50 (weights=None: nothing downloaded) whose loss
leaves out an auxiliary head: a document of 1.4k forward ops (3.5k graph nodes) for
`benchmarks/bench_widget.py --document` (see its docstring)."""

import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(0)
backbone = keras.applications.ResNet50(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
features = backbone.output
logits = keras.layers.Dense(10, name="head")(features)
aux_logits = keras.layers.Dense(10, name="aux_head")(features)
model = keras.Model(backbone.input, [logits, aux_logits])
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
images = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype("float32")
labels = np.array([1, 2])
with tf.GradientTape() as tape:
    logits, aux_logits = model(images, training=True)
    loss = loss_fn(labels, logits)
grads = tape.gradient(loss, model.trainable_variables)
