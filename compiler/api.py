"""The Python API: the whole flow as functions, the CLI's only engine.

    import tritium
    model = tritium.load("zoo:cnn-digits")
    design = tritium.compile(model, board="pynq-z2", backend="all", outdir="out/d")
    design.report.network.fps
    r = design.simulate("csim", dataset="digits")        # .accuracy .mismatches .n .outputs
    small = tritium.compress(model, dataset="digits", board="pynq-z2", target_compression=32)
    tritium.compare([design.report, tritium.compile(small, board="pynq-z2").report])

Every `tritium` command is argument parsing and printing around one of these
functions, so a notebook and the command line produce the same bytes. Only
numpy, onnx, jinja2, pyyaml and rich are imported eagerly; torch (a
`torch.nn.Module`, `compress`) and the simulators are imported when used.
User mistakes raise `tritium.errors` exceptions whose message names the fix.
See docs/api.md.
"""
from __future__ import annotations

import contextlib
import json
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, ContextManager, Mapping, Sequence

import numpy as np

from . import schema
from .errors import ModelError, OptionError
from .ir.graph import Graph
from .report.typed import Report, read_json

BACKENDS = ("hls", "rtl")
LEVELS = ("golden", "csim", "rtl")
BACKEND_DIR = {"csim": "hls", "rtl": "rtl"}
DEFAULT_VECTORS = 32
VECTOR_SEED = 0
CALIBRATION_INPUTS = 256

# `step(message)` is a context manager around a long step: the CLI passes a spinner.
Step = Callable[[str], ContextManager]


def _quiet_step(_message: str) -> ContextManager:
    return contextlib.nullcontext()


# --------------------------------------------------------------------------- load

@dataclass(frozen=True, eq=False)
class Model:
    """A model ready to compile.

    `name` is what it was loaded from (a spec such as `zoo:cnn-digits`, a path,
    or a module's class name); `imported` the FLOAT graph as imported,
    `float_graph` the prepared FLOAT graph (BatchNorm folded, weights and
    activation quantizers placed: the L0 view a compile saves), `graph` its
    INTEGER lowering (what the golden model runs and the backends build).
    `compression` is the summary when `tritium.compress` made the model.
    """
    name: str
    imported: Graph
    float_graph: Graph
    graph: Graph
    compression: dict | None = None

    def simulate(self, dataset="digits", *, limit: int | None = None, progress=None) -> "SimResult":
        """The golden model (L1) on `dataset`, the float fake-quant model (L0) beside it."""
        return simulate(self, "golden", dataset=dataset, limit=limit, progress=progress)


def _is_torch_module(obj) -> bool:
    torch = sys.modules.get("torch")   # a torch.nn.Module exists only if torch was imported
    return torch is not None and isinstance(obj, torch.nn.Module)


def load(source, *, input_shape=None, weights: str | None = None, calibrate=None,
         act_bits: int = 8, name: str | None = None) -> Model:
    """Import and lower a model.

    `source`: `zoo:NAME[:key=value,...]`, an .onnx (float or QONNX) path, a
    compile OUTDIR (the model it saved), a `torch.nn.Module` (give
    `input_shape=(C, H, W)` or `(K,)`), a FLOAT-stage `Graph`, or a `Model`.
    `weights`: 'twn' or 'int8' quantizes float weights post-training;
    `calibrate`: a dataset ('digits', an .npz path) or an array of inputs
    (channels first) that places the activation quantizers a float model
    lacks, `act_bits` wide.
    """
    if isinstance(source, Model) and weights is None and calibrate is None:
        return source
    if not 2 <= act_bits <= 16:
        raise OptionError(f"--act-bits must be within 2..16, got {act_bits}")
    label, g = _import(source, input_shape, name)
    calib = _calibration(calibrate, g.input.shape)
    from .passes import lower_integer, prepare, run_passes
    prepared = prepare(g, calib=calib, weights=weights, act_bits=act_bits)
    return Model(label, g, prepared, run_passes(prepared, [("lower_integer", lower_integer)]))


