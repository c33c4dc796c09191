# Which tokens matter? The gradient of a Keras sentiment score is asked w.r.t. the integer
# token ids instead of their embeddings (TF warns that a watched tensor must be floating).
# gradviz-expect: token_ids status=none cause=integer_dtype line=17
import keras
import tensorflow as tf

keras.utils.set_random_seed(0)
model = keras.Sequential(
    [
        keras.Input((6,), dtype="int32"),
        keras.layers.Embedding(50, 8, name="embed"),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(1, activation="sigmoid", name="score"),
    ],
    name="sentiment",
)
token_ids = tf.constant([[4, 17, 9, 0, 0, 0], [12, 3, 3, 41, 7, 0]])

with tf.GradientTape() as tape:
    tape.watch(token_ids)
    score = model(token_ids)

importance = tape.gradient(score, token_ids)
print("score:", score.numpy().ravel())
print("importance:", importance)
