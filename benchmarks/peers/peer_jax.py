"""socbench's training kernels in JAX (CPU, float32, jit-compiled as the paper's JAX code would
be). Prints one JSON object: {"peer", "version", "threads", "kernels": {criterion id: seconds}}.
The kernel ids and sizes are those of `methods/benches/kernels.rs`; see problem.py for the maths.

usage: python peer_jax.py [--d 50] [--k 50000] [--repeats 3] [--only forward,simulate,lv,tr,refresh]
"""
import os

import jax
import jax.numpy as jnp

import problem as P


def net_apply(params, x, t_feat):
    f1, f2 = params
    b = x.shape[0]
    h = jnp.concatenate([x, jnp.broadcast_to(t_feat, (b, t_feat.shape[0]))], axis=1)
    for i, (w, c) in enumerate(f1):
        h = h @ w + c
        if i + 1 < len(f1):
            h = jax.nn.gelu(h, approximate=False)
    g = t_feat[None, :]
    for i, (w, c) in enumerate(f2):
        g = g @ w + c
        if i + 1 < len(f2):
            g = jax.nn.gelu(g, approximate=False)
    return h + g * x / P.ETA**2


def make(d):
    sched = P.schedule()
    ts = jnp.array([P.fourier(t) for (t, _, _, _) in sched])
    a = jnp.array([c[1] for c in sched], jnp.float32)
    s = jnp.array([c[2] for c in sched], jnp.float32)
    hh = jnp.array([c[3] for c in sched], jnp.float32)
    logw_k, means, chol, lognorm = (jnp.asarray(v) for v in P.gmm(d))

    def log_target(x):
        z = jnp.einsum("bkd,kde->bke", x[:, None, :] - means[None], chol)
        return jax.scipy.special.logsumexp(logw_k + lognorm - 0.5 * (z * z).sum(-1), axis=1)

    def log_prior(x):
        return -0.5 * (x * x).sum(1) / P.ETA**2 - 0.5 * d * jnp.log(2 * jnp.pi * P.ETA**2)

    def simulate(params, key, n):
        """Stored paths of n trajectories, no gradient: states [N+1, n, d], noise, controls, log w."""
        params = jax.lax.stop_gradient(params)
        k0, key = jax.random.split(key)
        x0 = P.ETA * jax.random.normal(k0, (n, d))

        def step(carry, inp):
            x, acc = carry
            tf, ak, sk, hk, kk = inp
            u = net_apply(params, x, tf)
            xi = jax.random.normal(kk, (n, d))
            acc = acc - hk * (u * xi).sum(1) - 0.5 * hk * hk * (u * u).sum(1)
            return (ak * x + sk * (hk * u + xi), acc), (x, xi, u)

        keys = jax.random.split(key, P.STEPS)
        (xn, acc), (xs, xis, us) = jax.lax.scan(step, (x0, jnp.zeros(n)), (ts, a, s, hh, keys))
        logw = acc - (log_prior(xn) - log_target(xn))
        states = jnp.concatenate([xs, xn[None]], 0)
        return states, xis, us, logw

    def lv_loss(params, states, xis, us, logw, tau):
        def step(acc, inp):
            x, xi, u, tf, hk = inp
            du = u - net_apply(params, x, tf)
            return acc + hk * (du * xi).sum(1) + 0.5 * hk * hk * (du * du).sum(1), None

        acc, _ = jax.lax.scan(step, jnp.zeros(states.shape[1]), (states[:-1], xis, us, ts, hh))
        return jnp.var(tau * jax.lax.stop_gradient(logw) + acc)

    def lv_loss_on_policy(params, key, n):
        """On-policy LV in one pass (as socbench's PathBatch::on_policy): simulate with the
        network differentiated, states stopped, and v = u with its gradient stopped."""
        k0, key = jax.random.split(key)
        x0 = P.ETA * jax.random.normal(k0, (n, d))

        def step(carry, inp):
            x, acc, lw = carry
            tf, ak, sk, hk, kk = inp
            u = net_apply(params, x, tf)
            v = jax.lax.stop_gradient(u)
            xi = jax.random.normal(kk, (n, d))
            du = v - u
            acc = acc + hk * (du * xi).sum(1) + 0.5 * hk * hk * (du * du).sum(1)
            lw = lw - hk * (v * xi).sum(1) - 0.5 * hk * hk * (v * v).sum(1)
            return (ak * x + sk * (hk * v + xi), acc, lw), None

        keys = jax.random.split(key, P.STEPS)
        zeros = jnp.zeros(n)
        (xn, acc, lw), _ = jax.lax.scan(step, (x0, zeros, zeros), (ts, a, s, hh, keys))
        logw = jax.lax.stop_gradient(lw - (log_prior(xn) - log_target(xn)))
        return jnp.var(logw + acc)

    def adam(params, grads, state, lr=5e-4, b1=0.9, b2=0.999, eps=1e-8):
        m, v, t = state
        t = t + 1
        m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, grads)
        v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, v, grads)
        c1, c2 = 1 - b1**t, 1 - b2**t
        params = jax.tree_util.tree_map(lambda p, m, v: p - lr * (m / c1) / (jnp.sqrt(v / c2) + eps), params, m, v)
        return params, (m, v, t)

    @jax.jit
    def lv_step(params, state, key):
        grads = jax.grad(lv_loss_on_policy)(params, key, P.BATCH)
        return adam(params, grads, state)

    @jax.jit
    def tr_inner_step(params, state, buffer, idx):
        states, xis, us, logw = (b[:, idx] if b.ndim == 3 else b[idx] for b in buffer)
        grads = jax.grad(lv_loss)(params, states, xis, us, logw, 1.0 / 1.5)
        return adam(params, grads, state)

    fwd = jax.jit(lambda params, x: net_apply(params, x, ts[25]))
    sim = jax.jit(simulate, static_argnums=2)
    return fwd, sim, lv_step, tr_inner_step


def timed(f, repeats):
    return P.median_time(f, repeats, jax.block_until_ready)


def main():
    args = P.args()
    d, k = args.d, args.k
    f1, f2 = P.init_params(d)
    params = ([(jnp.asarray(w), jnp.asarray(b)) for w, b in f1], [(jnp.asarray(w), jnp.asarray(b)) for w, b in f2])
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
    state = (zeros, zeros, 0)
    fwd, sim, lv_step, tr_inner_step = make(d)
    key = jax.random.PRNGKey(0)
    x = jax.random.normal(key, (P.BATCH, d))
    res = {}
    if "forward" in args.only:
        res[f"forward/b2000_d{d}"] = timed(lambda: fwd(params, x), args.repeats)
    if "simulate" in args.only:
        res[f"train/simulate_b2000_s50_d{d}"] = timed(lambda: sim(params, key, P.BATCH), args.repeats)
    if "lv" in args.only:
        res[f"train/lv_step_b2000_s50_d{d}"] = timed(lambda: lv_step(params, state, key), args.repeats)
    if "tr" in args.only:
        buffer = sim(params, key, 10000)
        idx = jax.random.choice(key, 10000, (P.BATCH,), replace=False)
        res[f"train/tr_lv_inner_step_mb2000_s50_d{d}"] = timed(lambda: tr_inner_step(params, state, buffer, idx), args.repeats)
        del buffer
    if "refresh" in args.only:
        res[f"trust_region/buffer_refresh_k{k}_s50_d{d}"] = timed(lambda: sim(params, key, k), max(1, args.repeats // 2))
    P.report("jax", jax.__version__, os.cpu_count(), res)


if __name__ == "__main__":
    main()
