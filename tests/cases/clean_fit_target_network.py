# A custom train_step that uses tf.stop_gradient the right way: only the bootstrapped target
# (from a frozen target network) is detached, so every trainable weight gets a gradient.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf


class QLearner(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.q = keras.layers.Dense(2, name="q")
        self.target_q = keras.layers.Dense(2, name="target_q", trainable=False)

    def call(self, x):
        return self.q(x)

    def train_step(self, data):
        (states, next_states), rewards = data
        target = tf.stop_gradient(rewards + 0.9 * tf.reduce_max(self.target_q(next_states), axis=1))
        with tf.GradientTape() as tape:
            q_taken = tf.reduce_max(self(states, training=True), axis=1)
            loss = tf.reduce_mean(tf.square(q_taken - target))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"td_loss": loss}


keras.utils.set_random_seed(0)
rng = np.random.default_rng(46)
states = rng.normal(size=(8, 3)).astype("float32")
next_states = rng.normal(size=(8, 3)).astype("float32")
rewards = rng.normal(size=(8,)).astype("float32")
model = QLearner(name="q_learner")
model.target_q.build((None, 3))
model.compile(optimizer="adam")
history = model.fit((states, next_states), rewards, epochs=1, batch_size=4, verbose=0)
print("td_loss:", history.history["td_loss"])
