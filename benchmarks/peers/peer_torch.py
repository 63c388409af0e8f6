"""socbench's training kernels in PyTorch (CPU, float32, eager mode as in the sde_sampler and
SOC-matching codebases; threads = cores). Prints one JSON object: {"peer", "version", "threads",
"kernels": {criterion id: seconds}}. Kernel ids and sizes are those of
`methods/benches/kernels.rs`; see problem.py for the maths.

usage: python peer_torch.py [--d 50] [--k 50000] [--repeats 3] [--device cpu|cuda] [--only forward,simulate,lv,tr,refresh]
"""
import os

import torch

import problem as P


class Net(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        f1, f2 = P.init_params(d)

        def linear(w, b):
            lin = torch.nn.Linear(*w.shape)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w.T.copy()))
                lin.bias.copy_(torch.from_numpy(b))
            return lin

        self.f1 = torch.nn.ModuleList([linear(w, b) for w, b in f1])
        self.f2 = torch.nn.ModuleList([linear(w, b) for w, b in f2])
        self.act = torch.nn.GELU()  # exact (erf), as in socbench

    def forward(self, x, t_feat):
        h = torch.cat([x, t_feat.expand(x.shape[0], -1)], 1)
        for i, lin in enumerate(self.f1):
            h = lin(h)
            if i + 1 < len(self.f1):
                h = self.act(h)
        g = t_feat[None]
        for i, lin in enumerate(self.f2):
            g = lin(g)
            if i + 1 < len(self.f2):
                g = self.act(g)
        return h + g * x / P.ETA**2


class Problem:
    def __init__(self, d):
        self.d = d
        self.sched = P.schedule()
        dev = torch.get_default_device()
        self.tf = [torch.from_numpy(P.fourier(t)).to(dev) for (t, _, _, _) in self.sched]
        logw, means, chol, lognorm = (torch.from_numpy(v).to(dev) for v in P.gmm(d))
        self.logw, self.means, self.chol, self.lognorm = logw, means, chol, lognorm

    def log_target(self, x):
        z = torch.einsum("bkd,kde->bke", x[:, None, :] - self.means[None], self.chol)
        return torch.logsumexp(self.logw + self.lognorm - 0.5 * (z * z).sum(-1), 1)

    def log_prior(self, x):
        return -0.5 * (x * x).sum(1) / P.ETA**2 - 0.5 * self.d * torch.log(torch.tensor(2 * torch.pi * P.ETA**2))

    @torch.no_grad()
    def simulate(self, net, n, gen):
        x = P.ETA * torch.randn(n, self.d, generator=gen)
        acc = torch.zeros(n)
        states, noise, controls = [x], [], []
        for k, (_, a, s, h) in enumerate(self.sched):
            u = net(x, self.tf[k])
            xi = torch.randn(n, self.d, generator=gen)
            acc -= h * (u * xi).sum(1) + 0.5 * h * h * (u * u).sum(1)
            x = a * x + s * (h * u + xi)
            states.append(x)
            noise.append(xi)
            controls.append(u)
        logw = acc - (self.log_prior(x) - self.log_target(x))
        return states, noise, controls, logw

    def lv_loss_on_policy(self, net, n, gen):
        """On-policy LV in one pass (as socbench's PathBatch::on_policy): simulate with the
        network's graph kept, states detached, and take v = u detached."""
        x = P.ETA * torch.randn(n, self.d, generator=gen)
        acc, lw = torch.zeros(n), torch.zeros(n)
        for k, (_, a, s, h) in enumerate(self.sched):
            u = net(x, self.tf[k])
            v = u.detach()
            xi = torch.randn(n, self.d, generator=gen)
            du = v - u
            acc = acc + h * (du * xi).sum(1) + 0.5 * h * h * (du * du).sum(1)
            lw -= h * (v * xi).sum(1) + 0.5 * h * h * (v * v).sum(1)
            x = a * x + s * (h * v + xi)
        with torch.no_grad():
            logw = lw - (self.log_prior(x) - self.log_target(x))
        return torch.var(logw + acc, unbiased=False)

    def lv_loss(self, net, states, noise, controls, logw, tau):
        acc = torch.zeros(logw.shape[0])
        for k, (_, _, _, h) in enumerate(self.sched):
            du = controls[k] - net(states[k], self.tf[k])
            acc = acc + h * (du * noise[k]).sum(1) + 0.5 * h * h * (du * du).sum(1)
        return torch.var(tau * logw + acc, unbiased=False)


def main():
    args = P.args()
    torch.set_num_threads(os.cpu_count())
    torch.set_default_device(args.device)
    # On a GPU, time until the queued kernels have finished.
    sync = (lambda r: (torch.cuda.synchronize(), r)[1]) if args.device.startswith("cuda") else (lambda r: r)
    d, k = args.d, args.k
    prob = Problem(d)
    net = Net(d)
    opt = torch.optim.Adam(net.parameters(), lr=5e-4)
    gen = torch.Generator(device=args.device).manual_seed(0)

    def lv_step():
        opt.zero_grad()
        prob.lv_loss_on_policy(net, P.BATCH, gen).backward()
        opt.step()

    buffer = None

    def tr_inner_step():
        idx = torch.randperm(buffer[3].shape[0], generator=gen)[: P.BATCH]
        states, noise, controls, logw = buffer
        mb = ([s[idx] for s in states], [s[idx] for s in noise], [s[idx] for s in controls], logw[idx])
        opt.zero_grad()
        prob.lv_loss(net, *mb, 1.0 / 1.5).backward()
        opt.step()

    x = torch.randn(P.BATCH, d, generator=gen)
    res = {}
    if "forward" in args.only:
        with torch.no_grad():
            res[f"forward/b2000_d{d}"] = P.median_time(lambda: net(x, prob.tf[25]), args.repeats, sync)
    if "simulate" in args.only:
        res[f"train/simulate_b2000_s50_d{d}"] = P.median_time(lambda: prob.simulate(net, P.BATCH, gen), args.repeats, sync)
    if "lv" in args.only:
        res[f"train/lv_step_b2000_s50_d{d}"] = P.median_time(lv_step, args.repeats, sync)
    if "tr" in args.only:
        buffer = prob.simulate(net, 10000, gen)
        res[f"train/tr_lv_inner_step_mb2000_s50_d{d}"] = P.median_time(tr_inner_step, args.repeats, sync)
        buffer = None
    if "refresh" in args.only:
        res[f"trust_region/buffer_refresh_k{k}_s50_d{d}"] = P.median_time(lambda: prob.simulate(net, k, gen), max(1, args.repeats // 2), sync)
    name = "pytorch" if args.device == "cpu" else f"pytorch ({torch.cuda.get_device_name()})"
    P.report(name, torch.__version__, torch.get_num_threads(), res)


if __name__ == "__main__":
    main()
