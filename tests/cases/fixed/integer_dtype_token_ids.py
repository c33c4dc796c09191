# Fixed twin of ../integer_dtype_token_ids.py: the gradient is taken w.r.t. the embedding layer's float output (watched, then fed through the rest of the model) instead of the integer token ids.
# gradviz-expect: all-ok
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
embedded = model.get_layer("embed")(token_ids)

with tf.GradientTape() as tape:
    tape.watch(embedded)
    score = embedded
    for layer in model.layers[1:]:
        score = layer(score)

importance = tf.norm(tape.gradient(score, embedded), axis=-1)
print("score:", score.numpy().ravel())
print("importance:", importance)
