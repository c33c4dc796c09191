# Rebuilt from: the `loss(model, x, y, training)` / `grad(model, inputs, targets)` helpers of the
# TensorFlow "Custom training: walkthrough" tutorial, with the loss call dedented out of the `with`
# block (the indentation question of krasserm/super-resolution#41); only the L2 penalty on the
# kernels is still computed inside it.
# gradviz-expect: model.trainable_variables[0] status=none cause=outside_tape line=24 call=25
# gradviz-expect: model.trainable_variables[1] status=none cause=outside_tape line=24 call=25
# gradviz-expect: model.trainable_variables[2] status=none cause=outside_tape line=24 call=25
# gradviz-expect: model.trainable_variables[3] status=none cause=outside_tape line=24 call=25
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
