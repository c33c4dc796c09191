# Fixed twin of ../target_not_connected_gradcam_second_forward_pass.py: the class scores are computed from the same feature maps by the classifier's own pooling and scoring layers, instead of by a second call of the full classifier on the images.
# gradviz-expect: all-ok
import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(0)
backbone = keras.Sequential(
    [
        keras.Input((16, 16, 3)),
        keras.layers.Conv2D(8, 3, activation="relu", name="block1_conv"),
        keras.layers.Conv2D(8, 3, activation="relu", name="block2_conv"),
    ],
    name="backbone",
)
images_in = keras.Input((16, 16, 3))
pooled = keras.layers.GlobalAveragePooling2D(name="gap")(backbone(images_in))
classifier = keras.Model(images_in, keras.layers.Dense(3, name="scores")(pooled), name="classifier")

rng = np.random.default_rng(44)
images = rng.random((2, 16, 16, 3)).astype("float32")

with tf.GradientTape() as tape:
    feature_maps = backbone(images)
    predictions = classifier.get_layer("scores")(classifier.get_layer("gap")(feature_maps))
    top_class = tf.argmax(predictions[0])
    class_score = predictions[:, top_class]

grads = tape.gradient(class_score, feature_maps)
print("class score:", class_score.numpy())
print("grad norm:", float(tf.norm(grads)))
