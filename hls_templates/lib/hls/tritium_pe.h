// Tritium HLS library: the PEs and the Conv/Dense engine (DESIGN §3-4).
//
// A PE runs its program (compiler/schedule/layer.py): its rows ascending; for
// each row the items of its mask, ascending; for each item TAPS ROM words,
// one per cycle, each holding S lanes. After a row's last word the PE
// requantizes its accumulator; a row without items outputs requant(0).
// Both PE kinds run this one program loop (`pe_program`); they differ only in
// the lane operation, a policy: `ternary_lane` (add, subtract or nothing: no
// multiplier) or `int_lane` (multiply-accumulate).
//
// Lane inputs: the pixel's lane vector xv[g][item][tap][lane] (`lane_vector`)
// is IN_WORDS words of S lanes, word j = (g*TAPS + tap)*ITEMS + item, the
// RTL's slice order. Each PE keeps its own copy in its input buffer
// xb[IN_BANKS][IN_ROWS][S], word j in bank j % IN_BANKS at row j / IN_BANKS
// (`fill_buffer`): the banks and rows the engine description chose
// (tritium.codegen.engines.MacParams.buffer_banks), as the RTL twin's
// tri_pe.sv and tri_feeder.sv build them.
//
// ROM words: lane l of a word holds BITS bits at [l*BITS, (l+1)*BITS) (2-bit
// codes for ternary layers, two's-complement weights of WEIGHT_BITS for int
// layers). A word is stored as CHUNKS native unsigned integers of LPC lanes
// each (one integer when S*BITS <= 64), written as hex constants by the
// generator: ROM[p][word][chunk] (`rom_layout`).
//
// CFG (one per layer, generated): the window fields of line_buffer, and
//   M, GROUPS, CPG (input channels per group), MPG (rows per group), P, S,
//   ITEMS, TAPS, FLAT (1: flattened lanes), IN_WORDS, IN_BANKS, IN_ROWS (the PE
//   input buffer), MAX_ROWS, MAX_ENTRIES, MAX_WORDS,
//   act_t, out_t, acc_t, the requantizer's mult_t, bias_t, sum_t, SHIFT, LO, HI, and the ROMs
//   NROWS[P], ROW[P][MAX_ROWS], NITEMS[P][MAX_ROWS], ITEM[P][MAX_ENTRIES],
//   CODE[P][MAX_WORDS][CHUNKS] (ternary) or WEIGHT[P][MAX_WORDS][CHUNKS] and
//   WEIGHT_BITS (int), MULT[M], BIAS[M]; `pe` selects the PE kind
//   (pe_ternary<CFG> or pe_int<CFG>).
#ifndef TRITIUM_PE_H
#define TRITIUM_PE_H

#include "tritium_requant.h"
#include "tritium_types.h"
#include "tritium_window.h"

