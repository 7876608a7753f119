// Block-test harness: library blocks with fixed parameters, ports at the top,
// driven by tests/rtl/cocotb_blocks.py (one Verilator build for all blocks).
`default_nettype none
module tb_blocks (
    input  wire logic clk,
    input  wire logic rst_n,
    // tri_fifo W=8 DEPTH=3
    input  wire logic fifo_s_valid, output logic fifo_s_ready, input wire logic [7:0] fifo_s_data,
    output logic fifo_m_valid, input wire logic fifo_m_ready, output logic [7:0] fifo_m_data,
    // tri_requant IW=12 MW=16 BW=20 SH=5 O=6 LO=-32 HI=27
    input  wire logic signed [11:0] rq_x, input wire logic signed [15:0] rq_m,
    input  wire logic signed [19:0] rq_b, output logic [5:0] rq_y,
    // tri_window H=5 W=6 C=2 A=4 3x3 stride (2,1) pad (1,1)
    input  wire logic win_s_valid, output logic win_s_ready, input wire logic [7:0] win_s_data,
    output logic win_m_valid, input wire logic win_m_ready, output logic [71:0] win_m_data,
    // tri_pool: max (signed 4-bit) and average (unsigned 4-bit, M=3 B=2 SH=2 O=5)
    input  wire logic [31:0] pool_win, output logic [7:0] pool_max_y, output logic [9:0] pool_avg_y,
    // tri_add C=2 AA=4 signed, AB=5 unsigned, MA=3 MB=-2 B=7 SH=2 O=5 LO=-16 HI=15
    input  wire logic add_a_valid, output logic add_a_ready, input wire logic [7:0] add_a_data,
    input  wire logic add_b_valid, output logic add_b_ready, input wire logic [9:0] add_b_data,
    output logic add_m_valid, input wire logic add_m_ready, output logic [9:0] add_m_data,
    // tri_gap C=2 A=4 signed NPIX=3, M=5 B=1 SH=1 O=6 LO=-32 HI=31
    input  wire logic gap_s_valid, output logic gap_s_ready, input wire logic [7:0] gap_s_data,
    output logic gap_m_valid, input wire logic gap_m_ready, output logic [11:0] gap_m_data,
    // tri_axis_out C=3 O=5 signed TW=8 NPIX=2
    input  wire logic ao_s_valid, output logic ao_s_ready, input wire logic [14:0] ao_s_data,
    output logic [7:0] ao_tdata, output logic ao_tvalid, input wire logic ao_tready, output logic ao_tlast,
    // tri_fork W=8 N=2
    input  wire logic fork_s_valid, output logic fork_s_ready, input wire logic [7:0] fork_s_data,
    output logic [1:0] fork_m_valid, input wire logic [1:0] fork_m_ready, output logic [7:0] fork_m_data
);
    tri_fifo #(.W(8), .DEPTH(3)) u_fifo (.clk, .rst_n, .s_valid(fifo_s_valid), .s_ready(fifo_s_ready),
        .s_data(fifo_s_data), .m_valid(fifo_m_valid), .m_ready(fifo_m_ready), .m_data(fifo_m_data));
    tri_requant #(.IW(12), .MW(16), .BW(20), .SH(5), .O(6), .LO(-64'sd32), .HI(64'sd27)) u_rq (
        .x(rq_x), .m(rq_m), .b(rq_b), .y(rq_y));
    tri_window #(.H(5), .W(6), .C(2), .A(4), .KH(3), .KW(3), .SY(2), .SX(1), .PT(1), .PL(1),
                 .HO(3), .WO(6), .R(5), .PAD(4'h0)) u_win (.clk, .rst_n,
        .s_valid(win_s_valid), .s_ready(win_s_ready), .s_data(win_s_data),
        .m_valid(win_m_valid), .m_ready(win_m_ready), .m_data(win_m_data));
    tri_pool #(.KT(4), .C(2), .A(4), .IN_SIGNED(1'b1), .MAX(1'b1), .O(4)) u_pmax (
        .win(pool_win), .y(pool_max_y));
    tri_pool #(.KT(4), .C(2), .A(4), .IN_SIGNED(1'b0), .MAX(1'b0), .SUMW(8), .O(5), .MW(16), .BW(4),
               .SH(2), .LO(64'sd0), .HI(64'sd31), .CH_M(32'h00050003), .CH_B(8'h32)) u_pavg (
        .win(pool_win), .y(pool_avg_y));
    tri_add #(.C(2), .AA(4), .A_SIGNED(1'b1), .AB(5), .B_SIGNED(1'b0), .O(5), .MA(64'sd3), .MB(-64'sd2),
              .B(64'sd7), .SH(2), .LO(-64'sd16), .HI(64'sd15)) u_add (
        .a_valid(add_a_valid), .a_ready(add_a_ready), .a_data(add_a_data),
        .b_valid(add_b_valid), .b_ready(add_b_ready), .b_data(add_b_data),
        .m_valid(add_m_valid), .m_ready(add_m_ready), .m_data(add_m_data));
    tri_gap #(.C(2), .A(4), .IN_SIGNED(1'b1), .NPIX(3), .SUMW(6), .O(6), .MW(16), .BW(3), .SH(1),
              .LO(-64'sd32), .HI(64'sd31), .CH_M(32'h00050005), .CH_B(6'h09)) u_gap (.clk, .rst_n,
        .s_valid(gap_s_valid), .s_ready(gap_s_ready), .s_data(gap_s_data),
        .m_valid(gap_m_valid), .m_ready(gap_m_ready), .m_data(gap_m_data));
    tri_axis_out #(.C(3), .O(5), .SIGNED(1'b1), .TW(8), .NPIX(2)) u_ao (.clk, .rst_n,
        .s_valid(ao_s_valid), .s_ready(ao_s_ready), .s_data(ao_s_data),
        .tdata(ao_tdata), .tvalid(ao_tvalid), .tready(ao_tready), .tlast(ao_tlast));
    tri_fork #(.W(8), .N(2)) u_fork (.clk, .rst_n, .s_valid(fork_s_valid), .s_ready(fork_s_ready),
        .s_data(fork_s_data), .m_valid(fork_m_valid), .m_ready(fork_m_ready), .m_data(fork_m_data));
endmodule
`default_nettype wire
