"""Keras peer of `triage bench engine`: same synthetic data (synthetic.py), same models, same steps,
2 threads, channels-last, one compiled train step per batch (XLA but for cnn2d).

usage: keras_peer.py NAME STEPS [WARMUP]   -> one JSON object on stdout
env: SEED (Keras's own initialisation, default 1), or INIT=FILE to start from the weights
     `triage bench engine --initial-weights DIR` wrote (DIR/NAME.safetensors, Triage's layouts).
"""
import json
import os
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up notes off stderr
import tensorflow as tf  # noqa: E402

# Thread pools can only be set before TensorFlow runs its first op. One inter-op thread:
# 2 measured no faster, and could put two 2-thread ops on the 2 cores at once.
tf.config.threading.set_intra_op_parallelism_threads(2)
tf.config.threading.set_inter_op_parallelism_threads(1)

import keras  # noqa: E402  (after the thread settings)
from keras import layers  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402

from synthetic import POOL, image_data, sequence_data  # noqa: E402  (beside this script)


# Triage tensor -> Keras weight: keras = triage.transpose(axes).
VECTOR, SAME, DENSE = (0,), (0, 1), (1, 0)  # Dense: (out, in) -> (in, out)
CONV1D, CONV2D = (1, 2, 0), (1, 2, 3, 0)    # (F, K, C) -> (K, C, F); (F, KH, KW, C) -> (KH, KW, C, F)


def build(name):
    """The model, its batch size, whether XLA helps it and, in model.weights order, each weight's
    Triage name and axes. Measured with XLA vs without (samples/s, 200 steps): conv1d 7,400 vs
    5,800, lstm 1,700 vs 1,400, cnn2d 2,500 vs 9,100 (TensorFlow's oneDNN convolutions win)."""
    if name == "lstm":  # LSTM gates (i, f, c, o) in both; Triage's bias is PyTorch's bias_ih + bias_hh
        return keras.Sequential([keras.Input((100,), dtype="int32"), layers.Embedding(5000, 64),
                                 layers.LSTM(128), layers.Dense(20)]), 64, True, [
            ("0.weight", SAME), ("1.weight_ih", DENSE), ("1.weight_hh", DENSE), ("1.bias", VECTOR),
            ("2.weight", DENSE), ("2.bias", VECTOR)]
    if name == "conv1d":
        return keras.Sequential([keras.Input((100,), dtype="int32"), layers.Embedding(5000, 64),
                                 layers.Conv1D(128, 5), layers.ReLU(), layers.GlobalMaxPooling1D(),
                                 layers.Dense(20)]), 64, True, [
            ("0.weight", SAME), ("1.weight", CONV1D), ("1.bias", VECTOR), ("4.weight", DENSE), ("4.bias", VECTOR)]
    if name == "cnn2d":  # Triage's Flatten is (H, W, C) like Keras's: the Dense needs no reordering
        return keras.Sequential([keras.Input((28, 28, 1)),
                                 layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
                                 layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
                                 layers.Dense(128), layers.ReLU(), layers.Dense(2)]), 128, False, [
            ("0.weight", CONV2D), ("0.bias", VECTOR), ("2.weight", CONV2D), ("2.bias", VECTOR),
            ("5.weight", DENSE), ("5.bias", VECTOR), ("7.weight", DENSE), ("7.bias", VECTOR)]
    sys.exit(f"keras_peer.py: unknown model {name!r} (lstm, conv1d, cnn2d)")


def load_initial_weights(model, plan, path):
    """Sets every weight from Triage's safetensors file; a missing, extra or misshapen tensor exits 2."""
    def fail(message):
        print(f"keras_peer.py: {path}: {message}", file=sys.stderr)
        sys.exit(2)
    tensors = load_file(path)
    extra = sorted(set(tensors) - {key for key, _ in plan})
    if extra:
        fail(f"unexpected tensors {extra}")
    for variable, (key, axes) in zip(model.weights, plan, strict=True):
        if key not in tensors:
            fail(f"no tensor {key!r}")
        expected = tuple(variable.shape[i] for i in np.argsort(axes))  # the Triage shape Keras's needs
        if tensors[key].shape != expected:
            fail(f"tensor {key!r} has shape {tensors[key].shape}, expected {expected}")
        variable.assign(tensors[key].astype(np.float32).transpose(axes))


