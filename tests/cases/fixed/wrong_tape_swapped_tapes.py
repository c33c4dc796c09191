# Fixed twin of ../wrong_tape_swapped_tapes.py: each loss's gradient is asked of the tape that recorded it (actor_tape for actor_loss, critic_tape for critic_loss).
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(33)
states = tf.constant(rng.normal(size=(16, 3)), dtype=tf.float32)
actions = tf.constant(rng.uniform(-1, 1, size=(16, 1)), dtype=tf.float32)
returns = tf.constant(rng.normal(size=(16, 1)), dtype=tf.float32)
actor_w = tf.Variable(tf.random.normal((3, 1), stddev=0.3, seed=33))
critic_w = tf.Variable(tf.random.normal((4, 1), stddev=0.3, seed=34))

with tf.GradientTape() as actor_tape:
    policy_actions = tf.tanh(states @ actor_w)
    actor_loss = -tf.reduce_mean(tf.concat([states, policy_actions], axis=1) @ critic_w)
with tf.GradientTape() as critic_tape:
    q_values = tf.concat([states, actions], axis=1) @ critic_w
    critic_loss = tf.reduce_mean(tf.square(q_values - returns))

actor_grad = actor_tape.gradient(actor_loss, actor_w)
critic_grad = critic_tape.gradient(critic_loss, critic_w)
print("grad actor_w:", actor_grad)
print("grad critic_w:", critic_grad)
