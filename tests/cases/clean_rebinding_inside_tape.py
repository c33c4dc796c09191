# Feature visualisation: the input being optimised is normalised inside the tape, rebinding
# `inputs` to a tensor the tape recorded, so the gradient w.r.t. it exists.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(41)
filters = tf.constant(rng.normal(size=(6, 4)), dtype=tf.float32)
inputs = tf.Variable(rng.normal(size=(1, 6)).astype("float32"))

with tf.GradientTape() as tape:
    inputs = inputs + 1.0
    inputs = (inputs - tf.reduce_mean(inputs)) / (tf.math.reduce_std(inputs) + 1e-6)
    activation = tf.reduce_sum(tf.nn.relu(inputs @ filters)[:, 2])

grad = tape.gradient(activation, inputs)
print("activation:", float(activation))
print("grad inputs:", grad)
