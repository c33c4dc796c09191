# Fixed twin of ../outside_tape_loss_helper_after_block.py: the compute_loss(...) call is indented back into the `with` block, so the forward pass runs while the tape records.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf

loss_object = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def compute_loss(model, x, y, training):
    y_ = model(x, training=training)
    return loss_object(y_true=y, y_pred=y_)


def grad(model, inputs, targets):
    with tf.GradientTape() as tape:
        l2 = 1e-4 * tf.add_n([tf.nn.l2_loss(v) for v in model.trainable_variables if "kernel" in v.path])
        loss_value = compute_loss(model, inputs, targets, training=True) + l2
    return loss_value, tape.gradient(loss_value, model.trainable_variables)


keras.utils.set_random_seed(0)
model = keras.Sequential(
    [keras.Input((4,)), keras.layers.Dense(10, activation="relu"), keras.layers.Dense(3)],
    name="iris_classifier",
)
optimizer = keras.optimizers.SGD(learning_rate=0.01)

rng = np.random.default_rng(41)
features = rng.normal(loc=5.0, size=(12, 4)).astype("float32")
labels = rng.integers(0, 3, size=(12,))

loss_value, grads = grad(model, features, labels)
print("loss:", float(loss_value))
for var, g in zip(model.trainable_variables, grads):
    print("grad", var.path, "->", None if g is None else float(tf.norm(g)))
