# Fixed twin of ../stop_gradient_truncated_bptt_while_loop.py: no tf.stop_gradient on the carried state.
# gradviz-expect: all-ok
import tensorflow as tf

W = tf.Variable([[0.5, 0.1], [-0.2, 0.4]], name="W")
h0_scale = tf.Variable(1.0, name="h0_scale")
xs = tf.random.normal((5, 2, 1), seed=4)


@tf.function
def run():
    def body(t, h):
        # full backprop through time: the carried state keeps its gradient
        return t + 1, tf.tanh(tf.matmul(W, h) + xs[t])

    with tf.GradientTape() as tape:
        h0 = h0_scale * tf.ones((2, 1))
        _, h = tf.while_loop(lambda t, h: t < 5, body, [0, h0])
        loss = tf.reduce_sum(h**2)
    return tape.gradient(loss, [W, h0_scale])


gW, gs = run()
print("W", gW.numpy().ravel(), "h0_scale", gs.numpy())
