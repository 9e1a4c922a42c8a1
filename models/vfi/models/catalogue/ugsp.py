"""UGSP (Cheng et al., ACM MM 2023): uncertainty-guided spatially pruned IFRNet-like decoders (no weights yet)."""

from vfi.models.registry import Variant, register_family, register_variant

#: Hyper-parameters of the reference model (official code, UGSP/model/IFNet.py): encoder widths per
#: pyramid level (fine to coarse), decoder depths, and the density target S_t its training loss
#: pulls the masks' mean towards (0.35). Masks are selected by top-k at S_t ("topk", honoured for
#: any input) rather than the reference's sigmoid > 0.5 rule ("threshold"), which only reaches its
#: trained density with trained weights.
UGSP_PAPER = {
    "widths": [32, 48, 72, 96],
    "decoder_depth": 5,
    "finest_depth": 4,
    "density": 0.35,
    "mask_mode": "topk",
    "uen_width": 16,
    "uen_depth": 2,
    "timestep_mode": "scalar",
}

#: Published figures (research review / paper): Vimeo90K 35.62 dB PSNR; 0.016 T "FLOPs", which the
#: official evaluation script computes as multiply-accumulates at Vimeo90K's 448x256, averaged over
#: the test set with the measured per-level mask densities (effective, not dense); 0.46 s on CPU.
PUBLISHED = {"vimeo90k_psnr": 35.62, "effective_macs_448x256": 0.016e12, "cpu_seconds": 0.46}

register_family("ugsp", "vfi.models.ugsp:UGSP")

register_variant(
    Variant(
        name="ugsp",
        family="ugsp",
        hparams=dict(UGSP_PAPER),
        description="UGSP (IFRNet-like, uncertainty-guided sparse decoders, S_t=0.35 top-k), any t, no weights",
    )
)
