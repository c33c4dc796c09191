# Fixed twin of ../non_differentiable_op_embedding_float_ids.py: differentiate with respect to the embedding output.
# gradviz-expect: all-ok
import keras
import tensorflow as tf

embedding = keras.layers.Embedding(30, 4)
rest = keras.Sequential([keras.Input((5, 4)), keras.layers.Flatten(), keras.layers.Dense(1, activation="sigmoid")])
ids = tf.constant([[2, 8, 11, 5, 0]])
emb = embedding(ids)
with tf.GradientTape() as tape:
    tape.watch(emb)
    prob = rest(emb)
grads = tape.gradient(prob, emb)
print("saliency per token:", tf.reduce_sum(grads, axis=-1).numpy())
