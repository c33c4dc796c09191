# A sign-activated predictor trained in a tf.function step (as in "tf.sign gradient is zero"
# questions): TensorFlow returns a zero gradient, not None, and inside a tf.function the values
# are a graph tensor; the graph alone shows every path crosses tf.sign.
# gradviz-expect: w status=zero cause=non_differentiable_op line=15 call=17
import tensorflow as tf

w = tf.Variable([0.3, -0.7], name="w")
x = tf.random.normal((8, 2), seed=5)
y = tf.constant([1.0, -1.0, 1.0, 1.0, -1.0, -1.0, 1.0, -1.0])


@tf.function
def step(x, y):
    with tf.GradientTape() as tape:
        pred = tf.sign(tf.linalg.matvec(x, w))
        loss = tf.reduce_mean(tf.square(pred - y))
    return tape.gradient(loss, w)


print("grad:", step(x, y).numpy())
