# Rebuilt from: https://github.com/tensorflow/tensorflow/issues/19556 (and the Stack Overflow question it
# links, "Tensorflow Dataset API: gradient is None"). The user learned one weight per training example and
# looked it up by the example's index in the input pipeline's map function; the regressor trained, the
# per-example weights never changed.
# gradviz-expect: example_logits status=none cause=dataset_boundary line=26 call=34
# gradviz-expect: regressor.kernel status=ok call=34
# gradviz-expect: regressor.bias status=ok call=34
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


def attach_weight(idx, x, y):
    return x, y, tf.nn.sigmoid(tf.gather(example_logits, idx))


indexed = tf.data.Dataset.from_tensor_slices((tf.range(12), features, targets))
pipeline = indexed.map(attach_weight).batch(4)

with tf.GradientTape() as tape:
    loss = tf.constant(0.0)
    for x, y, weight in pipeline:
        err = tf.squeeze(regressor(x) - y, axis=1)
        loss += tf.reduce_sum(weight * tf.square(err))

grads = tape.gradient(loss, [example_logits, regressor.kernel, regressor.bias])
for label, grad in zip(["example_logits", "kernel", "bias"], grads):
    print("grad", label, "->", None if grad is None else float(tf.norm(grad)))