def _import(source, input_shape, name) -> tuple[str, Graph]:
    if isinstance(source, Model):
        return name or source.name, source.imported
    if isinstance(source, Graph):
        from .ir.ops import Stage
        if source.stage is not Stage.FLOAT:
            raise OptionError(f"graph '{source.name}' is already lowered; pass its FLOAT-stage graph "
                              "(as imported) to tritium.load")
        return name or source.name, source
    if _is_torch_module(source):
        if input_shape is None:
            raise OptionError("a torch.nn.Module needs input_shape=(C, H, W) or (K,), batch excluded")
        from .frontend.torch_import import import_torch
        label = name or type(source).__name__
        return label, import_torch(source, input_shape, label)
    if not isinstance(source, (str, Path)):
        raise OptionError(f"cannot load a {type(source).__name__}: pass zoo:NAME, an .onnx path, a "
                          "compile OUTDIR, or a torch.nn.Module with input_shape=")
    from .frontend import load_model
    if Path(source).is_dir() and (Path(source) / "compile.json").is_file():
        _compile_meta(Path(source))             # refuse an OUTDIR of a newer tritium first
    return name or str(source), load_model(str(source), input_shape=input_shape)


def _calibration(calibrate, shape: tuple[int, ...]):
    """Calibration inputs in the graph's layout: images for a model whose input became a
    vector (a one-channel input flattened first, `passes.flatten_input`) are flattened."""
    if calibrate is None:
        return None
    from .data import channels_last, fit_input, load_dataset
    x = load_dataset(calibrate).x if isinstance(calibrate, (str, Path)) else np.asarray(calibrate)
    name = str(calibrate) if isinstance(calibrate, (str, Path)) else "calibration"
    return channels_last(fit_input(x[:CALIBRATION_INPUTS], shape, name))


# --------------------------------------------------------------------------- compile

@dataclass(frozen=True, eq=False)
class Design:
    """A compiled design: the schedule, the typed report and the files.

    `plan` maps each output file (relative path) to its bytes; `outdir` is
    where they were written (None: in memory only). `backends` names the
    generated projects ('hls', 'rtl'). A design opened from an OUTDIR
    (`open_design`) has an empty plan and reads its files from `outdir`.
    """
    model: Model
    board: object                 # tritium.board.Board, or None for an OUTDIR of an unknown board
    schedule: object              # tritium.schedule.NetworkSchedule
    report: Report
    plan: Mapping[str, bytes]
    backends: tuple[str, ...]
    outdir: Path | None = None

    def simulate(self, level: str = "csim", dataset="digits", *, limit: int | None = None,
                 jobs: int = 1, gaps: bool = True, hls_include=None, progress=None,
                 step: Step | None = None) -> "SimResult":
        """Run a verification level of this design on `dataset`: 'golden', 'csim'
        (needs backend 'hls') or 'rtl' (needs 'rtl'); see `tritium.simulate`."""
        return simulate(self, level, dataset=dataset, limit=limit, jobs=jobs, gaps=gaps,
                        hls_include=hls_include, progress=progress, step=step)

    def write(self, outdir) -> "Design":
        """Write the plan under `outdir` (atomically; missing parent folders are
        created) and return the design that points there."""
        from .codegen.plan import write_plan
        if not self.plan:
            raise OptionError(f"this design was opened from '{self.outdir}' and holds no files to write")
        Path(outdir).resolve().parent.mkdir(parents=True, exist_ok=True)
        replace_dirs = self.backends + (("vectors",) if self.backends else ())
        write_plan(dict(self.plan), outdir, replace_dirs=replace_dirs)
        return replace(self, outdir=Path(outdir))

    def files(self, backend: str) -> "Mapping[str, bytes] | Path":
        """What the simulators read for `backend`: OUTDIR/<backend>, or the in-memory plan."""
        if backend not in self.backends:
            raise OptionError(f"this design has no {backend}/ project; compile it with "
                              f"backend='{backend}' (or 'all')")
        return self.outdir / backend if self.outdir is not None else dict(self.plan)


def backends_of(backend) -> tuple[str, ...]:
    """None | 'hls' | 'rtl' | 'all' | a sequence of them -> the sorted backends."""
    items = [] if backend is None else [backend] if isinstance(backend, str) else list(backend)
    out = set()
    for b in items:
        if b not in BACKENDS + ("all",):
            raise OptionError(f"unknown backend '{b}'; use hls, rtl or all")
        out.update(BACKENDS if b == "all" else (b,))
    return tuple(sorted(out))


