# Nested tapes for a second derivative (the curvature of a potential), as in physics-informed
# losses: both the first and the second derivative exist.
# gradviz-expect: all-ok
import tensorflow as tf

x = tf.Variable([-1.0, 0.0, 0.5, 2.0])

with tf.GradientTape() as outer:
    with tf.GradientTape() as inner:
        potential = x**4 - 3.0 * x**2 + tf.sin(x)
    force = inner.gradient(potential, x)
curvature = outer.gradient(force, x)

print("force:", force.numpy())
print("curvature:", curvature.numpy())
