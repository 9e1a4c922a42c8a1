"""A model made of several graphs (a diffusion model's encoder, denoiser and decoder), as exporters
and runtimes trace it: the parts with a float32 boundary, and example inputs for each.

The model provides ``bundle_parts()`` (role -> torch module) and ``bundle_io()`` (role -> (input
names, output names)); the roles and their order are its family's ``GraphSpec.parts``, the tensor
names the parts share are `vfi.core.diffusion`'s (``x``, ``timestep``, ``eps``, ``z``, ``frame``,
the encoder's ``z0``, ``z1`` and features). `vfi.export.bundle` and the runtime's on-the-fly
graphs (`vfi.runtime.backends.graph_cache`) both use this module, so they trace the same thing.
"""

from __future__ import annotations


def float_boundary(part):
    """`part` wrapped so that its outputs are float32 at every precision (the exchange type)."""
    import torch

    class FloatBoundary(torch.nn.Module):
        """A part with float32 outputs at every precision."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *args):
            out = self.inner(*args)
            if isinstance(out, (tuple, list)):
                return tuple(o.float() for o in out)
            return out.float()

    return FloatBoundary(part)


def part_inputs(module, height: int, width: int, batch: int, seed: int = 0) -> dict[str, tuple]:
    """Example inputs of every part (torch tensors, in each part's input order), made by running
    the torch parts on rendered frames: the encoder on two frames of a synthetic scene, the
    denoiser on a seeded noisy latent at the middle of the schedule, the decoder on the encoder's
    latent of the first frame (a latent on the codebook, as a sampled one is once re-quantised)."""
    import torch

    from vfi.core.diffusion import LATENT_IN, SAMPLE_IN, TIMESTEP_IN
    from vfi.models.registry import graph_spec

    spec = graph_spec(module.card)
    frames = spec.rendered_inputs(batch, height, width)
    parts, io = module.bundle_parts(), module.bundle_io()
    pool = {name: torch.from_numpy(frames[name]) for name in ("img0", "img1")}
    with torch.inference_mode():
        encoder_out = parts["encoder"](*(pool[n] for n in io["encoder"][0]))
    pool.update(zip(io["encoder"][1], encoder_out))
    generator = torch.Generator().manual_seed(seed)
    pool[LATENT_IN] = torch.randn(pool["z0"].shape, generator=generator)
    pool[TIMESTEP_IN] = torch.full([batch], float(module.schedule.timesteps // 2))
    pool[SAMPLE_IN] = pool["z0"].clone()
    return {role: tuple(pool[name].clone() for name in io[role][0]) for role in parts}
