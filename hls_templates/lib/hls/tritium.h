// Tritium HLS library: everything the generated glue instantiates.
// Hand-written, parametrized, header-only; each block has its own C++ unit test
// (tests/codegen/test_hls_lib.py). Generated code only wires and parametrizes it.
#ifndef TRITIUM_H
#define TRITIUM_H

#include "tritium_types.h"
#include "tritium_stream.h"
#include "tritium_window.h"
#include "tritium_requant.h"
#include "tritium_pe.h"
#include "tritium_pool.h"
#ifdef TRITIUM_TRACE  // C-simulation diagnosis build only (sim/csim.py)
#include "tritium_trace.h"
#endif

#endif  // TRITIUM_H
