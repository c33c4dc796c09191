# Rebuilt from: https://github.com/tensorflow/tensorflow/issues/41594 ("tf.function breaks the gradient tape
# when looping over datasets"). The user summed the loss over every batch of a dataset inside one tape in a
# @tf.function step; run eagerly it trained, compiled every gradient was None and nothing raised.
# gradviz-expect: name=hidden/kernel status=none cause=dataset_boundary line=31
# gradviz-expect: name=hidden/bias status=none cause=dataset_boundary line=31
# gradviz-expect: name=score/kernel status=none cause=dataset_boundary line=31
# gradviz-expect: name=score/bias status=none cause=dataset_boundary line=31
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
def epoch_step(dataset):
    with tf.GradientTape() as tape:
        total = tf.constant(0.0)
        for xb, yb in dataset:
            total += tf.reduce_sum(tf.square(model(xb, training=True) - yb))
    grads = tape.gradient(total, model.trainable_variables)
    return total, grads


total, grads = epoch_step(train_ds)
print("summed loss:", float(total))
for var, grad in zip(model.trainable_variables, grads):
    print("grad", var.path, "->", None if grad is None else float(tf.norm(grad)))
