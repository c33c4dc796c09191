# Rebuilt from: tensorflow/tensorflow#30234 "How to calculate gradients for meta learning loop?"
# (alextp: "The issue is around tf.variable ... you need to replace the tf.Variable with a normal
# tensor"). One MAML step for a linear regressor: the adapted ("fast") weights are wrapped in new
# tf.Variables inside the outer tape before the query loss is computed.
# gradviz-expect: w status=ok call=26
# gradviz-expect: b status=ok call=26
# gradviz-expect: w status=none cause=variable_assign line=27 call=31
# gradviz-expect: b status=none cause=variable_assign line=28 call=31
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(30)
slope = rng.normal(size=(3, 1)).astype("float32")
x_support = tf.constant(rng.normal(size=(5, 3)), dtype=tf.float32)
y_support = x_support @ slope
x_query = tf.constant(rng.normal(size=(5, 3)), dtype=tf.float32)
y_query = x_query @ slope

w = tf.Variable(tf.zeros((3, 1)), name="w")
b = tf.Variable(tf.zeros((1,)), name="b")
inner_lr = 0.1

with tf.GradientTape() as outer_tape:
    with tf.GradientTape() as inner_tape:
        support_loss = tf.reduce_mean(tf.square(x_support @ w + b - y_support))
    g_w, g_b = inner_tape.gradient(support_loss, [w, b])
    fast_w = tf.Variable(w - inner_lr * g_w)
    fast_b = tf.Variable(b - inner_lr * g_b)
    query_loss = tf.reduce_mean(tf.square(x_query @ fast_w + fast_b - y_query))

meta_w, meta_b = outer_tape.gradient(query_loss, [w, b])
print("query loss:", float(query_loss))
print("meta grad w:", meta_w)
print("meta grad b:", meta_b)
