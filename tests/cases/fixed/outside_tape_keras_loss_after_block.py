# Fixed twin of ../outside_tape_keras_loss_after_block.py: the loss line is indented back into the `with tf.GradientTape()` block.
# gradviz-expect: all-ok
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
