# Fixed twin of ../dataset_boundary_map_example_weights.py: the pipeline only carries each example's index; the per-example weight is gathered from example_logits inside the tape, where the loss is computed.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(19)
rng = np.random.default_rng(19)
features = rng.normal(size=(12, 3)).astype("float32")
targets = rng.normal(size=(12, 1)).astype("float32")
example_logits = tf.Variable(tf.zeros((12,)))
regressor = keras.layers.Dense(1, name="regressor")
regressor.build((None, 3))

pipeline = tf.data.Dataset.from_tensor_slices((tf.range(12), features, targets)).batch(4)

with tf.GradientTape() as tape:
    loss = tf.constant(0.0)
    for idx, x, y in pipeline:
        weight = tf.nn.sigmoid(tf.gather(example_logits, idx))
        err = tf.squeeze(regressor(x) - y, axis=1)
        loss += tf.reduce_sum(weight * tf.square(err))

grads = tape.gradient(loss, [example_logits, regressor.kernel, regressor.bias])
for label, grad in zip(["example_logits", "kernel", "bias"], grads):
    print("grad", label, "->", None if grad is None else float(tf.norm(grad)))
