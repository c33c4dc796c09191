# Rebuilt from: keras-team/keras#20894 "Mixed precision tutorial does not work for custom training
# loop" (Keras 3's optimizer has no get_scaled_loss/get_unscaled_gradients, so the user dropped them).
# A deep sigmoid regressor trained by hand under the mixed_float16 policy with the plain loss: the
# first hidden layers get gradients of exactly 0.0 while the last layers still learn.
# gradviz-expect: model.trainable_variables[0] status=zero cause=float16_underflow line=40 call=40
# gradviz-expect: model.trainable_variables[1] status=zero cause=float16_underflow line=40 call=40
# gradviz-expect: model.trainable_variables[2] status=zero cause=float16_underflow line=40 call=40
# gradviz-expect: model.trainable_variables[3] status=zero cause=float16_underflow line=40 call=40
# gradviz-expect: model.trainable_variables[4] status=zero cause=float16_underflow line=40 call=40
# gradviz-expect: model.trainable_variables[5] status=zero cause=float16_underflow line=40 call=40
# gradviz-expect: model.trainable_variables[6] status=zero cause=float16_underflow line=40 call=40
# gradviz-expect: model.trainable_variables[7] status=zero cause=float16_underflow line=40 call=40
# gradviz-expect: model.trainable_variables[8] status=ok call=40
# gradviz-expect: model.trainable_variables[12] status=ok call=40
# gradviz-expect: model.trainable_variables[26] status=ok call=40
# gradviz-expect: model.trainable_variables[27] status=ok call=40
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
optimizer = keras.optimizers.SGD(learning_rate=0.05)

rng = np.random.default_rng(0)
x = rng.normal(size=(32, 20)).astype("float32")
y = rng.normal(size=(32, 1)).astype("float32")

with tf.GradientTape() as tape:
    pred = model(x, training=True)
    loss = tf.reduce_mean(tf.square(tf.cast(pred, tf.float32) - y))

grads = tape.gradient(loss, model.trainable_variables)
optimizer.apply_gradients(zip(grads, model.trainable_variables))
print("loss:", float(loss))
for var, grad in zip(model.trainable_variables, grads):
    print("max |grad|", var.path, "->", float(tf.reduce_max(tf.abs(grad))))
