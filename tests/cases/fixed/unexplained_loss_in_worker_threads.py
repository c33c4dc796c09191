# Fixed twin of ../unexplained_loss_in_worker_threads.py: the shard losses are computed in the thread that holds the tape (a plain loop instead of a thread pool).
# gradviz-expect: all-ok
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
    shard_losses = [shard_loss(shard) for shard in shards]
    loss = tf.add_n(shard_losses) / len(shard_losses)

grads = tape.gradient(loss, model.trainable_variables)
print("loss:", float(loss))
for var, grad in zip(model.trainable_variables, grads):
    print("grad", var.path, "->", None if grad is None else float(tf.norm(grad)))
