# Fixed twin of ../stop_gradient_fit_subclassed_encoder.py: the tf.stop_gradient around the encoder output in call() is removed, so fit trains the encoder too.
# gradviz-expect: all-ok
import keras
import numpy as np


class EncoderClassifier(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.encoder = keras.layers.Dense(16, activation="relu", name="encoder")
        self.classifier = keras.layers.Dense(2, name="classifier")

    def call(self, x):
        features = self.encoder(x)
        return self.classifier(features)


keras.utils.set_random_seed(0)
rng = np.random.default_rng(15)
x = rng.normal(size=(8, 5)).astype("float32")
y = rng.integers(0, 2, size=(8,))
model = EncoderClassifier(name="encoder_clf")
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
history = model.fit(x, y, epochs=1, batch_size=4, verbose=0)
print("loss:", history.history["loss"])
