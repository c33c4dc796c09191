# Rebuilt from: tensorflow/tensorflow#48038 "Named dictionary outputs in tf.keras.Model do not work
# with defining seperate metrics per output" (its log: "Gradients do not exist for variables [...]").
# A functional model with named dict outputs predicts a fish's species and its weight; the loss dict
# given to compile() has an entry for "species" only, and fit() trains the rest without complaint.
# gradviz-expect: name=weight_head/kernel status=none cause=unused_variable line=26 mentions=weight_g
# gradviz-expect: name=weight_head/bias status=none cause=unused_variable line=26 mentions=weight_g
# gradviz-expect: name=trunk/kernel status=ok
# gradviz-expect: name=species_head/kernel status=ok
import keras
import numpy as np

keras.utils.set_random_seed(0)
measurements = keras.Input((6,), name="measurements")
trunk = keras.layers.Dense(16, activation="relu", name="trunk")(measurements)
species = keras.layers.Dense(3, name="species_head")(trunk)
weight_g = keras.layers.Dense(1, name="weight_head")(trunk)
model = keras.Model(measurements, {"species": species, "weight_g": weight_g}, name="fish")

rng = np.random.default_rng(48)
x = rng.normal(size=(16, 6)).astype("float32")
y = {
    "species": rng.integers(0, 3, size=(16,)),
    "weight_g": rng.normal(loc=300.0, scale=40.0, size=(16, 1)).astype("float32"),
}

model.compile(optimizer="adam", loss={"species": keras.losses.SparseCategoricalCrossentropy(from_logits=True)})
history = model.fit(x, y, epochs=1, batch_size=8, verbose=0)
print("loss:", history.history["loss"])
