// Tritium HLS library: per-layer trace taps for mismatch diagnosis (C-simulation only).
//
// Compiled only with -DTRITIUM_TRACE (sim/csim.py adds it for its diagnosis
// build); the Vitis sources never see it. In C-simulation the engines run one
// after another, so right after an engine returns its output stream holds the
// whole frame: `trace_tap` drains it, appends every value as int32
// little-endian, channels-last, to `$TRITIUM_TRACE_DIR/L<layer>.bin`, and puts
// the pixels back in the same order.
#ifndef TRITIUM_TRACE_H
#define TRITIUM_TRACE_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tritium_types.h"

namespace tritium {

template <class T, int N>
void trace_tap(hls::stream<pixel<T, N> >& s, int layer) {
    const char* dir = std::getenv("TRITIUM_TRACE_DIR");
    std::string path = std::string(dir ? dir : ".") + "/L" + std::to_string(layer) + ".bin";
    std::vector<pixel<T, N> > frame;
    while (!s.empty()) frame.push_back(s.read());
    std::vector<int32_t> values;
    values.reserve(frame.size() * N);
    for (std::size_t p = 0; p < frame.size(); ++p) {
        for (int c = 0; c < N; ++c) values.push_back(static_cast<int32_t>(static_cast<long long>(frame[p].d[c])));
        s.write(frame[p]);
    }
    std::FILE* f = std::fopen(path.c_str(), "ab");
    if (!f || std::fwrite(values.data(), 4, values.size(), f) != values.size()) {
        std::fprintf(stderr, "tritium: cannot append the trace of layer %d to '%s'\n", layer, path.c_str());
        std::abort();
    }
    std::fclose(f);
}

}  // namespace tritium

#endif  // TRITIUM_TRACE_H
