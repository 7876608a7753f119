// Tritium HLS library: stream helpers (AXI4-Stream pack/unpack, fork, flatten).
//
// Port format (docs/architecture.md, "Top-level ports"):
// - input: one beat per pixel, channel c at bits [c*b, (c+1)*b), TLAST on the
//   frame's last pixel;
// - output: one beat per value, channels-last, sign- or zero-extended to the
//   beat width, TLAST on the frame's last value.
#ifndef TRITIUM_STREAM_H
#define TRITIUM_STREAM_H

#include "tritium_types.h"

namespace tritium {

// AXI4-Stream -> pixels. CFG: PIXELS, C, BITS, W (beat width), act_t.
template <class CFG>
void axis_unpack(hls::stream<axis_word<CFG::W> >& in,
                 hls::stream<pixel<typename CFG::act_t, CFG::C> >& out) {
    for (int i = 0; i < CFG::PIXELS; ++i) {
TRITIUM_HLS("HLS PIPELINE II = 1")
        axis_word<CFG::W> beat = in.read();
        pixel<typename CFG::act_t, CFG::C> px;
        for (int c = 0; c < CFG::C; ++c) {
TRITIUM_HLS("HLS UNROLL")
            px.d[c] = typename CFG::act_t(beat.data.range(c * CFG::BITS + CFG::BITS - 1, c * CFG::BITS));
        }
        out.write(px);
    }
}

// Pixels -> AXI4-Stream, one beat per value. CFG: PIXELS, C, W, act_t.
template <class CFG>
void axis_pack(hls::stream<pixel<typename CFG::act_t, CFG::C> >& in,
               hls::stream<axis_word<CFG::W> >& out) {
    for (int i = 0; i < CFG::PIXELS; ++i) {
        pixel<typename CFG::act_t, CFG::C> px = in.read();
        for (int c = 0; c < CFG::C; ++c) {
TRITIUM_HLS("HLS PIPELINE II = 1")
            axis_word<CFG::W> beat;
            beat.data = ap_uint<CFG::W>(ap_int<CFG::W>(px.d[c]));
            beat.last = (i == CFG::PIXELS - 1 && c == CFG::C - 1) ? 1 : 0;
            out.write(beat);
        }
    }
}

// One stream to two consumers (a stream has exactly one reader in a dataflow region).
template <class T, int N, int PIXELS>
void fork2(hls::stream<pixel<T, N> >& in, hls::stream<pixel<T, N> >& a,
           hls::stream<pixel<T, N> >& b) {
    for (int i = 0; i < PIXELS; ++i) {
TRITIUM_HLS("HLS PIPELINE II = 1")
        pixel<T, N> px = in.read();
        a.write(px);
        b.write(px);
    }
}

// H*W pixels of C channels -> one vector of H*W*C values, channels-last order.
template <class T, int PIXELS, int C>
void flatten(hls::stream<pixel<T, C> >& in, hls::stream<pixel<T, PIXELS * C> >& out) {
    pixel<T, PIXELS * C> v;
    for (int i = 0; i < PIXELS; ++i) {
TRITIUM_HLS("HLS PIPELINE II = 1")
        pixel<T, C> px = in.read();
        for (int c = 0; c < C; ++c) {
TRITIUM_HLS("HLS UNROLL")
            v.d[i * C + c] = px.d[c];
        }
    }
    out.write(v);
}

}  // namespace tritium

#endif  // TRITIUM_STREAM_H
