# Rebuilt from a blind-test pattern (gradient relaxation of a field inside tf.while_loop): a tape opened in
# the loop body watches the function's input, but the energy it differentiates is built from a field
# computed once before the loop. In the body that field is a captured placeholder, so the watched input
# never reaches the energy there: the gradient is None on every iteration (and silently replaced by zeros).
# gradviz-expect: x status=none cause=loop_body_capture line=20 call=20
import tensorflow as tf


@tf.function
def relax(x):
    field = tf.sin(x) * x  # computed once, outside the loop

    def cond(i, acc):
        return i < 3

    def body(i, acc):
        with tf.GradientTape() as t:
            t.watch(x)
            energy = tf.reduce_sum(field**2)
        step = t.gradient(energy, x)
        step = step if step is not None else tf.zeros_like(x)
        return i + 1, acc + step

    _, acc = tf.while_loop(cond, body, [tf.constant(0), tf.zeros_like(x)])
    return acc


print("relaxation steps:", relax(tf.constant([0.5, 1.0, 1.5])).numpy())
