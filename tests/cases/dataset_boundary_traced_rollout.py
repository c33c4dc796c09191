# Rebuilt from: https://github.com/tensorflow/tensorflow/issues/38453 ("Gradient not registered in autograph
# mode with tf.data.Dataset loop"): a function multiplies its input by every element of a small dataset;
# called eagerly the gradient is right, decorated with @tf.function it is None. Here a portfolio is rolled
# forward over a dataset of daily returns.
# gradviz-expect: leverage status=none cause=dataset_boundary line=19 call=28
# gradviz-expect: fee_rate status=ok call=28
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(38)
daily_returns = tf.data.Dataset.from_tensor_slices(rng.normal(0.001, 0.02, size=20).astype("float32"))
leverage = tf.Variable(1.5)
fee_rate = tf.Variable(0.01)
capital = tf.constant(1000.0)


@tf.function
def roll_forward(value):
    for r in daily_returns:
        value = value * (1.0 + leverage * r)
    return value


with tf.GradientTape() as tape:
    final_value = roll_forward(capital) - fee_rate * capital
    objective = -tf.math.log(final_value)

grads = tape.gradient(objective, [leverage, fee_rate])
print("final value:", float(final_value))
print("grad leverage:", grads[0])
print("grad fee_rate:", grads[1])
