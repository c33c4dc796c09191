# Truncated backprop through time written with tf.stop_gradient on the carried state inside a
# tf.while_loop body: the initial state's scale gets exactly 0.0 (the loop's gradient turns the
# cut into zeros, even without unconnected_gradients=ZERO), inside a tf.function.
# gradviz-expect: h0_scale status=zero cause=stop_gradient line=16 call=23
# gradviz-expect: W status=ok call=23
import tensorflow as tf

W = tf.Variable([[0.5, 0.1], [-0.2, 0.4]], name="W")
h0_scale = tf.Variable(1.0, name="h0_scale")
xs = tf.random.normal((5, 2, 1), seed=4)


@tf.function
def run():
    def body(t, h):
        h = tf.stop_gradient(h)  # truncate backprop through time
        return t + 1, tf.tanh(tf.matmul(W, h) + xs[t])

    with tf.GradientTape() as tape:
        h0 = h0_scale * tf.ones((2, 1))
        _, h = tf.while_loop(lambda t, h: t < 5, body, [0, h0])
        loss = tf.reduce_sum(h**2)
    return tape.gradient(loss, [W, h0_scale])


gW, gs = run()
print("W", gW.numpy().ravel(), "h0_scale", gs.numpy())
