# Fixed twin of ../unused_variable_mirrored_tf_function_aux_head.py: the auxiliary head's output gets a weighted term in the per-replica loss.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])

keras.utils.set_random_seed(0)
with strategy.scope():
    inputs = keras.Input(shape=(4,))
    hidden = keras.layers.Dense(8, activation="relu", name="trunk")(inputs)
    main = keras.layers.Dense(1, name="main_head")(hidden)
    aux = keras.layers.Dense(1, name="aux_head")(hidden)
    model = keras.Model(inputs, [main, aux])
    optimizer = keras.optimizers.SGD(0.01)

rng = np.random.default_rng(11)
x = rng.normal(size=(8, 4)).astype("float32")
y = rng.normal(size=(8, 1)).astype("float32")
dataset = strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensor_slices((x, y)).batch(8))


def replica_step(features, labels):
    with tf.GradientTape() as tape:
        main_out, aux_out = model(features)
        loss = tf.reduce_mean(tf.square(main_out - labels)) + 0.3 * tf.reduce_mean(tf.square(aux_out - labels))
    grads = tape.gradient(loss, model.trainable_variables)
    missing = [v.path for v, g in zip(model.trainable_variables, grads) if g is None]
    print("traced replica step; no gradient for", missing)
    optimizer.apply_gradients((g, v) for g, v in zip(grads, model.trainable_variables) if g is not None)
    return loss


@tf.function
def train_step(features, labels):
    return strategy.run(replica_step, args=(features, labels))


for features, labels in dataset:
    losses = train_step(features, labels)
    print("loss:", float(strategy.reduce("SUM", losses, axis=None)))
