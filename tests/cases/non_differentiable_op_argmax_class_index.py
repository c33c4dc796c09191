# Regressing the predicted class index onto the label: the class comes from tf.argmax,
# which has no gradient, so neither weights nor bias learn.
# gradviz-expect: w status=none cause=non_differentiable_op line=16 call=19
# gradviz-expect: b status=none cause=non_differentiable_op line=16 call=19
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(16)
x = tf.constant(rng.normal(size=(20, 4)), dtype=tf.float32)
labels = tf.constant(rng.integers(0, 3, size=(20,)), dtype=tf.float32)
w = tf.Variable(tf.random.normal((4, 3), seed=16))
b = tf.Variable(tf.zeros((3,)))

with tf.GradientTape() as tape:
    logits = x @ w + b
    predicted_class = tf.cast(tf.argmax(logits, axis=1), tf.float32)
    loss = tf.reduce_mean(tf.square(predicted_class - labels))

grad_w, grad_b = tape.gradient(loss, [w, b])
print("loss:", float(loss))
print("grad w:", grad_w)
print("grad b:", grad_b)
