# Fixed twin of ../loop_body_capture_while_tape_watch.py: the body computes the field from the watched input inside its own tape, so the energy depends on it there.
# gradviz-expect: all-ok
import tensorflow as tf


@tf.function
def relax(x):
    def cond(i, acc):
        return i < 3

    def body(i, acc):
        with tf.GradientTape() as t:
            t.watch(x)
            field = tf.sin(x) * x
            energy = tf.reduce_sum(field**2)
        step = t.gradient(energy, x)
        step = step if step is not None else tf.zeros_like(x)
        return i + 1, acc + step

    _, acc = tf.while_loop(cond, body, [tf.constant(0), tf.zeros_like(x)])
    return acc


print("relaxation steps:", relax(tf.constant([0.5, 1.0, 1.5])).numpy())
