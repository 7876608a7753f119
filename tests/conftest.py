import os

import pytest
from hypothesis import settings

# CI runs on 2 shared cores: property tests get a fixed, modest budget and no
# deadline. HYPOTHESIS_EXAMPLES=500 digs deeper on a developer's machine.
_n = int(os.environ.get("HYPOTHESIS_EXAMPLES", "40"))
settings.register_profile("ci", max_examples=_n, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=_n, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def amd_headers(tmp_path_factory):
    """A folder of AMD's ap_int.h/hls_stream.h for the real-header C-simulation tests.

    `$TRITIUM_HLS_INCLUDE` if set (e.g. a Vitis installation's include/), else
    Xilinx's open-source headers fetched from PyPI (the hls4ml 1.3.0 wheel,
    `tritium.sim.hls_headers.fetch_ap_types`) into this session's temporary
    cache. Without network to PyPI these tests fail with the reason and the
    way around it; they never skip, so a CI run cannot pass without them.
    """
    from tritium.sim.hls_headers import fetch_ap_types, vendor_headers
    given = os.environ.get("TRITIUM_HLS_INCLUDE")
    folder = given or fetch_ap_types(tmp_path_factory.getbasetemp() / "hls-headers" / "ap_types")
    return vendor_headers(folder).dir
