# Fixed twin of ../unused_variable_keras_aux_output.py: the loss adds a weighted auxiliary term on aux_pred, so the auxiliary head's weights get gradients.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(0)
inputs = keras.Input((10,))
trunk = keras.layers.Dense(16, activation="relu", name="trunk")(inputs)
main = keras.layers.Dense(1, name="main")(trunk)
aux = keras.layers.Dense(1, name="aux")(trunk)
model = keras.Model(inputs, [main, aux], name="two_head")

rng = np.random.default_rng(27)
x = rng.normal(size=(12, 10)).astype("float32")
y = rng.normal(size=(12, 1)).astype("float32")

with tf.GradientTape() as tape:
    main_pred, aux_pred = model(x, training=True)
    loss = tf.reduce_mean(tf.square(main_pred - y)) + 0.3 * tf.reduce_mean(tf.square(aux_pred - y))

grads = tape.gradient(loss, model.trainable_variables)
for var, grad in zip(model.trainable_variables, grads):
    print("grad", var.path, "->", None if grad is None else float(tf.norm(grad)))
