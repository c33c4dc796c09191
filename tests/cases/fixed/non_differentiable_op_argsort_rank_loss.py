# Fixed twin of ../non_differentiable_op_argsort_rank_loss.py: the predicted rank is a smooth approximation (a sum of sigmoids of pairwise score differences, as in ApproxNDCG) instead of an integer tf.argsort rank.
# gradviz-expect: all-ok
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
    higher = scores[None, :] - scores[:, None]
    predicted_rank = tf.reduce_sum(tf.sigmoid(higher / 0.1), axis=1) - 0.5
    rank_error = predicted_rank - true_rank
    loss = tf.reduce_mean(tf.square(rank_error)) / 8.0

grads = tape.gradient(loss, scorer.trainable_variables)
print("rank loss:", float(loss))
print("grad norms:", [float(tf.norm(g)) for g in grads])
