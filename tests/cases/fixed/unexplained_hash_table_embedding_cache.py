# Fixed twin of ../unexplained_hash_table_embedding_cache.py: the id table maps item ids to rows, and the item vectors are gathered from the item tower's output computed inside the tape instead of being cached in a MutableHashTable.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(0)
user_tower = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, name="user_proj")], name="user_tower")
item_tower = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, name="item_proj")], name="item_tower")

rng = np.random.default_rng(3)
item_ids = tf.constant([11, 42, 7], dtype=tf.int64)
item_features = rng.normal(size=(3, 5)).astype("float32")
user_features = rng.normal(size=(6, 6)).astype("float32")
clicked_ids = tf.constant([42, 7, 7, 11, 42, 11], dtype=tf.int64)
clicks = rng.integers(0, 2, size=(6,)).astype("float32")
row_of_item = tf.lookup.StaticHashTable(
    tf.lookup.KeyValueTensorInitializer(item_ids, tf.range(3, dtype=tf.int64)), default_value=-1
)

with tf.GradientTape(persistent=True) as tape:
    item_table = item_tower(item_features)
    user_vecs = user_tower(user_features)
    item_vecs = tf.gather(item_table, row_of_item.lookup(clicked_ids))
    scores = tf.reduce_sum(user_vecs * item_vecs, axis=-1)
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=clicks, logits=scores))

user_grads = tape.gradient(loss, user_tower.trainable_variables)
item_grads = tape.gradient(loss, item_tower.trainable_variables)
print("loss:", float(loss))
print("user tower grads:", [None if g is None else float(tf.norm(g)) for g in user_grads])
print("item tower grads:", [None if g is None else float(tf.norm(g)) for g in item_grads])
