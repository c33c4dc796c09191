# Rebuilt from: tensorflow/tensorflow#27660 "gradient not computed unless variable is assigned"
# (`return t.gradient(f(x), x)` after a `with` block that only watches x). Forces on a small
# Lennard-Jones cluster are the negative gradient of the potential energy, which a helper computes.
# gradviz-expect: positions status=none cause=outside_tape line=21 call=21
import numpy as np
import tensorflow as tf


def potential_energy(positions):
    n = positions.shape[0]
    diff = positions[:, None, :] - positions[None, :, :]
    r2 = tf.reduce_sum(diff * diff, axis=-1) + tf.eye(n)
    inv_r6 = 1.0 / r2**3
    pair_energy = 4.0 * (inv_r6 * inv_r6 - inv_r6) * (1.0 - tf.eye(n))
    return 0.5 * tf.reduce_sum(pair_energy)


def energy_gradient(positions):
    with tf.GradientTape() as tape:
        tape.watch(positions)
    return tape.gradient(potential_energy(positions), positions)


rng = np.random.default_rng(27660)
grid = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype="float32") * 1.12
positions = tf.constant(grid + 0.05 * rng.normal(size=(4, 3)).astype("float32"))
grad = energy_gradient(positions)
print("energy:", float(potential_energy(positions)))
print("forces:", None if grad is None else -grad)