def compile(model, board, *, backend=None, outdir=None, pe: int | None = None,
            simd: int | None = None, target_fps: float | None = None, granularity: str = "pe",
            vectors: int = DEFAULT_VECTORS, input_shape=None, weights: str | None = None,
            calibrate=None, act_bits: int = 8, step: Step | None = None) -> Design:
    """Schedule `model` on `board`'s PE array, report, and generate the backends.

    `model`: anything `tritium.load` takes (a torch.nn.Module with
    `input_shape=`); `input_shape`, `weights`, `calibrate` and `act_bits` are
    passed to `load` (a float model needs `weights=` and `calibrate=`). `board`: a name (`tritium boards`), a board YAML path or a
    `Board`. `backend`: None (schedule and reports only), 'hls', 'rtl' or
    'all'. `pe`: PEs per layer (default: the folding search chooses); `simd`:
    lanes (default: the board's); `target_fps`: least resources reaching it;
    `granularity`: 'pe' or 'tile'; `vectors`: random golden vectors for the
    generated testbenches. `outdir`: where the files go (written atomically,
    byte-identical for the same inputs); None keeps them in memory, and
    `Design.simulate` runs from memory all the same.
    """
    from .board import Board, load_board
    from .schedule import parse_granularity, schedule_network
    step = step or _quiet_step
    if vectors < 1:
        raise OptionError(f"--vectors must be at least 1, got {vectors}")
    backends = backends_of(backend)
    b = board if isinstance(board, Board) else load_board(board)
    if not isinstance(model, Model) or weights is not None or calibrate is not None:
        label = model if isinstance(model, (str, Path)) else type(model).__name__
        with step(f"importing and lowering {label}"):
            model = load(model, input_shape=input_shape, weights=weights, calibrate=calibrate,
                         act_bits=act_bits)
    with step(f"scheduling {len(model.graph.macs())} layers on {b.name}"):
        net = schedule_network(model.graph, b, pe=pe, simd=simd, target_fps=target_fps,
                               granularity=parse_granularity(granularity))
    options = {"model": model.name, "board": board if isinstance(board, str) else b.name, "pe": pe,
               "simd": net.simd, "target_fps": target_fps, "granularity": granularity}
    plan, report = _report_files(net, b, model.graph, options)
    if backends:  # the design levels of `simulate` reload the exact model from OUTDIR
        from .frontend import COMPILED_MODEL
        from .frontend.qonnx_export import qonnx_bytes
        plan[COMPILED_MODEL] = qonnx_bytes(model.float_graph)
    plan["compile.json"] = _dumps(schema.stamp("compile", {
        "tritium": _version(), "model": model.name, "fingerprint": model.graph.fingerprint(),
        "board": b.name, "part": b.part, "clock_mhz": b.clock_mhz, "backends": list(backends),
        "board_profile": b.to_json(),
        **{k: v for k, v in options.items() if k not in ("model", "board")}}), indent=2)
    with step("generating " + (", ".join(backends) or "reports")):
        plan.update(_generate(backends, model.graph, net, b, vectors))
    plan = {k: v.encode() if isinstance(v, str) else v for k, v in sorted(plan.items())}
    design = Design(model, b, net, Report.from_json(report), plan, backends)
    return design.write(outdir) if outdir is not None else design


def _version() -> str:
    from . import __version__
    return __version__


def _dumps(doc: dict, indent: int = 1) -> bytes:
    return (json.dumps(doc, indent=indent, sort_keys=True) + "\n").encode()


def _report_files(net, board, graph, options) -> tuple[dict[str, bytes], dict]:
    """schedule.json, report.json, report.html, and the report dict."""
    from .report.data import build_report, dumps
    from .report.html import render_report
    report = build_report(net, board, graph, options)
    return {"schedule.json": _dumps(net.to_json()), "report.json": dumps(report).encode(),
            "report.html": render_report(report).encode()}, report


