# Fixed twin of ../not_watched_tensor_batch_jacobian_in_function.py: tape.watch(x) before the network runs.
# gradviz-expect: all-ok
import tensorflow as tf

net = tf.keras.Sequential([tf.keras.layers.Dense(3, activation="tanh"), tf.keras.layers.Dense(2)])
x = tf.random.normal((4, 3), seed=1)
net(x)


@tf.function
def input_jacobian(x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = net(x)
    return tape.batch_jacobian(y, x)


J = input_jacobian(x)
print("jacobian abs sum:", float(tf.reduce_sum(tf.abs(J))))
