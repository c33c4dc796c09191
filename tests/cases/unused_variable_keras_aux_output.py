# A two-output functional model (main + auxiliary head) trained by hand; the loss uses only
# the main output, so the auxiliary head's weights get None.
# gradviz-expect: model.trainable_variables[0] status=ok
# gradviz-expect: model.trainable_variables[2] status=ok
# gradviz-expect: model.trainable_variables[4] status=none cause=unused_variable line=24
# gradviz-expect: model.trainable_variables[5] status=none cause=unused_variable line=24
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
    loss = tf.reduce_mean(tf.square(main_pred - y))

grads = tape.gradient(loss, model.trainable_variables)
for var, grad in zip(model.trainable_variables, grads):
    print("grad", var.path, "->", None if grad is None else float(tf.norm(grad)))
