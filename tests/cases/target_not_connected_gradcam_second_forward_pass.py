# Rebuilt from: tensorflow/tensorflow#44462 "GradCAM and nested models" (a pretrained backbone nested
# as one layer of the classifier, so the usual "last conv layer model" cannot be built). The
# feature maps are taken from the nested backbone, then the class scores from a second call of the
# full classifier on the same images.
# gradviz-expect: feature_maps status=none cause=target_not_connected line=28 call=32
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
    predictions = classifier(images)
    top_class = tf.argmax(predictions[0])
    class_score = predictions[:, top_class]

grads = tape.gradient(class_score, feature_maps)
print("class score:", class_score.numpy())
print("grads:", grads)
