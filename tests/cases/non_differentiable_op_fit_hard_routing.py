# A hard mixture of two experts trained with fit: the router picks an expert with argmax,
# so the gate never learns (Keras warns "Gradients do not exist for variables").
# gradviz-expect: name=hard_moe/gate/kernel status=none cause=non_differentiable_op line=19
# gradviz-expect: name=hard_moe/gate/bias status=none cause=non_differentiable_op line=19
# gradviz-expect: name=hard_moe/expert_a/kernel status=ok
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
        route = tf.one_hot(tf.argmax(self.gate(x), axis=-1), depth=2)
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
