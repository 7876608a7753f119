// Tritium RTL library: window unit (line buffers, padding, stride).
//
// Input: one pixel per beat (C channels of A bits, channel c at bits [c*A +: A]),
// raster order, frames back to back. Output: one window per output pixel, raster
// order, element e = (ky*KW + kx)*C + c at bits [e*A +: A]; positions outside
// the image hold PAD.
//
// Structure (what the cost model prices, tritium.schedule.cost.window_cost):
// - R row memories of W pixels (inferred RAM: LUTRAM or BRAM by size), written
//   in raster order by the input side; R = max(KH + SY, H + KH - (HO-1)*SY) rows,
//   so that the next output row's (and frame's) input streams in while the
//   current row is read;
// - a KH x KW register window that shifts one column per cycle: the read side
//   steps over the (WO-1)*SX + KW columns an output row covers, reading one
//   column (KH pixels, one from each of KH row memories through an R:1 row
//   select) per step, and emits a window on every SX-th step once KW columns are in;
// - padding and stride live in the address and valid logic: a column or row
//   outside the image shifts in PAD without a read.
// Cycles per frame, input always valid: max(H*W, HO*((WO-1)*SX + KW)) when
// the output is always ready; behind an engine's broadcast unit and PEs that
// take a window every `cpp` cycles, tritium.schedule.cost.window_cycles
// (pinned by tests/rtl/test_window.py).
`default_nettype none
module tri_window #(
    parameter int H = 4, W = 4, C = 1, A = 8,
    parameter int KH = 3, KW = 3, SY = 1, SX = 1,
    parameter int PT = 1, PL = 1,
    parameter int HO = 4, WO = 4,
    parameter int R = 4,
    parameter logic [A-1:0] PAD = '0
) (
    input  wire logic                   clk,
    input  wire logic                   rst_n,
    input  wire logic                   s_valid,
    output logic                        s_ready,
    input  wire logic [C*A-1:0]         s_data,
    output logic                        m_valid,
    input  wire logic                   m_ready,
    output logic [KH*KW*C*A-1:0]        m_data
);
    localparam int D = C * A;                    // bits of one pixel
    localparam int NJ = (WO - 1) * SX + KW;      // column steps of one output row
    localparam int RW = R > 1 ? $clog2(R) : 1;
    localparam int XW = W > 1 ? $clog2(W) : 1;
    // Row counters are compared only by difference, which stays within
    // +-(H + R + KH): GW bits of modular arithmetic suffice.
    localparam int GW = $clog2(2 * (H + R + KH + 1)) + 1;
    localparam int OYW = HO > 1 ? $clog2(HO) : 1;
    localparam int JW = $clog2(NJ + SX + 1);
    // Slot of global row -PT (the top of the first window), and the slot steps.
    localparam int TOP0 = ((R - (PT % R)) % R);
    localparam int STEP_Y = SY % R;
    localparam int STEP_F = (((H - (HO - 1) * SY) % R) + R) % R;

    function automatic logic [RW-1:0] slot_add(input logic [RW-1:0] s, input int d);
        int t;
        t = int'(s) + d;
        return RW'(t >= R ? t - R : t);
    endfunction

    // ---- input side: rows in raster order into a ring of R row memories ----
    logic [GW-1:0] in_g;               // global index of the row being written (mod 2^GW)
    logic [XW-1:0] in_x;
    logic [RW-1:0] in_slot;
    wire logic wr = s_valid && s_ready;

    // ---- read side, stage 1: one column step per cycle ----
    logic [GW-1:0] ob;                 // global index of the output frame's row 0 (mod 2^GW)
    logic [OYW-1:0] oy;                // output row
    logic [JW-1:0] j, next_emit;       // column step, next step that completes a window
    logic [RW-1:0] top_slot;           // slot of global row ob + oy*SY - PT
    int top_row, need_row, x1;
    logic [GW-1:0] lo_row;             // lowest input row the current output row reads
    logic col_in, ready1, issue;
    logic signed [GW-1:0] ahead, lag;
    always_comb begin
        top_row = int'(oy) * SY - PT;
        lo_row = top_row < 0 ? '0 : GW'(top_row);
        need_row = top_row + KH - 1 > H - 1 ? H - 1 : top_row + KH - 1;
        x1 = int'(j) - PL;
        col_in = x1 >= 0 && x1 < W && need_row >= 0;
        ahead = $signed(in_g - (ob + lo_row));      // rows the writer is ahead of the reader
        lag = $signed(in_g - (ob + GW'(need_row)));
        s_ready = ahead < $signed(GW'(R));
        ready1 = !col_in || lag > 0 || (lag == 0 && int'(in_x) > x1);
    end

    // ---- stage 2: the column read, shifted into the window ----
    logic v2, emit2, pad2;
    logic [KH-1:0] row_ok2;
    logic [RW-1:0] sel2;
    logic [D-1:0] rdata [R];
    wire logic fire2 = v2 && !(m_valid && !m_ready);
    assign issue = ready1 && (!v2 || fire2);
    wire logic [XW-1:0] rd_x = col_in ? XW'(x1) : '0;

    for (genvar r = 0; r < R; r++) begin : g_row
        logic [D-1:0] mem [W];
        always_ff @(posedge clk) begin
            if (wr && in_slot == RW'(r)) mem[in_x] <= s_data;
            if (issue) rdata[r] <= mem[rd_x];
        end
    end

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            in_g <= '0;
            in_x <= '0;
            in_slot <= '0;
        end else if (wr) begin
            if (in_x == XW'(W - 1)) begin
                in_x <= '0;
                in_g <= in_g + 1;
                in_slot <= slot_add(in_slot, 1);
            end else begin
                in_x <= in_x + 1'b1;
            end
        end
    end

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            ob <= '0;
            oy <= '0;
            j <= '0;
            next_emit <= JW'(KW - 1);
            top_slot <= RW'(TOP0);
            v2 <= 1'b0;
        end else begin
            if (issue) begin
                v2 <= 1'b1;
                emit2 <= j == next_emit;
                pad2 <= !col_in;
                sel2 <= top_slot;
                for (int ky = 0; ky < KH; ky++)
                    row_ok2[ky] <= top_row + ky >= 0 && top_row + ky < H;
                if (j == JW'(NJ - 1)) begin
                    j <= '0;
                    next_emit <= JW'(KW - 1);
                    if (oy == OYW'(HO - 1)) begin
                        oy <= '0;
                        ob <= ob + GW'(H);
                        top_slot <= slot_add(top_slot, STEP_F);
                    end else begin
                        oy <= oy + 1'b1;
                        top_slot <= slot_add(top_slot, STEP_Y);
                    end
                end else begin
                    j <= j + 1'b1;
                    if (j == next_emit) next_emit <= next_emit + JW'(SX);
                end
            end else if (fire2) begin
                v2 <= 1'b0;
            end
        end
    end

    // The window: column kx of row ky at win[ky][kx]; a step shifts left by one.
    logic [D-1:0] win [KH][KW];
    always_ff @(posedge clk) begin
        if (!rst_n) begin
            m_valid <= 1'b0;
        end else if (fire2) begin
            m_valid <= emit2;
        end else if (m_ready) begin
            m_valid <= 1'b0;
        end
    end
    always_ff @(posedge clk) begin
        if (fire2) begin
            for (int ky = 0; ky < KH; ky++) begin
                for (int kx = 0; kx < KW - 1; kx++) win[ky][kx] <= win[ky][kx + 1];
                win[ky][KW - 1] <= pad2 || !row_ok2[ky] ? {C{PAD}}
                                   : rdata[slot_add(sel2, ky)];
            end
        end
    end
    always_comb begin
        for (int ky = 0; ky < KH; ky++)
            for (int kx = 0; kx < KW; kx++)
                m_data[(ky * KW + kx) * D +: D] = win[ky][kx];
    end
endmodule
`default_nettype wire
