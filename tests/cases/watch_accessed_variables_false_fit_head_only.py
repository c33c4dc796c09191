# Fine-tuning only the head: the custom train_step watches the head's variables with
# watch_accessed_variables=False but still asks for all trainable variables, so the backbone
# gets None (Keras warns "Gradients do not exist for variables").
# gradviz-expect: name=finetuner/backbone/kernel status=none cause=watch_accessed_variables_false line=23 call=26
# gradviz-expect: name=finetuner/backbone/bias status=none cause=watch_accessed_variables_false line=23 call=26
# gradviz-expect: name=finetuner/head/kernel status=ok call=26
import keras
import numpy as np
import tensorflow as tf


class FineTuner(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.backbone = keras.layers.Dense(16, activation="relu", name="backbone")
        self.head = keras.layers.Dense(1, name="head")

    def call(self, x):
        return self.head(self.backbone(x))

    def train_step(self, data):
        x, y = data
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(self.head.trainable_variables)
            loss = self.compute_loss(x=x, y=y, y_pred=self(x, training=True))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


keras.utils.set_random_seed(0)
rng = np.random.default_rng(11)
x = rng.normal(size=(8, 4)).astype("float32")
y = rng.normal(size=(8, 1)).astype("float32")
model = FineTuner(name="finetuner")
model.compile(optimizer="adam", loss="mse")
history = model.fit(x, y, epochs=1, batch_size=4, verbose=0)
print("loss:", history.history["loss"])
