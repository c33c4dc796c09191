# Linear regression with trainable tf.Variables used inside the tape and no tape.watch:
# TensorFlow watches trainable variables automatically, every gradient exists.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(40)
x = tf.constant(rng.normal(size=(32, 3)), dtype=tf.float32)
y = x @ tf.constant([[1.0], [-2.0], [0.5]]) + 0.3
w = tf.Variable(tf.zeros((3, 1)), name="w")
b = tf.Variable(0.0, name="b")
optimizer = tf.keras.optimizers.SGD(learning_rate=0.1)

for step in range(3):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(x @ w + b - y))
    grads = tape.gradient(loss, [w, b])
    optimizer.apply_gradients(zip(grads, [w, b]))
    print("step", step, "loss", float(loss))
print("grad w:", grads[0])
print("grad b:", grads[1])
