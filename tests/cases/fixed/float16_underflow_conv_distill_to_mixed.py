# Fixed twin of ../float16_underflow_conv_distill_to_mixed.py: the optimizer is wrapped in LossScaleOptimizer and the tape differentiates optimizer.scale_loss(loss); apply_gradients divides the scale back out.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf


def build_detector(name):
    return keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1"),
            keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv2"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="conv3"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(4, name="box"),
        ],
        name=name,
    )


keras.utils.set_random_seed(0)
pretrained = build_detector("pretrained")  # stands in for the float32 checkpoint

keras.mixed_precision.set_global_policy("mixed_float16")
student = build_detector("student")
student.set_weights(pretrained.get_weights())
optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(1e-4))

rng = np.random.default_rng(0)
images = rng.random((16, 32, 32, 3)).astype("float32")
reference_boxes = pretrained(images)

with tf.GradientTape() as tape:
    boxes = tf.cast(student(images, training=True), tf.float32)
    loss = tf.reduce_mean(tf.square(boxes - reference_boxes))
    scaled_loss = optimizer.scale_loss(loss)

grads = tape.gradient(scaled_loss, student.trainable_variables)
optimizer.apply_gradients(zip(grads, student.trainable_variables))
print("distillation loss:", float(loss))
for var, grad in zip(student.trainable_variables, grads):
    print("nonzero grad entries", var.path, "->", int(tf.math.count_nonzero(grad)), "of", int(tf.size(grad)))
