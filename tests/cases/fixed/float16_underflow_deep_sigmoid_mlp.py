# Fixed twin of ../float16_underflow_deep_sigmoid_mlp.py: the optimizer is wrapped in LossScaleOptimizer, the tape differentiates optimizer.scale_loss(loss), and apply_gradients unscales.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf

keras.mixed_precision.set_global_policy("mixed_float16")
keras.utils.set_random_seed(0)

model = keras.Sequential(
    [keras.Input((20,))]
    + [keras.layers.Dense(32, activation="sigmoid", name=f"hidden_{i}") for i in range(13)]
    + [keras.layers.Dense(1, name="head")],
    name="deep_regressor",
)
optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(learning_rate=0.05))

rng = np.random.default_rng(0)
x = rng.normal(size=(32, 20)).astype("float32")
y = rng.normal(size=(32, 1)).astype("float32")

with tf.GradientTape() as tape:
    pred = model(x, training=True)
    loss = tf.reduce_mean(tf.square(tf.cast(pred, tf.float32) - y))
    scaled_loss = optimizer.scale_loss(loss)

scaled_grads = tape.gradient(scaled_loss, model.trainable_variables)
optimizer.apply_gradients(zip(scaled_grads, model.trainable_variables))
print("loss:", float(loss))
print("loss scale:", float(optimizer.dynamic_scale))
for var, grad in zip(model.trainable_variables, scaled_grads):
    print("max |scaled grad|", var.path, "->", float(tf.reduce_max(tf.abs(grad))))
