// Block test of tri_window.sv (tests/rtl/test_window.py): NF random frames
// stream in back to back (with random input gaps when +GAPS=1); the window unit
// feeds the engine's feeder (tri_feeder.sv, writing each window in L cycles) and
// one PE that takes a window every +CPP=N cycles, by tri_pe.sv's rule (it takes
// the next window in the cycle it executes its last word). Every window is checked against the
// frame it came from; the cycle of each frame's last accepted window is printed.
`timescale 1ns/1ps
`default_nettype none
module tb_window;
    parameter int H = 8, W = 8, C = 2, A = 4, KH = 3, KW = 3, SY = 1, SX = 1;
    parameter int PT = 1, PL = 1, PB = 1, PR = 1, NF = 6;
    parameter int R = 4;                          // tritium.schedule.model.window_rows
    parameter int L = 1;                          // feeder cycles per window
    localparam int HO = (H + PT + PB - KH) / SY + 1;
    localparam int WO = (W + PL + PR - KW) / SX + 1;
    localparam int D = C * A;
    localparam logic [A-1:0] PAD = A'(5);
    int cpp = 1, gaps = 0;
    logic clk = 1'b0, rst_n = 1'b0;
    always #5 clk = ~clk;

    logic s_valid, s_ready, m_valid, m_ready;
    logic [D-1:0] s_data;
    logic [KH*KW*D-1:0] m_data;
    tri_window #(.H(H), .W(W), .C(C), .A(A), .KH(KH), .KW(KW), .SY(SY), .SX(SX), .PT(PT), .PL(PL),
                 .HO(HO), .WO(WO), .R(R), .PAD(PAD)) dut (.*);

    logic pe_valid, pe_take, pe_slot, pe_busy, buf_we, buf_slot;
    logic [(L > 1 ? $clog2(L) : 1)-1:0] buf_row;
    logic [KH*KW*D-1:0] buf_data;
    int pc;
    tri_feeder #(.NP(1), .SW(KH*KW*D), .NSLICE(L), .K(1), .L(L), .LB(L > 1 ? $clog2(L) : 1)) u_feeder (
        .clk, .rst_n, .s_valid(m_valid), .s_ready(m_ready), .s_data({L{m_data}}), .pe_valid, .pe_take,
        .pe_slot, .buf_we, .buf_slot, .buf_row, .buf_data);
    assign pe_take = pe_valid && (!pe_busy || pc == cpp - 1);
    always_ff @(posedge clk) begin
        if (!rst_n) begin
            pe_busy <= 1'b0;
            pc <= 0;
        end else if (pe_take) begin
            pe_busy <= 1'b1;
            pc <= 0;
        end else if (pe_busy) begin
            if (pc == cpp - 1) pe_busy <= 1'b0;
            else pc <= pc + 1;
        end
    end

    logic [D-1:0] img [NF][H][W];
    int fi, pi, fo, po, errors, cyc;
    int done_at [NF];
    logic go;
    assign s_valid = rst_n && fi < NF && go;
    assign s_data = fi < NF ? img[fi][pi / W][pi % W] : '0;
    always_ff @(posedge clk) begin
        go <= gaps != 0 ? ($urandom % 4 != 0) : 1'b1;
        if (s_valid && s_ready) begin
            if (pi == H * W - 1) begin
                pi <= 0;
                fi <= fi + 1;
            end else pi <= pi + 1;
        end
    end
    always_ff @(posedge clk) begin
        if (rst_n) begin
            cyc <= cyc + 1;
            if (m_valid && m_ready) begin
                for (int ky = 0; ky < KH; ky++) begin
                    for (int kx = 0; kx < KW; kx++) begin
                        int iy, ix;
                        logic [D-1:0] want;
                        iy = (po / WO) * SY - PT + ky;
                        ix = (po % WO) * SX - PL + kx;
                        want = iy < 0 || iy >= H || ix < 0 || ix >= W ? {C{PAD}} : img[fo][iy][ix];
                        if (m_data[(ky * KW + kx) * D +: D] !== want) begin
                            if (errors < 5)
                                $display("MISMATCH frame %0d window %0d tap (%0d,%0d): %h, expected %h",
                                         fo, po, ky, kx, m_data[(ky * KW + kx) * D +: D], want);
                            errors <= errors + 1;
                        end
                    end
                end
                if (po == HO * WO - 1) begin
                    po <= 0;
                    fo <= fo + 1;
                    done_at[fo] <= cyc;
                end else po <= po + 1;
            end
        end
    end
    initial begin
        for (int f = 0; f < NF; f++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) img[f][y][x] = D'($urandom);
        void'($value$plusargs("CPP=%d", cpp));
        void'($value$plusargs("GAPS=%d", gaps));
        fi = 0; pi = 0; fo = 0; po = 0; errors = 0; cyc = 0;
        repeat (3) @(posedge clk);
        rst_n = 1'b1;
        while (fo < NF && cyc < 400000) @(posedge clk);
        @(posedge clk);
        $write("RESULT errors=%0d frames=%0d done=", errors, fo);
        for (int f = 0; f < NF; f++) $write("%0d%s", done_at[f], f == NF - 1 ? "\n" : ",");
        $finish;
    end
endmodule
`default_nettype wire
