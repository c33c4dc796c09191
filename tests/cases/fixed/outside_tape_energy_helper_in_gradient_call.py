# Fixed twin of ../outside_tape_energy_helper_in_gradient_call.py: the energy is computed inside the `with` block and only the finished tensor is passed to tape.gradient.
# gradviz-expect: all-ok
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
        energy = potential_energy(positions)
    return tape.gradient(energy, positions)


rng = np.random.default_rng(27660)
grid = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype="float32") * 1.12
positions = tf.constant(grid + 0.05 * rng.normal(size=(4, 3)).astype("float32"))
grad = energy_gradient(positions)
print("energy:", float(potential_energy(positions)))
print("forces:", None if grad is None else -grad)