def _generate(backends, graph, net, board, n_vectors: int) -> dict:
    """The backends' plans plus the golden vectors their testbenches read."""
    if not backends:
        return {}
    from .sim.vectors import make_vectors
    vectors = make_vectors(graph, random_inputs(graph, n_vectors, VECTOR_SEED))
    plan: dict = dict(vectors.files())
    if "hls" in backends:
        from .codegen.hls import generate_hls
        plan.update(generate_hls(graph, net, part=board.part, clock_mhz=board.clock_mhz, vectors=vectors))
    if "rtl" in backends:
        from .codegen.board import generate_board, has_wrapper
        from .codegen.rtl import generate_rtl
        rtl = generate_rtl(graph, net, vectors=vectors)
        plan.update(rtl)
        if has_wrapper(board):    # an ECP5 board with known pins: the UART wrapper and board top
            plan.update(generate_board(rtl, graph, board))
    return plan


def random_inputs(graph: Graph, n: int, seed: int = VECTOR_SEED) -> np.ndarray:
    """Inputs (channels-last, model units) whose quantized codes are uniform over
    the input type: every code path of the first layer gets exercised."""
    inp = graph.input
    q, a = inp.qtype, inp.attrs
    codes = np.random.default_rng(seed).integers(q.lo, q.hi + 1, (n,) + inp.shape)
    return (codes * q.scale - a.pre_add) / a.pre_mul


def _compile_meta(outdir: Path) -> dict:
    """OUTDIR/compile.json, schema-checked."""
    meta = read_json(outdir / "compile.json", "compile.json")
    if isinstance(meta, dict) and "tritium" in meta:
        meta.setdefault("schema_version", 1)    # written before compile.json was versioned
    return schema.check("compile", meta, str(outdir / "compile.json"))


def open_design(outdir) -> Design:
    """The design a `tritium compile -o OUTDIR` (or `compile(..., outdir=)`) wrote."""
    from .board import compiled_board
    from .errors import BoardError
    from .schedule import NetworkSchedule
    d = Path(outdir)
    if not (d / "compile.json").is_file():
        raise OptionError(f"'{d}' is not a compile OUTDIR (no compile.json); make one with "
                          "`tritium compile MODEL --board B -o OUTDIR`")
    meta = _compile_meta(d)
    report = Report.from_json(d / "report.json")
    sched = read_json(d / "schedule.json", "schedule.json")
    schema.check("schedule", sched, str(d / "schedule.json"))
    backends = tuple(meta.get("backends", ()))
    model = load(d) if backends else None
    if model is not None and meta.get("fingerprint") != model.graph.fingerprint():
        raise ModelError(f"'{d}' was compiled from a different model or tritium version "
                         "than the one saved in it; compile it again")
    try:
        board = compiled_board(meta)
    except BoardError:
        board = None
    return Design(model, board, NetworkSchedule.from_json(sched), report, {}, backends, d)


# --------------------------------------------------------------------------- simulate

# simulate --json keys per level, in addition to level, model, dataset, n, accuracy, mismatches
LEVEL_FIELDS = {
    "golden": ("float_accuracy", "float_agreement"),
    "csim": ("golden_accuracy", "mismatched_vectors", "first_mismatch", "build_seconds",
             "run_seconds", "jobs", "hls_include", "ap_axi_sdata"),
    "rtl": ("golden_accuracy", "first_mismatch", "tlast_errors", "cycles_per_frame",
            "model_cycles_per_frame", "schedule_cycles_per_frame", "gaps", "sim_seconds"),
}


