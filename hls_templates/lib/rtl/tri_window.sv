// Tritium RTL library: window unit (line buffers, padding, stride).
//
// Input: one pixel per beat (C channels of A bits, channel c at bits [c*A +: A]),
// raster order, frames back to back. Output: one window per output pixel, raster
// order, element e = (ky*KW + kx)*C + c at bits [e*A +: A]; positions outside
// the image hold PAD. The buffer is a ring of R rows addressed by a global row
// count, so the next frame's first rows stream in while the last windows of the
// current frame are still being read (no bubble between frames if
// R >= max(KH + SY, H + KH - (HO-1)*SY), which the generator chooses).
// Input row g may be written once every pending window needs only rows > g - R.
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
    localparam int RW = R > 1 ? $clog2(R) : 1;
    localparam int XW = W > 1 ? $clog2(W) : 1;
    // Slot of global row -PT (the top of the first window), and the slot steps.
    localparam int TOP0 = ((R - (PT % R)) % R);
    localparam int STEP_Y = SY % R;
    localparam int STEP_F = (((H - (HO - 1) * SY) % R) + R) % R;

    logic [C*A-1:0] mem [R][W];

    // ---- input side: row ring ----
    logic [31:0] in_g;                 // global index of the row being written
    logic [XW-1:0] in_x;
    logic [RW-1:0] in_slot;
    // ---- output side ----
    logic [31:0] ob;                   // global index of the output frame's row 0
    int oy, ox;                        // output position
    logic [RW-1:0] top_slot;           // slot of global row ob + oy*SY - PT

    function automatic logic [RW-1:0] slot_add(input logic [RW-1:0] s, input int d);
        int t;
        t = int'(s) + d;
        return RW'(t >= R ? t - R : t);
    endfunction

    int top_row, lo_row, need_row, need_col;
    logic signed [31:0] ahead, lag;
    always_comb begin
        top_row = oy * SY - PT;
        lo_row = top_row < 0 ? 0 : top_row;
        need_row = top_row + KH - 1 > H - 1 ? H - 1 : top_row + KH - 1;
        need_col = ox * SX - PL + KW - 1 > W - 1 ? W - 1 : ox * SX - PL + KW - 1;
        ahead = $signed(in_g - (ob + 32'(lo_row)));      // rows the writer is ahead of the reader
        lag = $signed(in_g - (ob + 32'(need_row)));
        s_ready = ahead < R;
        m_valid = lag > 0 || (lag == 0 && int'(in_x) > need_col);
    end

    always_comb begin
        for (int ky = 0; ky < KH; ky++) begin
            for (int kx = 0; kx < KW; kx++) begin
                int iy, ix;
                iy = top_row + ky;
                ix = ox * SX - PL + kx;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                    m_data[(ky * KW + kx) * C * A +: C * A] = {C{PAD}};
                else
                    m_data[(ky * KW + kx) * C * A +: C * A] = mem[slot_add(top_slot, ky)][ix];
            end
        end
    end

    always_ff @(posedge clk) begin
        if (s_valid && s_ready) mem[in_slot][in_x] <= s_data;
    end

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            in_g <= '0;
            in_x <= '0;
            in_slot <= '0;
        end else if (s_valid && s_ready) begin
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
            oy <= 0;
            ox <= 0;
            top_slot <= RW'(TOP0);
        end else if (m_valid && m_ready) begin
            if (ox == WO - 1) begin
                ox <= 0;
                if (oy == HO - 1) begin
                    oy <= 0;
                    ob <= ob + 32'(H);
                    top_slot <= slot_add(top_slot, STEP_F);
                end else begin
                    oy <= oy + 1;
                    top_slot <= slot_add(top_slot, STEP_Y);
                end
            end else begin
                ox <= ox + 1;
            end
        end
    end
endmodule
`default_nettype wire
