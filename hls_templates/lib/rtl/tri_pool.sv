// Tritium RTL library: pooling of one window (combinational; a window unit feeds
// it, a FIFO follows). MAX = 1: integer max over the KT taps of each channel
// (the window unit pads with the type's minimum). MAX = 0: the integer sum of
// the taps, then the per-channel requantizer (average = sum * M >> shift).
`default_nettype none
module tri_pool #(
    parameter int KT = 4,
    parameter int C = 1,
    parameter int A = 8,
    parameter bit IN_SIGNED = 1'b1,
    parameter bit MAX = 1'b1,
    parameter int SUMW = 12,          // sum width (signed)
    parameter int O = 8,
    parameter int MW = 16,
    parameter int BW = 32,
    parameter int SH = 0,
    parameter longint LO = 0,
    parameter longint HI = 255,
    parameter logic [C*MW-1:0] CH_M = '0,
    parameter logic [C*BW-1:0] CH_B = '0
) (
    input  wire logic [KT*C*A-1:0] win,
    output logic [C*O-1:0]         y
);
    function automatic logic signed [A:0] elem(input int t, input int c);
        logic [A-1:0] v;
        v = win[(t * C + c) * A +: A];
        return IN_SIGNED ? {v[A-1], v} : {1'b0, v};
    endfunction

    generate
        for (genvar c = 0; c < C; c++) begin : g_ch
            if (MAX) begin : g_max
                logic signed [A:0] best;
                always_comb begin
                    best = elem(0, c);
                    for (int t = 1; t < KT; t++)
                        if (elem(t, c) > best) best = elem(t, c);
                end
                assign y[c * O +: O] = O'(best);
            end else begin : g_avg
                logic signed [SUMW-1:0] sum;
                always_comb begin
                    sum = '0;
                    for (int t = 0; t < KT; t++) sum = sum + SUMW'(elem(t, c));
                end
                tri_requant #(.IW(SUMW), .MW(MW), .BW(BW), .SH(SH), .O(O), .LO(LO), .HI(HI)) u_rq (
                    .x(sum), .m(CH_M[c * MW +: MW]), .b(CH_B[c * BW +: BW]), .y(y[c * O +: O]));
            end
        end
    endgenerate
endmodule
`default_nettype wire
