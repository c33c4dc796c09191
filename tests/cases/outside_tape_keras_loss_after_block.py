# A Keras classifier trained with a hand-written step; the loss is computed after the `with` block.
# gradviz-expect: model.trainable_variables[0] status=none cause=outside_tape line=27
# gradviz-expect: model.trainable_variables[1] status=none cause=outside_tape line=27
# gradviz-expect: model.trainable_variables[2] status=none cause=outside_tape line=27
# gradviz-expect: model.trainable_variables[3] status=none cause=outside_tape line=27
import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x_batch = rng.normal(size=(16, 8)).astype("float32")
y_batch = rng.integers(0, 3, size=(16,))

model = keras.Sequential(
    [
        keras.Input((8,)),
        keras.layers.Dense(16, activation="relu", name="hidden"),
        keras.layers.Dense(3, name="logits"),
    ],
    name="classifier",
)
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

with tf.GradientTape() as tape:
    logits = model(x_batch, training=True)
loss = loss_fn(y_batch, logits)

grads = tape.gradient(loss, model.trainable_variables)
print("loss:", float(loss))
for var, grad in zip(model.trainable_variables, grads):
    print("grad", var.path, "->", None if grad is None else tuple(grad.shape))
