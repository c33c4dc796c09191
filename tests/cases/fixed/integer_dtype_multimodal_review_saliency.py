# Fixed twin of ../integer_dtype_multimodal_review_saliency.py: the saliency is taken w.r.t. the word-embedding output (the model is built as embedding + scorer so the vectors can be fed in), then reduced to one gradient-times-input score per token; casting the ids to float would not help, the Embedding casts them back.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(0)
word_embedding = keras.layers.Embedding(40, 6, name="word_embedding")
vectors_in = keras.Input((8, 6), name="word_vectors")
numbers = keras.Input((3,), name="numbers")
merged = keras.layers.Concatenate()([keras.layers.GlobalAveragePooling1D()(vectors_in), numbers])
helpful = keras.layers.Dense(1, activation="sigmoid", name="helpful")(merged)
scorer = keras.Model([vectors_in, numbers], helpful, name="scorer")
words = keras.Input((8,), dtype="int32", name="words")
model = keras.Model([words, numbers], scorer([word_embedding(words), numbers]), name="review_model")

rng = np.random.default_rng(723)
token_ids = tf.constant(rng.integers(1, 40, size=(2, 8)), dtype=tf.int32)
product_features = tf.constant(rng.normal(size=(2, 3)), dtype=tf.float32)

with tf.GradientTape() as tape:
    word_vectors = word_embedding(token_ids)
    tape.watch([word_vectors, product_features])
    prob_helpful = scorer([word_vectors, product_features])

vector_saliency, feature_saliency = tape.gradient(prob_helpful, [word_vectors, product_features])
token_saliency = tf.reduce_sum(vector_saliency * word_vectors, axis=-1)
print("p(helpful):", prob_helpful.numpy().ravel())
print("same as the full model:", np.allclose(prob_helpful, model([token_ids, product_features])))
print("token saliency:", token_saliency.numpy())
print("feature saliency:", feature_saliency.numpy())
