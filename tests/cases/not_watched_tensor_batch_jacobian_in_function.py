# Per-example input Jacobians of a small network with tape.batch_jacobian inside a tf.function,
# forgetting tape.watch(x): TensorFlow returns an all-zero Jacobian (not None).
# gradviz-expect: x status=zero cause=not_watched_tensor line=7 call=15
import tensorflow as tf

net = tf.keras.Sequential([tf.keras.layers.Dense(3, activation="tanh"), tf.keras.layers.Dense(2)])
x = tf.random.normal((4, 3), seed=1)
net(x)


@tf.function
def input_jacobian(x):
    with tf.GradientTape() as tape:
        y = net(x)
    return tape.batch_jacobian(y, x)


J = input_jacobian(x)
print("jacobian abs sum:", float(tf.reduce_sum(tf.abs(J))))
