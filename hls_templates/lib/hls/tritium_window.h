// Tritium HLS library: the window unit (line buffers, padding, stride).
//
// The input arrives pixel by pixel, rows in order. A ring of KH input rows
// holds what the next output row needs: output row `oy` reads input rows
// `oy*SH - PT + ky`, so rows are read up to the last one it needs (or the
// image's last row) and each lands in slot `row % KH`. The rows a window needs
// are always among the last KH rows read, because a window spans KH rows.
// Positions outside the image read `PAD` (0 for convolutions and average
// pools, the type's minimum for max pools). Rows below the last window are
// read and dropped, so every engine consumes exactly one frame.
//
// CFG: H, W, C (input), KH, KW, SH, SW, PT, PL, OH, OW, act_t, PAD.
#ifndef TRITIUM_WINDOW_H
#define TRITIUM_WINDOW_H

#include "tritium_types.h"

namespace tritium {

template <class CFG>
class line_buffer {
   public:
    typedef typename CFG::act_t act_t;
    typedef pixel<act_t, CFG::C> in_pixel;

    line_buffer() : rows_read_(0) {}

    // Read input rows until output row `oy`'s last needed row is in the ring.
    void advance_to(hls::stream<in_pixel>& in, int oy) {
        int need = oy * CFG::SH - CFG::PT + CFG::KH - 1;
        if (need > CFG::H - 1) need = CFG::H - 1;
        while (rows_read_ <= need) read_row(in);
    }

    // Consume the rows no window needed.
    void drain(hls::stream<in_pixel>& in) {
        while (rows_read_ < CFG::H) read_row(in);
    }

    // win[ky*KW + kx][c]: the window of output pixel (oy, ox).
    void window(int oy, int ox, act_t win[CFG::KH * CFG::KW][CFG::C]) const {
        for (int ky = 0; ky < CFG::KH; ++ky) {
            for (int kx = 0; kx < CFG::KW; ++kx) {
                int iy = oy * CFG::SH - CFG::PT + ky;
                int ix = ox * CFG::SW - CFG::PL + kx;
                bool inside = iy >= 0 && iy < CFG::H && ix >= 0 && ix < CFG::W;
                for (int c = 0; c < CFG::C; ++c) {
                    win[ky * CFG::KW + kx][c] = inside ? rows_[iy % CFG::KH][ix][c] : act_t(CFG::PAD);
                }
            }
        }
    }

   private:
    void read_row(hls::stream<in_pixel>& in) {
        int slot = rows_read_ % CFG::KH;
        for (int x = 0; x < CFG::W; ++x) {
TRITIUM_HLS("HLS PIPELINE II = 1")
            in_pixel px = in.read();
            for (int c = 0; c < CFG::C; ++c) rows_[slot][x][c] = px.d[c];
        }
        ++rows_read_;
    }

    act_t rows_[CFG::KH][CFG::W][CFG::C];
    int rows_read_;
};

}  // namespace tritium

#endif  // TRITIUM_WINDOW_H
