# A plain Keras classifier trained with compile/fit: every trainable weight gets a gradient.
# gradviz-expect: all-ok
import keras
import numpy as np

keras.utils.set_random_seed(0)
rng = np.random.default_rng(43)
x = rng.normal(size=(16, 6)).astype("float32")
y = (x[:, 0] + x[:, 1] > 0).astype("int32")

model = keras.Sequential(
    [
        keras.Input((6,)),
        keras.layers.Dense(16, activation="relu", name="hidden"),
        keras.layers.Dropout(0.1),
        keras.layers.Dense(2, name="logits"),
    ],
    name="clf",
)
model.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
history = model.fit(x, y, epochs=1, batch_size=8, verbose=0)
print("loss:", history.history["loss"])
