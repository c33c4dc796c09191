# Fixed twin of ../unused_variable_fit_leftover_head.py: the leftover auxiliary head is removed from the model, so every weight fit trains is used by the output.
# gradviz-expect: all-ok
import keras
import numpy as np


class Regressor(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.body = keras.layers.Dense(16, activation="relu", name="body")
        self.head = keras.layers.Dense(1, name="head")

    def call(self, x):
        h = self.body(x)
        return self.head(h)


keras.utils.set_random_seed(0)
rng = np.random.default_rng(28)
x = rng.normal(size=(8, 6)).astype("float32")
y = rng.normal(size=(8, 1)).astype("float32")
model = Regressor(name="regressor")
model.compile(optimizer="adam", loss="mse")
history = model.fit(x, y, epochs=1, batch_size=4, verbose=0)
print("loss:", history.history["loss"])