@dataclass(frozen=True, eq=False)
class SimResult:
    """One verification level on one dataset.

    `accuracy` (0..1) is the argmax against the labels; `mismatches` the output
    values that differ from the golden model (0 by definition at 'golden';
    at 'rtl' TLAST errors count too); `outputs` the integer outputs, one row per
    input; `clamped_inputs` the inputs with a value outside the input quantizer's
    range, which it clamps. Level fields: golden: `float_accuracy`, `float_agreement` (argmax
    agreement with the float fake-quant model); csim and rtl:
    `golden_accuracy`, `first_mismatch`; csim: `mismatched_vectors`,
    `build_seconds`, `run_seconds`, `jobs`, `hls_include` (the folder of AMD's
    headers it was built against; None: Tritium's stand-in types),
    `ap_axi_sdata` (whose ap_axi_sdata.h that build used: 'DIR' or
    'tritium model'; None with the stand-in); rtl: `tlast_errors`,
    `cycles_per_frame` (measured), `model_cycles_per_frame`,
    `schedule_cycles_per_frame`, `gaps`, `sim_seconds`.
    """
    level: str
    model: str
    dataset: str
    n: int
    accuracy: float
    mismatches: int
    outputs: np.ndarray
    clamped_inputs: int = 0
    float_accuracy: float | None = None
    float_agreement: float | None = None
    golden_accuracy: float | None = None
    mismatched_vectors: int | None = None
    first_mismatch: str | None = None
    build_seconds: float | None = None
    run_seconds: float | None = None
    jobs: int | None = None
    hls_include: str | None = None
    ap_axi_sdata: str | None = None
    tlast_errors: int | None = None
    cycles_per_frame: float | None = None
    model_cycles_per_frame: int | None = None
    schedule_cycles_per_frame: int | None = None
    gaps: bool | None = None
    sim_seconds: float | None = None

    @property
    def ok(self) -> bool:
        """True when every output equals the golden model's."""
        return self.mismatches == 0

    def to_json(self) -> dict:
        """The `tritium simulate --json` document (outputs excluded)."""
        keys = ("level", "model", "dataset", "n", "accuracy", "mismatches", "clamped_inputs") \
            + LEVEL_FIELDS[self.level]
        return schema.stamp("simulate", {k: getattr(self, k) for k in keys})


def simulate(target, level: str = "golden", *, dataset="digits", limit: int | None = None,
             jobs: int = 1, gaps: bool = True, hls_include=None, progress=None,
             step: Step | None = None) -> SimResult:
    """Run a verification level (DESIGN §5) of `target` on `dataset`.

    `target`: a `Model` (or anything `load` takes) for 'golden'; a `Design`
    (or a compile OUTDIR) for any level. `dataset`: 'digits' (the fixed 360
    test images), an .npz path with `x` (channels first) and `y`, or a
    `tritium.data.Dataset`; `limit`: the first N inputs. 'csim' runs the
    generated C++ (g++) in `jobs` processes (0: one per CPU); 'rtl' the
    SystemVerilog (Verilator), with random input gaps and output
    backpressure unless `gaps=False`. `hls_include` (csim only): a folder
    holding AMD's ap_int.h and hls_stream.h; the C-simulation is then built
    against those instead of Tritium's stand-in types (`tritium.sim.hls_headers`).
    `progress(n, what)` and `step(msg)` are
    the CLI's progress bar and spinner (optional).
    """
    from .data import Dataset, channels_last, fit_input, load_dataset
    step = step or _quiet_step
    if level not in LEVELS:
        raise OptionError(f"unknown level '{level}'; use one of {', '.join(LEVELS)}")
    if jobs < 0:
        raise OptionError(f"--jobs must be 0 (one per CPU) or a number of processes, got {jobs}")
    if jobs != 1 and level != "csim":
        raise OptionError("--jobs applies to --level csim only")
    headers = _hls_headers(hls_include, level)
    design = _design_for(target, level)
    model = design.model if design is not None else (target if isinstance(target, Model) else load(target))
    if model is None:
        raise ModelError(f"'{design.outdir}' was compiled without a backend, so it holds no model; "
                         "simulate the original model, or compile again with a backend")
    data = (dataset if isinstance(dataset, Dataset) else load_dataset(dataset)).limit(limit)
    x = channels_last(fit_input(data.x, model.graph.input.shape, data.name))
    label = str(target) if isinstance(target, (str, Path)) else model.name
    base = {"level": level, "model": label, "dataset": data.name, "n": int(len(x)),
            "clamped_inputs": clamped_inputs(model.graph, x)}
    if level == "golden":
        return _golden(model, x, data.y, base, progress)
    return _design_level(design, level, model.graph, x, data.y, base, jobs, gaps, headers, step)


