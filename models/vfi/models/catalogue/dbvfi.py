"""DBVFI (Yu et al., ECCV 2022, reference code Oceanlib/DBVI): the 2x and 8x models (no weights here).

Both take four frames (I_-1, I_0, I_1, I_2; card ``context`` 2) and differ only in the number of
refinement steps and their loss weights (the reference's DBVI_2x and DBVI_8x configurations).
"""

from vfi.models.registry import Variant, register_family, register_variant

#: The reference configurations: steps K and the per-step weights of the training loss.
DBVFI_2X = {"steps": 6, "alphas": [1.0] * 6}
DBVFI_8X = {"steps": 4, "alphas": [0.2, 0.4, 1.0, 1.0]}

#: Parameter counts of our modules, equal to the reference code's (its subNet counts 3,796,512;
#: RAFT 5,257,536). The paper gives no parameter figure that could be found here.
PARAMS = {
    "dbvfi": {"per_step": 3_796_512, "raft": 5_257_536, "total": 28_036_608},
    "dbvfi-8x": {"per_step": 3_796_512, "raft": 5_257_536, "total": 20_443_584},
}

register_family("dbvfi", "vfi.models.dbvfi:DBVFI")

register_variant(
    Variant(
        name="dbvfi",
        family="dbvfi",
        hparams=dict(DBVFI_2X),
        description=(
            "DBVFI 2x (4 frames; frozen RAFT + quadratic motion, 6 unshared refinement steps), any t, "
            "28.0M params (22.8M steps + 5.3M RAFT); no pretrained weights obtainable here"
        ),
    )
)
register_variant(
    Variant(
        name="dbvfi-8x",
        family="dbvfi",
        hparams=dict(DBVFI_8X),
        description=(
            "DBVFI 8x (4 frames; frozen RAFT + quadratic motion, 4 unshared refinement steps), run at t = j/8, "
            "20.4M params (15.2M steps + 5.3M RAFT); no pretrained weights obtainable here"
        ),
    )
)
