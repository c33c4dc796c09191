# A subclassed regressor that still builds an auxiliary head from an earlier multi-task
# version but returns only the main head: fit warns "Gradients do not exist for variables".
# gradviz-expect: name=regressor/aux_head/kernel status=none cause=unused_variable line=20
# gradviz-expect: name=regressor/aux_head/bias status=none cause=unused_variable line=20
# gradviz-expect: name=regressor/head/kernel status=ok
import keras
import numpy as np


class Regressor(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.body = keras.layers.Dense(16, activation="relu", name="body")
        self.head = keras.layers.Dense(1, name="head")
        self.aux_head = keras.layers.Dense(1, name="aux_head")

    def call(self, x):
        h = self.body(x)
        aux = self.aux_head(h)  # noqa: F841
        return self.head(h)


keras.utils.set_random_seed(0)
rng = np.random.default_rng(28)
x = rng.normal(size=(8, 6)).astype("float32")
y = rng.normal(size=(8, 1)).astype("float32")
model = Regressor(name="regressor")
model.compile(optimizer="adam", loss="mse")
history = model.fit(x, y, epochs=1, batch_size=4, verbose=0)
print("loss:", history.history["loss"])
