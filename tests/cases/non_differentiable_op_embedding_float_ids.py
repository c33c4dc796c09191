# Saliency for a text classifier: the ids were made float32 so that tape.watch accepts them (the
# advice on many forums), but the Embedding casts them back to integers to pick rows, so the
# gradient is still None. What works is differentiating with respect to the embedding output.
# gradviz-expect: ids status=none cause=non_differentiable_op line=17 call=18
import keras
import tensorflow as tf

model = keras.Sequential([
    keras.Input((5,)),
    keras.layers.Embedding(30, 4),
    keras.layers.Flatten(),
    keras.layers.Dense(1, activation="sigmoid"),
])
ids = tf.constant([[2, 8, 11, 5, 0]], dtype=tf.float32)
with tf.GradientTape() as tape:
    tape.watch(ids)
    prob = model(ids)
grads = tape.gradient(prob, ids)
print("grads wrt ids:", grads)