class TorchAdam(keras.optimizers.Adam):
    """Keras's Adam with PyTorch's placement of epsilon: lr m_hat / (sqrt(v_hat) + eps)."""
    def update_step(self, gradient, variable, learning_rate):
        ops = keras.ops
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        step = ops.cast(self.iterations + 1, variable.dtype)
        beta_1_power = ops.power(ops.cast(self.beta_1, variable.dtype), step)
        beta_2_power = ops.power(ops.cast(self.beta_2, variable.dtype), step)
        m = self._momentums[self._get_variable_index(variable)]
        v = self._velocities[self._get_variable_index(variable)]
        alpha = lr * ops.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1 - self.beta_1))
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(gradient), v), 1 - self.beta_2))
        epsilon = self.epsilon * ops.sqrt(1 - beta_2_power)
        self.assign_sub(variable, ops.divide(ops.multiply(m, alpha), ops.add(ops.sqrt(v), epsilon)))


def train_step(model, opt, loss_fn, jit):
    """One Adam step on a batch, compiled into one graph (one XLA program when jit); returns the loss."""
    @tf.function(jit_compile=jit)
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, model(xb, training=True))
        # Dense gradients: Keras's Adam squares the Embedding's sparse gradient per occurrence of a
        # token, not per row, and trains another model than PyTorch and Triage (conv1d loss after
        # 150 steps from the same weights: 0.98 vs 1.09). Costs no measurable time.
        grads = [tf.convert_to_tensor(g) for g in tape.gradient(loss, model.trainable_variables)]
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss
    return step


def main():
    name, steps = sys.argv[1], int(sys.argv[2])
    warmup = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    keras.utils.set_random_seed(int(os.environ.get("SEED", "1")))
    model, batch, jit, plan = build(name)
    if os.environ.get("INIT"):
        load_initial_weights(model, plan, os.environ["INIT"])
    x, y = image_data() if name == "cnn2d" else sequence_data()
    x, y = tf.constant(x), tf.constant(y)
    # PyTorch's Adam (and Triage's): epsilon after the bias correction. Keras's own adds it before
    # (its step is m alpha / (sqrt(v) + eps), i.e. eps / sqrt(1 - beta2^t) after the correction),
    # which trained another model (cnn2d after 63 steps: 1.781e-4 against 1.729e-4 in PyTorch and
    # Triage; conv1d 1.084 against 1.085). Same work per step.
    opt = TorchAdam(learning_rate=1e-3, epsilon=1e-8)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    step = train_step(model, opt, loss_fn, jit)
    losses = []
    start = time.perf_counter()
    for k in range(warmup + steps):  # tracing and XLA compilation happen in step 0
        if k == warmup:
            start = time.perf_counter()
        first = (k * batch) % POOL
        xb, yb = x[first:first + batch], y[first:first + batch]
        try:
            loss = step(xb, yb)
        except tf.errors.OpError as error:
            if k > 0 or not jit:
                raise
            # XLA failed to compile, so nothing ran: the same step again without it.
            print(f"keras_peer.py: XLA failed, running without it: {error}", file=sys.stderr)
            jit, step = False, train_step(model, opt, loss_fn, False)
            loss = step(xb, yb)
        losses.append(float(loss))  # waits for the step, as peer.py's loss.item()
    seconds = time.perf_counter() - start
    last = min(POOL // batch, len(losses))  # the last pass through the synthetic pool
    print(json.dumps({"samples_per_second": steps * batch / seconds, "loss": sum(losses[-last:]) / last,
                      "steps": steps, "keras": keras.__version__, "tensorflow": tf.__version__,
                      "threads": tf.config.threading.get_intra_op_parallelism_threads(), "jit": jit}))


if __name__ == "__main__":
    main()