def _hls_headers(hls_include, level: str):
    """The checked vendor headers of `hls_include` (None: the stand-in types)."""
    if hls_include is None:
        return None
    if level != "csim":
        raise OptionError("--hls-include applies to --level csim only")
    from .sim.hls_headers import vendor_headers
    return vendor_headers(hls_include)


def clamped_inputs(g, x: np.ndarray) -> int:
    """How many inputs hold a value that the input quantizer clamps to its range."""
    inp = g.input
    q, a = inp.qtype, inp.attrs
    v = (np.asarray(x, np.float64) * a.pre_mul + a.pre_add).reshape(len(x), -1) / q.scale
    return int(np.sum(np.any((v < q.lo - 0.5) | (v >= q.hi + 0.5), axis=1)))


def _design_for(target, level: str) -> Design | None:
    if isinstance(target, Design):
        return target
    if level == "golden":
        return None
    if isinstance(target, (str, Path)) and Path(target).is_dir():
        return open_design(target)
    raise OptionError(f"level {level} simulates a compiled design: pass a Design (tritium.compile("
                      f"model, board=..., backend='{BACKEND_DIR[level]}')) or a compile OUTDIR")


def _argmax(out: np.ndarray) -> np.ndarray:
    return out.reshape(len(out), -1).argmax(1)


def _accuracy(pred: np.ndarray, y: np.ndarray) -> float:
    return float((pred == y).mean()) if len(pred) else 0.0


def _golden(model: Model, x, y, base: dict, progress) -> SimResult:
    from .ir.interp import run_float, run_golden
    bar = progress or (lambda n, what: contextlib.nullcontext(lambda k=1: None))
    with bar(len(x), "golden model") as advance:
        out = run_golden(model.graph, x, progress=advance)
    ref = _argmax(run_float(model.float_graph, x))
    return SimResult(**base, accuracy=_accuracy(_argmax(out), y), mismatches=0, outputs=out,
                     float_accuracy=_accuracy(ref, y), float_agreement=float((ref == _argmax(out)).mean()))


def _design_level(design: Design, level: str, graph, x, y, base, jobs, gaps, headers, step) -> SimResult:
    from .sim.vectors import make_vectors
    files = design.files(BACKEND_DIR[level])
    with step(f"golden model on {len(x)} inputs"):
        vectors = make_vectors(graph, x)
    golden = _accuracy(_argmax(vectors.y), y)
    if level == "csim":
        from .sim.csim import jobs_count, run_csim
        types = "Tritium's stand-in types" if headers is None else f"AMD's headers in {headers.dir}"
        with step(f"C-simulation: building with g++ against {types} (cached by content) "
                  "and running every vector"):
            r = run_csim(files, vectors, graph=graph, jobs=jobs, hls_include=headers)
        return SimResult(**base, accuracy=_accuracy(_argmax(r.outputs), y), mismatches=int(r.mismatches),
                         outputs=r.outputs, golden_accuracy=golden,
                         mismatched_vectors=int(r.mismatched_vectors),
                         first_mismatch=str(r.first_mismatch) if r.first_mismatch else None,
                         build_seconds=round(r.build_seconds, 3), run_seconds=round(r.run_seconds, 3),
                         jobs=jobs_count(jobs), hls_include=None if headers is None else str(headers.dir),
                         ap_axi_sdata=None if headers is None else headers.axi_sdata)
    from .sim.rtl import run_rtl
    with step("RTL simulation: building with Verilator (cached by content) and running"):
        r = run_rtl(files, vectors, gaps=gaps, backpressure=gaps)
    return SimResult(**base, accuracy=_accuracy(_argmax(r.outputs), y),
                     mismatches=int(r.mismatches) + int(r.tlast_errors), outputs=r.outputs,
                     golden_accuracy=golden, first_mismatch=r.first_mismatch,
                     tlast_errors=int(r.tlast_errors), cycles_per_frame=float(r.cycles_per_frame),
                     model_cycles_per_frame=int(r.model_cycles_per_frame),
                     schedule_cycles_per_frame=int(r.schedule_cycles_per_frame), gaps=gaps,
                     sim_seconds=round(r.sim_seconds, 3))


# --------------------------------------------------------------------------- run on a board

