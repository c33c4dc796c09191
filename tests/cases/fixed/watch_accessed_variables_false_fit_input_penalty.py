# Fixed twin of ../watch_accessed_variables_false_fit_input_penalty.py: watch_accessed_variables=False is dropped from the train_step's tape, so it watches the weights it reads.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf


class RobustRegressor(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.backbone = keras.layers.Dense(16, activation="relu", name="backbone")
        self.head = keras.layers.Dense(1, name="head")

    def call(self, x):
        return self.head(self.backbone(x))

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            tape.watch(x)
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


keras.utils.set_random_seed(0)
rng = np.random.default_rng(11)
x = rng.normal(size=(8, 4)).astype("float32")
y = rng.normal(size=(8, 1)).astype("float32")
model = RobustRegressor(name="robust_net")
model.compile(optimizer="adam", loss="mse")
print("training on", len(x), "samples")
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
