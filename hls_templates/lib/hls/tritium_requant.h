// Tritium HLS library: the requantizer (DESIGN §2).
//
//   y = clamp((acc * M + B) >> shift, lo, hi)
//
// The product is formed at 64 bits (the compiler guarantees |acc*M + B| < 2^62)
// and `>>` is arithmetic, i.e. floor division by 2^shift, as in the golden model.
#ifndef TRITIUM_REQUANT_H
#define TRITIUM_REQUANT_H

#include "tritium_types.h"

namespace tritium {

template <class OUT>
OUT requant(wide_t acc, wide_t mult, wide_t bias, int shift, long long lo, long long hi) {
TRITIUM_HLS("HLS INLINE")
    wide_t v = acc * mult + bias;
    v >>= shift;
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    return OUT(v);
}

// Standalone requantization engine: every value of every pixel, per channel.
// CFG: PIXELS, C, in_t, out_t, SHIFT, LO, HI, MULT[C], BIAS[C].
template <class CFG>
void requant_engine(hls::stream<pixel<typename CFG::in_t, CFG::C> >& in,
                    hls::stream<pixel<typename CFG::out_t, CFG::C> >& out) {
    for (int i = 0; i < CFG::PIXELS; ++i) {
TRITIUM_HLS("HLS PIPELINE II = 1")
        pixel<typename CFG::in_t, CFG::C> x = in.read();
        pixel<typename CFG::out_t, CFG::C> y;
        for (int c = 0; c < CFG::C; ++c) {
TRITIUM_HLS("HLS UNROLL")
            y.d[c] = requant<typename CFG::out_t>(x.d[c], CFG::MULT[c], CFG::BIAS[c], CFG::SHIFT,
                                                  CFG::LO, CFG::HI);
        }
        out.write(y);
    }
}

}  // namespace tritium

#endif  // TRITIUM_REQUANT_H
