# Rebuilt from: tensorflow/tensorflow#24539 "make MutableHashTableOfScalars and
# MutableHashTableOfTensors trainable". A two-tower recommender caches the item tower's embeddings in a
# MutableHashTable keyed by item id and scores user/item pairs from the cached vectors.
# gradviz-expect: item_tower.trainable_variables[0] status=none cause=unexplained line=34 call=34
# gradviz-expect: item_tower.trainable_variables[1] status=none cause=unexplained line=34 call=34
# gradviz-expect: user_tower.trainable_variables[0] status=ok call=33
# gradviz-expect: user_tower.trainable_variables[1] status=ok call=33
import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(0)
user_tower = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, name="user_proj")], name="user_tower")
item_tower = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, name="item_proj")], name="item_tower")
item_cache = tf.lookup.experimental.MutableHashTable(
    key_dtype=tf.int64, value_dtype=tf.float32, default_value=tf.zeros((4,))
)

rng = np.random.default_rng(3)
item_ids = tf.constant([11, 42, 7], dtype=tf.int64)
item_features = rng.normal(size=(3, 5)).astype("float32")
user_features = rng.normal(size=(6, 6)).astype("float32")
clicked_ids = tf.constant([42, 7, 7, 11, 42, 11], dtype=tf.int64)
clicks = rng.integers(0, 2, size=(6,)).astype("float32")

with tf.GradientTape(persistent=True) as tape:
    item_cache.insert(item_ids, item_tower(item_features))
    user_vecs = user_tower(user_features)
    item_vecs = item_cache.lookup(clicked_ids)
    scores = tf.reduce_sum(user_vecs * item_vecs, axis=-1)
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=clicks, logits=scores))

user_grads = tape.gradient(loss, user_tower.trainable_variables)
item_grads = tape.gradient(loss, item_tower.trainable_variables)
print("loss:", float(loss))
print("user tower grads:", [None if g is None else float(tf.norm(g)) for g in user_grads])
print("item tower grads:", item_grads)
