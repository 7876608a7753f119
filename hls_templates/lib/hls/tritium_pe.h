// Tritium HLS library: the PEs and the Conv/Dense engine (DESIGN §3-4).
//
// A PE runs its program (compiler/schedule/layer.py): its rows ascending; for
// each row the items of its mask, ascending; for each item TAPS ROM words,
// one per cycle, each holding S lanes. After a row's last word the PE
// requantizes its accumulator; a row without items outputs requant(0).
//
// Lane inputs come from the pixel's lane vector xv[g][item][tap][lane]
// (`lane_vector`), laid out exactly like the ROM words, so a lane reads the
// same index as its code: no address arithmetic in the PE.
//
// CFG (one per layer, generated): the window fields of line_buffer, and
//   M, GROUPS, CPG (input channels per group), MPG (rows per group), P, S,
//   ITEMS, TAPS, FLAT (1: flattened lanes), MAX_ROWS, MAX_ENTRIES, MAX_WORDS,
//   act_t, out_t, acc_t, SHIFT, LO, HI, and the ROMs
//   NROWS[P], ROW[P][MAX_ROWS], NITEMS[P][MAX_ROWS], ITEM[P][MAX_ENTRIES],
//   CODE[P][MAX_WORDS][S] (ternary: code_t) or WEIGHT[P][MAX_WORDS][S] (int),
//   MULT[M], BIAS[M]; `pe` selects the PE kind (policy alias).
#ifndef TRITIUM_PE_H
#define TRITIUM_PE_H

#include "tritium_requant.h"
#include "tritium_types.h"
#include "tritium_window.h"

namespace tritium {

// A 2-bit ternary code (DESIGN §2): 00 = no work, 01 = +x, 11 = -x (10 never occurs).
typedef ap_uint<2> code_t;
static const int CODE_ADD = 1;
static const int CODE_SUB = 3;

// The pixel's window -> lane vector xv[g][item][tap][lane]; lanes past the row read 0.
// Channel lanes: lane l of item j at tap t reads channel g*CPG + j*S + l at tap t.
// Flattened lanes (TAPS == 1): element e = j*S + l of the (kh, kw, c) row vector.
template <class CFG>
void lane_vector(const typename CFG::act_t win[CFG::KH * CFG::KW][CFG::C],
                 typename CFG::act_t xv[CFG::GROUPS][CFG::ITEMS][CFG::TAPS][CFG::S]) {
TRITIUM_HLS("HLS INLINE")
    for (int g = 0; g < CFG::GROUPS; ++g) {
        for (int j = 0; j < CFG::ITEMS; ++j) {
            for (int t = 0; t < CFG::TAPS; ++t) {
                for (int l = 0; l < CFG::S; ++l) {
                    int e = j * CFG::S + l;
                    typename CFG::act_t x = 0;
                    if (CFG::FLAT) {
                        if (e < CFG::KH * CFG::KW * CFG::CPG) x = win[e / CFG::CPG][g * CFG::CPG + e % CFG::CPG];
                    } else {
                        if (e < CFG::CPG) x = win[t][g * CFG::CPG + e];
                    }
                    xv[g][j][t][l] = x;
                }
            }
        }
    }
}

// The add-only PE of a ternary layer: lanes add x, subtract x or do nothing.
// No multiplication touches a code (tests/codegen/test_hls_addonly.py checks it).
template <class CFG>
struct pe_ternary {
    static void run(int p, const typename CFG::act_t xv[CFG::GROUPS][CFG::ITEMS][CFG::TAPS][CFG::S],
                    typename CFG::out_t out[CFG::M]) {
        int entry = 0;
        int word = 0;
        for (int r = 0; r < CFG::NROWS[p]; ++r) {
            int row = CFG::ROW[p][r];
            int g = row / CFG::MPG;
            typename CFG::acc_t acc = 0;
            for (int k = 0; k < CFG::NITEMS[p][r]; ++k) {
                int item = CFG::ITEM[p][entry];
                ++entry;
                for (int t = 0; t < CFG::TAPS; ++t) {
TRITIUM_HLS("HLS PIPELINE II = 1")
                    for (int l = 0; l < CFG::S; ++l) {
TRITIUM_HLS("HLS UNROLL")
                        code_t code = CFG::CODE[p][word][l];
                        typename CFG::act_t x = xv[g][item][t][l];
                        if (code == CODE_ADD) {
                            acc += x;
                        } else if (code == CODE_SUB) {
                            acc -= x;
                        }
                    }
                    ++word;
                }
            }
            out[row] = requant<typename CFG::out_t>(acc, CFG::MULT[row], CFG::BIAS[row], CFG::SHIFT,
                                                    CFG::LO, CFG::HI);
        }
    }
};

// The multiplier PE of an integer-weight layer (int8 first/last layers).
template <class CFG>
struct pe_int {
    static void run(int p, const typename CFG::act_t xv[CFG::GROUPS][CFG::ITEMS][CFG::TAPS][CFG::S],
                    typename CFG::out_t out[CFG::M]) {
        int entry = 0;
        int word = 0;
        for (int r = 0; r < CFG::NROWS[p]; ++r) {
            int row = CFG::ROW[p][r];
            int g = row / CFG::MPG;
            typename CFG::acc_t acc = 0;
            for (int k = 0; k < CFG::NITEMS[p][r]; ++k) {
                int item = CFG::ITEM[p][entry];
                ++entry;
                for (int t = 0; t < CFG::TAPS; ++t) {
TRITIUM_HLS("HLS PIPELINE II = 1")
                    for (int l = 0; l < CFG::S; ++l) {
TRITIUM_HLS("HLS UNROLL")
                        acc += xv[g][item][t][l] * CFG::WEIGHT[p][word][l];
                    }
                    ++word;
                }
            }
            out[row] = requant<typename CFG::out_t>(acc, CFG::MULT[row], CFG::BIAS[row], CFG::SHIFT,
                                                    CFG::LO, CFG::HI);
        }
    }
};

// Conv/Dense engine: window unit -> lane vector -> P PEs -> output collector.
template <class CFG>
void mac_engine(hls::stream<pixel<typename CFG::act_t, CFG::C> >& in,
                hls::stream<pixel<typename CFG::out_t, CFG::M> >& out) {
    line_buffer<CFG> lb;
    for (int oy = 0; oy < CFG::OH; ++oy) {
        lb.advance_to(in, oy);
        for (int ox = 0; ox < CFG::OW; ++ox) {
            typename CFG::act_t win[CFG::KH * CFG::KW][CFG::C];
            typename CFG::act_t xv[CFG::GROUPS][CFG::ITEMS][CFG::TAPS][CFG::S];
TRITIUM_HLS("HLS ARRAY_PARTITION variable = xv dim = 4 complete")
            lb.window(oy, ox, win);
            lane_vector<CFG>(win, xv);
            pixel<typename CFG::out_t, CFG::M> o;
            for (int p = 0; p < CFG::P; ++p) {
TRITIUM_HLS("HLS UNROLL")
                CFG::pe::run(p, xv, o.d);
            }
            out.write(o);
        }
    }
    lb.drain(in);
}

}  // namespace tritium

#endif  // TRITIUM_PE_H
