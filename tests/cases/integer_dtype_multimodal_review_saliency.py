# Rebuilt from: hiranumn/IntegratedGradients#5 "Running IntegratedGradients with text input" (the
# gradient w.r.t. the word ids comes back None; the advice is to use the word vectors instead), in
# the text-plus-tabular form of meta-pytorch/captum#723. A Keras review classifier reads token
# ids and numeric product features; a saliency map is asked for both inputs.
# gradviz-expect: token_ids status=none cause=integer_dtype line=20 call=27
# gradviz-expect: product_features status=ok call=27
import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(0)
words = keras.Input((8,), dtype="int32", name="words")
numbers = keras.Input((3,), name="numbers")
text_vector = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(40, 6, name="word_embedding")(words))
merged = keras.layers.Concatenate()([text_vector, numbers])
helpful = keras.layers.Dense(1, activation="sigmoid", name="helpful")(merged)
model = keras.Model([words, numbers], helpful, name="review_model")

rng = np.random.default_rng(723)
token_ids = tf.constant(rng.integers(1, 40, size=(2, 8)), dtype=tf.int32)
product_features = tf.constant(rng.normal(size=(2, 3)), dtype=tf.float32)

with tf.GradientTape() as tape:
    tape.watch([token_ids, product_features])
    prob_helpful = model([token_ids, product_features])

token_saliency, feature_saliency = tape.gradient(prob_helpful, [token_ids, product_features])
print("p(helpful):", prob_helpful.numpy().ravel())
print("token saliency:", token_saliency)
print("feature saliency:", feature_saliency)