@dataclass(frozen=True, eq=False)
class RunResult:
    """A dataset sent through a board (or a model of one) by `tritium run`.

    `accuracy` (0..1) is the argmax of the board's outputs against the labels,
    `golden_accuracy` the golden model's; `exact` the inputs whose every output
    value equals the golden model's, `mismatches` the output values that
    differ; `fps` answered inputs per second of wall time, link included;
    `resent` requests sent again, `board_drops` requests the board reports it
    dropped, `rejected` damaged replies the host dropped.
    """
    model: str
    dataset: str
    port: str
    n: int
    accuracy: float
    golden_accuracy: float
    exact: int
    mismatches: int
    first_mismatch: str | None
    fps: float
    seconds: float
    window: int
    resent: int
    board_drops: int
    rejected: int
    outputs: np.ndarray = field(repr=False)

    @property
    def ok(self) -> bool:
        return self.mismatches == 0

    def to_json(self) -> dict:
        """The `tritium run --json` document (outputs excluded)."""
        keys = [f for f in self.__dataclass_fields__ if f != "outputs"]
        return schema.stamp("run", {k: getattr(self, k) for k in keys})


def run(outdir, port: str, *, dataset="digits", limit: int | None = None, window: int = 2,
        timeout: float | None = None, progress=None, step: Step | None = None) -> RunResult:
    """Send `dataset` through the board wrapper of a compile OUTDIR on `port`.

    `port`: a pyserial URL (`/dev/ttyUSB0`, `COM3`, `socket://host:port`); the
    bitstream must be built from `outdir` (`tritium build`) and loaded. Each
    input goes as one request frame (`tritium.board_io.framing`), at most
    `window` unanswered at a time (the wrapper holds 2); a lost frame is sent
    again, at most 4 times, after `timeout` seconds (default from the baud
    rate). The outputs are compared with the golden model's, value by value.
    """
    from .board_io.host import run_link
    from .board_io.link import Link
    from .data import Dataset, channels_last, fit_input, load_dataset
    from .sim.vectors import make_vectors
    step = step or _quiet_step
    design = open_design(outdir)
    link = Link.read(outdir)
    if design.model is None:
        raise ModelError(f"'{outdir}' holds no model; compile it again with --backend rtl")
    data = (dataset if isinstance(dataset, Dataset) else load_dataset(dataset)).limit(limit)
    graph = design.model.graph
    x = channels_last(fit_input(data.x, graph.input.shape, data.name))
    with step(f"golden model on {len(x)} inputs"):
        v = make_vectors(graph, x)
    bar = progress or (lambda n, what: contextlib.nullcontext(lambda k=1: None))
    with bar(len(x), f"frames through {port}") as advance:
        s, secs = run_link(port, link, v.x, window=window, timeout=timeout, advance=advance)
    golden = v.y.reshape(len(x), -1)
    differ = s.outputs != golden
    first = None
    if differ.any():
        i, j = (int(k) for k in np.argwhere(differ)[0])
        first = f"input {i}, output {j}: board {int(s.outputs[i, j])}, golden {int(golden[i, j])}"
    return RunResult(str(outdir), data.name, port, int(len(x)), _accuracy(_argmax(s.outputs), data.y),
                     _accuracy(_argmax(golden), data.y), int((~differ.any(1)).sum()), int(differ.sum()),
                     first, round(len(x) / secs, 3) if secs > 0 else 0.0, round(secs, 3), window,
                     s.resent, s.board_drops, s.rejected, s.outputs)


# --------------------------------------------------------------------------- compress

