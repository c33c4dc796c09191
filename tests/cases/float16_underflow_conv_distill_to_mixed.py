# Rebuilt from: zzh8829/yolov3-tf2#243 "Mixed_precision float16" (moving a pretrained float32 detector
# to mixed precision without training it from scratch). The pretrained weights are copied into a
# mixed_float16 copy of the network, which is then fine-tuned by hand to reproduce the float32
# model's box outputs. The loss starts tiny and is not scaled: the convolutions' gradients come back
# as exactly 0.0, the dense head's do not.
# gradviz-expect: student.trainable_variables[0] status=zero cause=float16_underflow line=50 call=50
# gradviz-expect: student.trainable_variables[1] status=zero cause=float16_underflow line=50 call=50
# gradviz-expect: student.trainable_variables[2] status=zero cause=float16_underflow line=50 call=50
# gradviz-expect: student.trainable_variables[3] status=zero cause=float16_underflow line=50 call=50
# gradviz-expect: student.trainable_variables[4] status=zero cause=float16_underflow line=50 call=50
# gradviz-expect: student.trainable_variables[5] status=zero cause=float16_underflow line=50 call=50
# gradviz-expect: student.trainable_variables[6] status=ok call=50
# gradviz-expect: student.trainable_variables[7] status=ok call=50
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
optimizer = keras.optimizers.Adam(1e-4)

rng = np.random.default_rng(0)
images = rng.random((16, 32, 32, 3)).astype("float32")
reference_boxes = pretrained(images)

with tf.GradientTape() as tape:
    boxes = tf.cast(student(images, training=True), tf.float32)
    loss = tf.reduce_mean(tf.square(boxes - reference_boxes))

grads = tape.gradient(loss, student.trainable_variables)
optimizer.apply_gradients(zip(grads, student.trainable_variables))
print("distillation loss:", float(loss))
for var, grad in zip(student.trainable_variables, grads):
    print("nonzero grad entries", var.path, "->", int(tf.math.count_nonzero(grad)), "of", int(tf.size(grad)))
