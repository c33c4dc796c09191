# Fixed twin of ../stop_gradient_fit_no_gradients_raises.py: tf.stop_gradient moves from the predictions to the targets, as was meant, so fit trains every weight.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf


class Regressor(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(8, activation="relu", name="hidden")
        self.out = keras.layers.Dense(1, name="out")

    def call(self, x):
        return self.out(self.hidden(x))

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=tf.stop_gradient(y), y_pred=y_pred)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


keras.utils.set_random_seed(0)
rng = np.random.default_rng(14)
x = rng.normal(size=(8, 3)).astype("float32")
y = rng.normal(size=(8, 1)).astype("float32")
model = Regressor(name="regressor")
model.compile(optimizer="adam", loss="mse")
print("training on", len(x), "samples")
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