def compress(model, *, dataset="digits", board=None, group_size: int | None = None,
             method: str = "wpc", target_compression: float | None = None, train=None,
             output=None, seed: int = 0, input_shape=None, log=None, progress=None,
             **options) -> Model:
    """Co-design compression: PE-wise pruning and ternarization, then fine-tuning.

    `model`: zoo:cnn-digits / zoo:mlp-digits (or a `Model` loaded from them)
    trains that architecture from scratch as the float teacher; any other
    model (a spec, a `Model`, a torch.nn.Module with `input_shape=`) is the
    float teacher as it is. `board` (its 'simd') or `group_size` sets the PE
    group size S; `method`: 'wpc', 'group-lasso', 'flipout' or 'magnitude';
    `target_compression`: the PE-wise rate to reach (default: the knee of the
    accuracy curve). `dataset`/`train` as `tritium compress` takes them.
    `output`: an .onnx path (missing folders are created); writes it with
    OUT.compress.json and OUT.png.
    `options`: the CLI's training options by their long names (`lam`, `rho`,
    `wpc_variant`, `kd_temperature`, `kd_alpha`, `teacher_epochs`,
    `reg_epochs`, `finetune_epochs`, `rates`, `edge_layers`, `act_bits`).

    Returns the compressed `Model` (compile it as is); its `compression` is
    the OUT.compress.json document (accuracies as fractions 0..1).
    """
    from .compression.run import Request, run
    if isinstance(model, (str, Path)):
        name, graph = str(model), None      # a spec: trainable zoo models train from scratch
    else:
        m = load(model, input_shape=input_shape)
        name, graph = m.name, m.imported
    board_name = getattr(board, "name", board)
    fields = set(Request.__dataclass_fields__)
    unknown = sorted(set(options) - fields)
    if unknown:
        raise OptionError(f"tritium.compress got unknown option(s) {', '.join(unknown)}; "
                          f"known: {', '.join(sorted(fields - {'model', 'graph'}))}")
    req = Request(model=name, graph=graph, dataset=str(dataset), train=None if train is None else str(train),
                  board=board_name, group_size=group_size, method=method,
                  target_compression=target_compression, output=None if output is None else str(output),
                  seed=seed, input_shape=input_shape, **options)
    if output is not None:
        Path(output).resolve().parent.mkdir(parents=True, exist_ok=True)
    outcome = run(req, log=log, progress=progress)
    m = load(outcome.graph, name=str(output) if output is not None else f"compressed:{name}")
    return replace(m, compression=outcome.summary)


# --------------------------------------------------------------------------- compare

@dataclass(frozen=True)
class Comparison:
    """Reports side by side: `rows` are (metric, one value per report); `differs`
    marks, per row, the values that differ from the first report's."""
    labels: tuple[str, ...]
    rows: tuple[tuple[str, tuple], ...]
    reports: tuple = field(default=(), repr=False, compare=False)   # the report.json dicts

    def differs(self, metric: str) -> list[bool]:
        """Per report, whether its `metric` differs from the first report's."""
        from .report.compare import differs
        return differs(list(dict(self.rows)[metric]))

    def table(self):
        """A rich Table (what `tritium compare` prints)."""
        from .report.compare import compare_table
        return compare_table(list(self.reports), list(self.labels))

    def html(self) -> str:
        """The comparison as a self-contained HTML page."""
        from .report.compare import compare_html
        return compare_html(list(self.reports), list(self.labels))

    def to_json(self) -> dict:
        """Labels and rows as plain JSON values."""
        return {"labels": list(self.labels), "rows": [[k, list(v)] for k, v in self.rows]}


def compare(reports: Sequence, labels: Sequence[str] | None = None, *, html=None) -> Comparison:
    """Put two or more reports side by side.

    `reports`: `Report`s, `Design`s, report.json dicts or paths. `labels`
    (default: the paths, else model@board). `html`: also write the page there.
    """
    from .report.compare import comparison
    if len(reports) < 2:
        raise OptionError("compare needs two or more report.json files")
    typed = [_as_report(r) for r in reports]
    docs = [r.to_json() for r in typed]
    if labels is None:
        labels = [str(r) if isinstance(r, (str, Path)) else f"{t.model}@{t.network.board}"
                  for r, t in zip(reports, typed)]
    if len(labels) != len(typed):
        raise OptionError(f"compare got {len(labels)} labels for {len(typed)} reports")
    c = Comparison(tuple(labels), tuple((k, tuple(v)) for k, v in comparison(docs)), tuple(docs))
    if html is not None:
        from .fileio import atomic_write
        atomic_write(html, c.html())
    return c


def _as_report(r) -> Report:
    if isinstance(r, Design):
        return r.report
    if isinstance(r, Report):
        return r
    return Report.from_json(r if isinstance(r, dict) else Path(r))
