# Rebuilt from: https://github.com/keras-team/keras/issues/6926 ("Custom layer: trainable threshold") with the
# straight-through @tf.custom_gradient idiom of https://github.com/pumpikano/tf-dann/issues/27, whose grad
# returns `upstream, None` for its second argument. The user binarises features at a trainable threshold;
# the layers around it train, the threshold gets None.
# gradviz-expect: encoder.kernel status=ok call=39
# gradviz-expect: threshold status=none cause=custom_gradient_returns_none line=24 call=39
# gradviz-expect: readout.kernel status=ok call=39
import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(69)
rng = np.random.default_rng(69)
x = rng.normal(size=(32, 6)).astype("float32")
y = rng.integers(0, 2, size=(32, 1)).astype("float32")
threshold = tf.Variable(0.2)


@tf.custom_gradient
def binarize(h, thr):
    out = tf.cast(h >= thr, h.dtype)

    def grad(upstream):
        return upstream, None

    return out, grad


encoder = keras.layers.Dense(4, name="encoder")
readout = keras.layers.Dense(1, name="readout")
encoder.build((None, 6))
readout.build((None, 4))

with tf.GradientTape() as tape:
    codes = binarize(encoder(x), threshold)
    logits = readout(codes)
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits))

grads = tape.gradient(loss, [encoder.kernel, threshold, readout.kernel])
for label, grad in zip(["encoder.kernel", "threshold", "readout.kernel"], grads):
    print("grad", label, "->", None if grad is None else float(tf.norm(grad)))