namespace tritium {

// A 2-bit ternary code (DESIGN §2): 00 = no work, 01 = +x, 11 = -x (10 never occurs).
// Bit 0 enables the lane, bit 1 makes it subtract.
typedef ap_uint<2> code_t;
static const int CODE_ADD = 1;
static const int CODE_SUB = 3;
static const unsigned CODE_EN = 1;
static const unsigned CODE_NEG = 2;

// How a ROM word of S lanes of BITS bits is split into native unsigned chunks.
template <int S, int BITS>
struct rom_layout {
    static const int LPC = S * BITS <= 64 ? S : 64 / BITS;  // lanes per chunk
    static const int CHUNKS = (S + LPC - 1) / LPC;
};

// Lane l's BITS-bit field of one ROM word (its CHUNKS chunks), unsigned.
template <int S, int BITS, class CHUNK, int CHUNKS>
CHUNK rom_field(const CHUNK (&word)[CHUNKS], int l) {
TRITIUM_HLS("HLS INLINE")
    typedef rom_layout<S, BITS> layout;
    static_assert(CHUNKS == layout::CHUNKS, "the generated ROM does not have rom_layout's chunks");
    const int shift = (l % layout::LPC) * BITS;
    return static_cast<CHUNK>(word[l / layout::LPC] >> shift) & static_cast<CHUNK>((1ULL << BITS) - 1ULL);
}

// The add-only lane of a ternary layer: the code's enable bit gates x, its
// sign bit negates it, and the result is added. No multiplication touches a
// code (tests/codegen/test_hls_addonly.py checks this body and pe_program).
template <class CFG>
struct ternary_lane {
    static unsigned code(int p, int word, int l) {
TRITIUM_HLS("HLS INLINE")
        return static_cast<unsigned>(rom_field<CFG::S, 2>(CFG::CODE[p][word], l));
    }
    static void mac(typename CFG::acc_t& acc, unsigned code, typename CFG::act_t x) {
TRITIUM_HLS("HLS INLINE")
        typedef typename CFG::acc_t acc_t;
        const acc_t v = (code & CODE_EN) ? acc_t(x) : acc_t(0);  // the enable bit gates x
        const acc_t nv = -v;
        acc += (code & CODE_NEG) ? nv : v;                        // the sign bit negates it
    }
};

// The multiplier lane of an integer-weight layer (int8 first/last layers).
template <class CFG>
struct int_lane {
    static unsigned long long code(int p, int word, int l) {
TRITIUM_HLS("HLS INLINE")
        return rom_field<CFG::S, CFG::WEIGHT_BITS>(CFG::WEIGHT[p][word], l);
    }
    static void mac(typename CFG::acc_t& acc, unsigned long long code, typename CFG::act_t x) {
TRITIUM_HLS("HLS INLINE")
        ap_int<CFG::WEIGHT_BITS> weight = code;  // two's complement field -> signed weight
        acc += x * weight;
    }
};

// One PE's program (the loop both PE kinds share); LANE is the lane operation.
template <class CFG, class LANE>
struct pe_program {
    static void run(int p, const typename CFG::act_t xb[CFG::IN_BANKS][CFG::IN_ROWS][CFG::S],
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
                    const int j = (g * CFG::TAPS + t) * CFG::ITEMS + item;
                    for (int l = 0; l < CFG::S; ++l) {
TRITIUM_HLS("HLS UNROLL")
                        LANE::mac(acc, LANE::code(p, word, l), xb[j % CFG::IN_BANKS][j / CFG::IN_BANKS][l]);
                    }
                    ++word;
                }
            }
            out[row] = requant_channel<CFG>(acc, row);
        }
    }
};

// The add-only PE of a ternary layer and the multiplier PE of an int layer.
template <class CFG>
using pe_ternary = pe_program<CFG, ternary_lane<CFG> >;
template <class CFG>
using pe_int = pe_program<CFG, int_lane<CFG> >;

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

// A PE's input buffer from the lane vector: word j to bank j % IN_BANKS, row j / IN_BANKS.
template <class CFG>
void fill_buffer(const typename CFG::act_t xv[CFG::GROUPS][CFG::ITEMS][CFG::TAPS][CFG::S],
                 typename CFG::act_t xb[CFG::IN_BANKS][CFG::IN_ROWS][CFG::S]) {
TRITIUM_HLS("HLS INLINE")
    static_assert(CFG::GROUPS * CFG::ITEMS * CFG::TAPS == CFG::IN_WORDS,
                  "the lane vector and the input buffer disagree on the words of a pixel");
    static_assert(CFG::IN_BANKS * CFG::IN_ROWS >= CFG::IN_WORDS, "the input buffer is too small");
    for (int g = 0; g < CFG::GROUPS; ++g)
        for (int t = 0; t < CFG::TAPS; ++t)
            for (int j = 0; j < CFG::ITEMS; ++j) {
                const int w = (g * CFG::TAPS + t) * CFG::ITEMS + j;
                for (int l = 0; l < CFG::S; ++l) xb[w % CFG::IN_BANKS][w / CFG::IN_BANKS][l] = xv[g][j][t][l];
            }
}

// Conv/Dense engine: window unit -> lane vector -> the PEs' input buffers -> P PEs ->
// output collector.
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
            typename CFG::act_t xb[CFG::P][CFG::IN_BANKS][CFG::IN_ROWS][CFG::S];
TRITIUM_HLS("HLS ARRAY_PARTITION variable = xb dim = 1 complete")
TRITIUM_HLS("HLS ARRAY_PARTITION variable = xb dim = 2 complete")
TRITIUM_HLS("HLS ARRAY_PARTITION variable = xb dim = 4 complete")
            lb.window(oy, ox, win);
            lane_vector<CFG>(win, xv);
            for (int p = 0; p < CFG::P; ++p) {
TRITIUM_HLS("HLS UNROLL")
                fill_buffer<CFG>(xv, xb[p]);
            }
            pixel<typename CFG::out_t, CFG::M> o;
            for (int p = 0; p < CFG::P; ++p) {
TRITIUM_HLS("HLS UNROLL")
                CFG::pe::run(p, xb[p], o.d);
            }
            out.write(o);
        }
    }
    lb.drain(in);
}

}  // namespace tritium

#endif  // TRITIUM_PE_H
