# A hand-rolled linear model whose __call__ creates its weights, so every call makes new
# variables: the ones kept in `params` after the first call are not the ones the loss used.
# gradviz-expect: params[0] status=none cause=recreated_variable line=11 call=26
# gradviz-expect: params[1] status=none cause=recreated_variable line=12 call=26
import numpy as np
import tensorflow as tf


class LinearModel:
    def __call__(self, x):
        self.w = tf.Variable(tf.random.normal((x.shape[-1], 1), stddev=0.1, seed=0), name="w")
        self.b = tf.Variable(tf.zeros((1,)), name="b")
        return x @ self.w + self.b


rng = np.random.default_rng(29)
x_train = tf.constant(rng.normal(size=(16, 3)), dtype=tf.float32)
y_train = tf.constant(rng.normal(size=(16, 1)), dtype=tf.float32)
model = LinearModel()
model(x_train)
params = [model.w, model.b]

with tf.GradientTape() as tape:
    loss = tf.reduce_mean(tf.square(model(x_train) - y_train))

grads = tape.gradient(loss, params)
print("grads:", grads)
