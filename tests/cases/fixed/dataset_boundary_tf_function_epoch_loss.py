# Fixed twin of ../dataset_boundary_tf_function_epoch_loss.py: the loop over the dataset runs eagerly and the compiled step takes one batch; each batch's gradients are computed in the step and summed outside it.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(41)
rng = np.random.default_rng(41)
x = rng.normal(size=(24, 4)).astype("float32")
y = (x @ np.array([[0.5], [-1.0], [0.25], [2.0]])).astype("float32")
train_ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)

model = keras.Sequential(
    [
        keras.Input((4,)),
        keras.layers.Dense(8, activation="tanh", name="hidden"),
        keras.layers.Dense(1, name="score"),
    ]
)


@tf.function
def batch_step(xb, yb):
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(model(xb, training=True) - yb))
    grads = tape.gradient(loss, model.trainable_variables)
    return loss, grads


total = 0.0
summed = [tf.zeros_like(v) for v in model.trainable_variables]
for xb, yb in train_ds:
    loss, grads = batch_step(xb, yb)
    total += float(loss)
    summed = [s + g for s, g in zip(summed, grads)]
print("summed loss:", total)
for var, grad in zip(model.trainable_variables, summed):
    print("grad", var.path, "->", float(tf.norm(grad)))
