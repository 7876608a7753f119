// Tritium HLS library: max pool, average pool, global average pool, residual add.
//
// Integer semantics of the golden model (compiler/ir/interp.py): max pool pads
// with the type's minimum (PAD in CFG); average pools sum the whole window
// (padding counted as 0) and requantize; the residual add is
// clamp((a*Ma + b*Mb + B) >> shift, lo, hi).
#ifndef TRITIUM_POOL_H
#define TRITIUM_POOL_H

#include "tritium_requant.h"
#include "tritium_types.h"
#include "tritium_window.h"

namespace tritium {

// CFG: window fields, act_t (= output type).
template <class CFG>
void maxpool(hls::stream<pixel<typename CFG::act_t, CFG::C> >& in,
             hls::stream<pixel<typename CFG::act_t, CFG::C> >& out) {
    line_buffer<CFG> lb;
    for (int oy = 0; oy < CFG::OH; ++oy) {
        lb.advance_to(in, oy);
        for (int ox = 0; ox < CFG::OW; ++ox) {
            typename CFG::act_t win[CFG::KH * CFG::KW][CFG::C];
            lb.window(oy, ox, win);
            pixel<typename CFG::act_t, CFG::C> o;
            for (int c = 0; c < CFG::C; ++c) {
                typename CFG::act_t m = win[0][c];
                for (int k = 1; k < CFG::KH * CFG::KW; ++k) {
                    if (win[k][c] > m) m = win[k][c];
                }
                o.d[c] = m;
            }
            out.write(o);
        }
    }
    lb.drain(in);
}

// CFG: window fields, act_t, acc_t, and the requant_channel fields (tritium_requant.h).
template <class CFG>
void avgpool(hls::stream<pixel<typename CFG::act_t, CFG::C> >& in,
             hls::stream<pixel<typename CFG::out_t, CFG::C> >& out) {
    line_buffer<CFG> lb;
    for (int oy = 0; oy < CFG::OH; ++oy) {
        lb.advance_to(in, oy);
        for (int ox = 0; ox < CFG::OW; ++ox) {
            typename CFG::act_t win[CFG::KH * CFG::KW][CFG::C];
            lb.window(oy, ox, win);
            pixel<typename CFG::out_t, CFG::C> o;
            for (int c = 0; c < CFG::C; ++c) {
                typename CFG::acc_t s = 0;
                for (int k = 0; k < CFG::KH * CFG::KW; ++k) s += win[k][c];
                o.d[c] = requant_channel<CFG>(s, c);
            }
            out.write(o);
        }
    }
    lb.drain(in);
}

// Global average pool: per-channel sum of all PIXELS, then requantize: one vector out.
// CFG: PIXELS, C, act_t, acc_t, and the requant_channel fields (tritium_requant.h).
template <class CFG>
void global_avgpool(hls::stream<pixel<typename CFG::act_t, CFG::C> >& in,
                    hls::stream<pixel<typename CFG::out_t, CFG::C> >& out) {
    typename CFG::acc_t acc[CFG::C];
    for (int c = 0; c < CFG::C; ++c) acc[c] = 0;
    for (int i = 0; i < CFG::PIXELS; ++i) {
TRITIUM_HLS("HLS PIPELINE II = 1")
        pixel<typename CFG::act_t, CFG::C> px = in.read();
        for (int c = 0; c < CFG::C; ++c) acc[c] += px.d[c];
    }
    pixel<typename CFG::out_t, CFG::C> o;
    for (int c = 0; c < CFG::C; ++c) {
        o.d[c] = requant_channel<CFG>(acc[c], c);
    }
    out.write(o);
}

// Residual add. The skip operand's FIFO depth is set by the generated top
// (STREAM pragma) from the schedule's pixel delays. Each product is formed at
// the width of its operands (a_t times ma_t, b_t times mb_t) and the sum in
// sum_t, sized by the compiler to hold max|a|*|MA| + max|b|*|MB| + |B|.
// CFG: PIXELS, C, a_t, b_t, out_t, ma_t, mb_t, bias_t, sum_t, MA, MB, B, SHIFT, LO, HI.
template <class CFG>
void residual_add(hls::stream<pixel<typename CFG::a_t, CFG::C> >& a,
                  hls::stream<pixel<typename CFG::b_t, CFG::C> >& b,
                  hls::stream<pixel<typename CFG::out_t, CFG::C> >& out) {
    for (int i = 0; i < CFG::PIXELS; ++i) {
TRITIUM_HLS("HLS PIPELINE II = 1")
        pixel<typename CFG::a_t, CFG::C> x = a.read();
        pixel<typename CFG::b_t, CFG::C> y = b.read();
        pixel<typename CFG::out_t, CFG::C> o;
        for (int c = 0; c < CFG::C; ++c) {
TRITIUM_HLS("HLS UNROLL")
            typename CFG::sum_t v = x.d[c] * typename CFG::ma_t(CFG::MA);
            v += y.d[c] * typename CFG::mb_t(CFG::MB);
            v += typename CFG::bias_t(CFG::B);
            v >>= CFG::SHIFT;
            if (v < CFG::LO) v = CFG::LO;
            if (v > CFG::HI) v = CFG::HI;
            o.d[c] = typename CFG::out_t(v);
        }
        out.write(o);
    }
}

}  // namespace tritium

#endif  // TRITIUM_POOL_H
