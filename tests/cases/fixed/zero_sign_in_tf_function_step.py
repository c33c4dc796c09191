# Fixed twin of ../zero_sign_in_tf_function_step.py: tf.tanh, a smooth stand-in for tf.sign.
# gradviz-expect: all-ok
import tensorflow as tf

w = tf.Variable([0.3, -0.7], name="w")
x = tf.random.normal((8, 2), seed=5)
y = tf.constant([1.0, -1.0, 1.0, 1.0, -1.0, -1.0, 1.0, -1.0])


@tf.function
def step(x, y):
    with tf.GradientTape() as tape:
        pred = tf.tanh(tf.linalg.matvec(x, w))
        loss = tf.reduce_mean(tf.square(pred - y))
    return tape.gradient(loss, w)


print("grad:", step(x, y).numpy())
