# Rebuilt from: tensorflow/tensorflow#25444 "Implementation of WARP Loss or pairwise ranking losses"
# ("getting gradient errors based on ops used"), with the double-argsort rank trick discussed in
# peteryuX/retinaface-tf2#6. A listwise loss compares the predicted rank of each item with its
# true rank, computing ranks with tf.argsort.
# gradviz-expect: scorer.trainable_variables[0] status=none cause=non_differentiable_op line=25 call=29
# gradviz-expect: scorer.trainable_variables[1] status=none cause=non_differentiable_op line=25 call=29
# gradviz-expect: scorer.trainable_variables[2] status=none cause=non_differentiable_op line=25 call=29
import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(0)
scorer = keras.Sequential(
    [keras.Input((5,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(1, use_bias=False)],
    name="scorer",
)

rng = np.random.default_rng(25)
items = rng.normal(size=(8, 5)).astype("float32")
relevance = rng.random(8).astype("float32")
true_rank = tf.cast(tf.argsort(tf.argsort(relevance, direction="DESCENDING")), tf.float32)

with tf.GradientTape() as tape:
    scores = tf.squeeze(scorer(items), axis=-1)
    predicted_rank = tf.argsort(tf.argsort(scores, direction="DESCENDING"))
    rank_error = tf.cast(predicted_rank, tf.float32) - true_rank
    loss = tf.reduce_mean(tf.square(rank_error)) / 8.0

grads = tape.gradient(loss, scorer.trainable_variables)
print("rank loss:", float(loss))
print("grads:", grads)
