# Fixed twin of ../dataset_boundary_traced_rollout.py: the compiled function takes the returns as one tensor (the dataset batched into a single element) and compounds them with tf.reduce_prod, so nothing differentiable runs inside a dataset function.
# gradviz-expect: all-ok
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(38)
daily_returns = tf.data.Dataset.from_tensor_slices(rng.normal(0.001, 0.02, size=20).astype("float32"))
leverage = tf.Variable(1.5)
fee_rate = tf.Variable(0.01)
capital = tf.constant(1000.0)
returns = next(iter(daily_returns.batch(20)))


@tf.function
def roll_forward(value, r):
    return value * tf.reduce_prod(1.0 + leverage * r)


with tf.GradientTape() as tape:
    final_value = roll_forward(capital, returns) - fee_rate * capital
    objective = -tf.math.log(final_value)

grads = tape.gradient(objective, [leverage, fee_rate])
print("final value:", float(final_value))
print("grad leverage:", grads[0])
print("grad fee_rate:", grads[1])
