# Fixed twin of ../non_differentiable_op_fit_hard_routing.py: the router keeps its hard argmax choice in the forward pass but passes the softmax's gradient back (straight-through estimator), so the gate learns.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf


class HardMixture(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.gate = keras.layers.Dense(2, name="gate")
        self.expert_a = keras.layers.Dense(1, name="expert_a")
        self.expert_b = keras.layers.Dense(1, name="expert_b")

    def call(self, x):
        soft_route = tf.nn.softmax(self.gate(x), axis=-1)
        hard_route = tf.one_hot(tf.argmax(soft_route, axis=-1), depth=2)
        route = soft_route + tf.stop_gradient(hard_route - soft_route)
        outputs = tf.concat([self.expert_a(x), self.expert_b(x)], axis=-1)
        return tf.reduce_sum(route * outputs, axis=-1, keepdims=True)


keras.utils.set_random_seed(0)
rng = np.random.default_rng(18)
x = rng.normal(size=(8, 4)).astype("float32")
y = np.abs(x[:, :1]).astype("float32")
model = HardMixture(name="hard_moe")
model.compile(optimizer="adam", loss="mse")
history = model.fit(x, y, epochs=1, batch_size=4, verbose=0)
print("loss:", history.history["loss"])
