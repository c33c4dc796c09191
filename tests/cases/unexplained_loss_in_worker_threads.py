# Rebuilt from: tensorflow/tensorflow#54370 "MirroredVariables not recorded on the gradient tape"
# (a tape does not see work done in other threads), in the ThreadPoolExecutor.map form of
# pytorch/pytorch#20528. The per-shard losses of a Keras regressor are computed "in parallel" by a
# thread pool inside the `with` block; the tape records only the thread that opened it.
# gradviz-expect: model.trainable_variables[0] status=none cause=unexplained line=42 call=42
# gradviz-expect: model.trainable_variables[1] status=none cause=unexplained line=42 call=42
# gradviz-expect: model.trainable_variables[2] status=none cause=unexplained line=42 call=42
# gradviz-expect: model.trainable_variables[3] status=none cause=unexplained line=42 call=42
from concurrent.futures import ThreadPoolExecutor

import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(0)
model = keras.Sequential(
    [
        keras.Input((6,)),
        keras.layers.Dense(8, activation="relu", name="hidden"),
        keras.layers.Dense(1, name="out"),
    ],
    name="regressor",
)
mse = keras.losses.MeanSquaredError()

rng = np.random.default_rng(7)
x = rng.normal(size=(16, 6)).astype("float32")
y = rng.normal(size=(16, 1)).astype("float32")
shards = list(zip(np.split(x, 2), np.split(y, 2)))


def shard_loss(shard):
    xs, ys = shard
    return mse(ys, model(xs, training=True))


with tf.GradientTape() as tape:
    with ThreadPoolExecutor(max_workers=2) as pool:
        shard_losses = list(pool.map(shard_loss, shards))
    loss = tf.add_n(shard_losses) / len(shard_losses)

grads = tape.gradient(loss, model.trainable_variables)
print("loss:", float(loss))
for var, grad in zip(model.trainable_variables, grads):
    print("grad", var.path, "->", None if grad is None else float(tf.norm(grad)))
