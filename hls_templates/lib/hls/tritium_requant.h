// Tritium HLS library: the requantizer (DESIGN §2).
//
//   y = clamp((x * M + B) >> shift, lo, hi)
//
// formed at the width its operands need, as the RTL twin's tri_requant.sv
// does: x * M in the product of their widths (X and ap_int<MW>), the sum in
// SUM, which the compiler sizes per engine (CFG::sum_t) to hold
// max|x| * max|M| + max|B| for every x the input type can hold (the
// accumulator's, or the input activation's). With AMD's ap_int the product
// is then IW + MW bits of logic, not the 128 of two 64-bit operands. `>>` is
// arithmetic, i.e. floor division by 2^shift, as in the golden model.
#ifndef TRITIUM_REQUANT_H
#define TRITIUM_REQUANT_H

#include "tritium_types.h"

namespace tritium {

template <class OUT, class SUM, class X, class MT, class BT>
OUT requant(X x, MT mult, BT bias, int shift, long long lo, long long hi) {
TRITIUM_HLS("HLS INLINE")
    SUM v = x * mult;
    v += bias;
    v >>= shift;
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    return OUT(v);
}

// Channel c of an engine's requantizer. CFG: out_t, sum_t, mult_t, bias_t,
// SHIFT, LO, HI, MULT[C], BIAS[C] (the constants are stored as int / long long
// and narrowed to their types here, which costs no logic).
template <class CFG, class X>
typename CFG::out_t requant_channel(X x, int c) {
TRITIUM_HLS("HLS INLINE")
    return requant<typename CFG::out_t, typename CFG::sum_t>(x, typename CFG::mult_t(CFG::MULT[c]),
                                                             typename CFG::bias_t(CFG::BIAS[c]), CFG::SHIFT,
                                                             CFG::LO, CFG::HI);
}

// Standalone requantization engine: every value of every pixel, per channel.
// CFG: PIXELS, C, in_t, and the requant_channel fields.
template <class CFG>
void requant_engine(hls::stream<pixel<typename CFG::in_t, CFG::C> >& in,
                    hls::stream<pixel<typename CFG::out_t, CFG::C> >& out) {
    for (int i = 0; i < CFG::PIXELS; ++i) {
TRITIUM_HLS("HLS PIPELINE II = 1")
        pixel<typename CFG::in_t, CFG::C> x = in.read();
        pixel<typename CFG::out_t, CFG::C> y;
        for (int c = 0; c < CFG::C; ++c) {
TRITIUM_HLS("HLS UNROLL")
            y.d[c] = requant_channel<CFG>(x.d[c], c);
        }
        out.write(y);
    }
}

}  // namespace tritium

#endif  // TRITIUM_REQUANT_H
