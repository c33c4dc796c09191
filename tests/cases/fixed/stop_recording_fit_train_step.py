# Fixed twin of ../stop_recording_fit_train_step.py: the temperature is computed on the tape, out of the `tape.stop_recording()` block, so fit trains log_temperature.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf


class TemperatureClassifier(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(16, activation="relu", name="hidden")
        self.classifier = keras.layers.Dense(3, name="classifier")
        self.log_temperature = self.add_weight(name="log_temperature", shape=(), initializer="zeros")

    def call(self, x):
        return self.classifier(self.hidden(x))

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            logits = self(x, training=True)
            temperature = tf.exp(self.log_temperature)
            loss = self.compute_loss(x=x, y=y, y_pred=logits / temperature)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


keras.utils.set_random_seed(0)
rng = np.random.default_rng(4)
x = rng.normal(size=(8, 5)).astype("float32")
y = rng.integers(0, 3, size=(8,))
model = TemperatureClassifier(name="tempnet")
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
history = model.fit(x, y, epochs=1, batch_size=4, verbose=0)
print("loss:", history.history["loss"])
print("temperature:", float(np.exp(model.log_temperature.numpy())))
