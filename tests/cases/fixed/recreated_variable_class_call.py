# Fixed twin of ../recreated_variable_class_call.py: __call__ creates the weights only on the first call (guarded by `if self.w is None:`) and reuses them afterwards.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf


class LinearModel:
    def __init__(self):
        self.w = None
        self.b = None

    def __call__(self, x):
        if self.w is None:
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
