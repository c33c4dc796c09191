# Fixed twin of ../unused_variable_fit_loss_dict_missing_key.py: the loss dict passed to compile() has an entry for every output key, "weight_g" included (with a loss weight for its scale).
# gradviz-expect: all-ok
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

model.compile(
    optimizer="adam",
    loss={"species": keras.losses.SparseCategoricalCrossentropy(from_logits=True), "weight_g": "mse"},
    loss_weights={"species": 1.0, "weight_g": 1e-4},
)
history = model.fit(x, y, epochs=1, batch_size=8, verbose=0)
print("loss:", history.history["loss"])
