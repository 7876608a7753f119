"""Talking to a compiled design on a board: the UART framing (`framing`), what a
design's frames carry (`link`), the host side of `tritium run` (`host`) and a
software model of the board wrapper that `tritium run` is tested against
(`model`). docs/architecture.md, "Board wrapper".

The framing lives here, not in `tritium.sim`, because the host command needs it
without the simulation extra; the cocotb testbench imports it from here.
"""
