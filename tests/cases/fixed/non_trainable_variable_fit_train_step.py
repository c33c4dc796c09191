# Fixed twin of ../non_trainable_variable_fit_train_step.py: the offset weight is created trainable (trainable=False removed), so it gets a gradient and learns.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf


class OffsetRegressor(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(1, name="dense")
        self.offset = self.add_weight(name="offset", shape=(1,), initializer="zeros")

    def call(self, x):
        return self.dense(x) + self.offset

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            loss = self.compute_loss(x=x, y=y, y_pred=self(x, training=True))
        grads = tape.gradient(loss, self.weights)
        self.optimizer.apply_gradients(zip(grads, self.weights))
        return {"loss": loss}


keras.utils.set_random_seed(0)
rng = np.random.default_rng(9)
x = rng.normal(size=(8, 3)).astype("float32")
y = (x.sum(axis=1, keepdims=True) + 5.0).astype("float32")
model = OffsetRegressor(name="offset_net")
model.compile(optimizer="sgd", loss="mse")
history = model.fit(x, y, epochs=1, batch_size=4, verbose=0)
print("loss:", history.history["loss"])
print("offset:", model.offset.numpy())
