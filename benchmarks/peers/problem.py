"""The problem every peer script runs, in NumPy: the same sizes and arithmetic as socbench's
kernels (`methods/benches/kernels.rs`), so that the per-kernel times compare like for like.

- Control network (App. E.1): Fourier features [sin(w t), cos(w t)], w = linspace(0.1, 100, 64);
  f1 = 6 Linear layers of width 256 with exact (erf) GELU between them, input d + 128, output d;
  f2 = Linear(128, 64) - GELU - Linear(64, 1); u(x, t) = f1(x, t) + f2(t) * x / eta^2 (eq. 52).
  Last layers zero-initialised, the others with the usual uniform(+-1/sqrt(fan_in)).
- Process: the DDS exponential integrator of socbench's `ExponentialOu` on the cosine schedule
  (c_min = 0.01, c_max = 10, T = 1), N = 50 steps: X' = a_k X + s_k (h_k u + xi).
- Target: a 10-component Gaussian mixture with full covariances (the paper's GMM shape), prior
  eta = 2.5. The parameters are drawn here from NumPy; they only set the arithmetic, not a result.
- LV loss (eq. 16): Var[tau log w + sum_k h_k (u_k - v_k).xi_k + h_k^2/2 |u_k - v_k|^2] with v the
  trained network on the stored states.
"""
import argparse
import json
import math
import statistics
import time

import numpy as np

BATCH = 2000
STEPS = 50
WIDTH = 256
DEPTH = 6
FOURIER = 64
TIME_WIDTH = 64
ETA = 2.5
MODES = 10


def schedule(steps=STEPS, c_min=0.01, c_max=10.0, horizon=1.0):
    """Per-step (t_k, a_k, s_k, h_k) of the exponential OU integrator."""

    def integral0(t):
        return c_min * t + (c_max - c_min) * (0.5 * t + horizon / (2 * math.pi) * math.sin(math.pi * t / horizon))

    dt = horizon / steps
    out = []
    for k in range(steps):
        t = k * dt
        lam = integral0(t + dt) - integral0(t)
        a = math.exp(-lam)
        s = ETA * math.sqrt(-math.expm1(-2 * lam))
        sigma_bar = ETA * math.sqrt(2 * lam / dt)
        out.append((t, a, s, s / sigma_bar))
    return out


def fourier(t):
    w = np.linspace(0.1, 100.0, FOURIER)
    return np.concatenate([np.sin(w * t), np.cos(w * t)]).astype(np.float32)


def init_params(d, seed=0):
    """[(W, b)] of f1 and of f2, float32, W as [fan_in, fan_out]."""
    rng = np.random.default_rng(seed)

    def mlp(dims):
        layers = []
        for i in range(len(dims) - 1):
            bound = 1.0 / math.sqrt(dims[i])
            if i + 2 == len(dims):
                w = np.zeros((dims[i], dims[i + 1]), np.float32)
                b = np.zeros(dims[i + 1], np.float32)
            else:
                w = rng.uniform(-bound, bound, (dims[i], dims[i + 1])).astype(np.float32)
                b = rng.uniform(-bound, bound, dims[i + 1]).astype(np.float32)
            layers.append((w, b))
        return layers

    f1 = mlp([d + 2 * FOURIER] + [WIDTH] * (DEPTH - 1) + [d])
    f2 = mlp([2 * FOURIER, TIME_WIDTH, 1])
    return f1, f2


def gmm(d, seed=1):
    """(log mixing weights [K], means [K, d], precision Cholesky factors [K, d, d], log-norm [K])."""
    rng = np.random.default_rng(seed)
    w = 1.0 + 2.0 * rng.random(MODES)
    logw = np.log(w / w.sum())
    means = rng.uniform(-5, 5, (MODES, d))
    chol = np.empty((MODES, d, d))
    lognorm = np.empty(MODES)
    for k in range(MODES):
        q, _ = np.linalg.qr(rng.normal(size=(d, d)))
        ev = rng.uniform(0.5, 2.0, d)
        # Precision = Q diag(1/ev) Q^T = L L^T with L = Q diag(ev^-1/2).
        chol[k] = q * (1.0 / np.sqrt(ev))[None, :]
        lognorm[k] = -0.5 * d * math.log(2 * math.pi) - 0.5 * np.log(ev).sum()
    f = np.float32
    return logw.astype(f), means.astype(f), chol.astype(f), lognorm.astype(f)


# The kernel groups a peer times (`--only`), in the order `cargo xtask bench` interleaves them with
# its own criterion runs.
GROUPS = ("forward", "simulate", "lv", "tr", "refresh")


def args():
    """The command line every peer script takes: --d, --k (buffer size of the refresh), --repeats,
    --device, --only."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--d", type=int, default=50)
    ap.add_argument("--k", type=int, default=50000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="cpu", help="PyTorch only: cpu or cuda (the GPU run of `cargo xtask gpu`)")
    ap.add_argument(
        "--only",
        default=",".join(GROUPS),
        help="comma-separated kernel groups to time (default: all): " + ",".join(GROUPS),
    )
    a = ap.parse_args()
    a.only = [g for g in a.only.split(",") if g]
    unknown = [g for g in a.only if g not in GROUPS]
    if unknown:
        ap.error(f"--only: unknown group(s) {unknown}; allowed: {','.join(GROUPS)}")
    return a


def median_time(f, repeats, wait=lambda r: r):
    """Median wall time of `repeats` calls of f after one warm-up call (which also compiles);
    `wait` blocks until f's result is computed (JAX dispatches asynchronously)."""
    wait(f())
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        wait(f())
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def report(peer, version, threads, kernels):
    """The one JSON object `cargo xtask bench` reads from a peer's standard output."""
    print(json.dumps({"peer": peer, "version": version, "threads": threads, "kernels": kernels}))
