import os

from hypothesis import settings

# CI runs on 2 shared cores: property tests get a fixed, modest budget and no
# deadline. HYPOTHESIS_EXAMPLES=500 digs deeper on a developer's machine.
_n = int(os.environ.get("HYPOTHESIS_EXAMPLES", "40"))
settings.register_profile("ci", max_examples=_n, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=_n, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
