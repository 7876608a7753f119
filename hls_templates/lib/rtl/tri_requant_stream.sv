// Tritium RTL library: standalone per-channel requantizer on a pixel stream
// (the REQUANT op): y[c] = clamp((x[c]*M[c] + B[c]) >>> SH). Combinational;
// a FIFO follows it in the engine glue.
`default_nettype none
module tri_requant_stream #(
    parameter int C = 1,
    parameter int A = 8,
    parameter bit IN_SIGNED = 1'b1,
    parameter int O = 8,
    parameter int MW = 16,
    parameter int BW = 32,
    parameter int SH = 0,
    parameter longint LO = 0,
    parameter longint HI = 255,
    parameter logic [C*MW-1:0] CH_M = '0,
    parameter logic [C*BW-1:0] CH_B = '0
) (
    input  wire logic [C*A-1:0] x,
    output logic [C*O-1:0]      y
);
    generate
        for (genvar c = 0; c < C; c++) begin : g_ch
            logic signed [A:0] v;
            assign v = IN_SIGNED ? {x[c * A + A - 1], x[c * A +: A]} : {1'b0, x[c * A +: A]};
            tri_requant #(.IW(A + 1), .MW(MW), .BW(BW), .SH(SH), .O(O), .LO(LO), .HI(HI)) u_rq (
                .x(v), .m(CH_M[c * MW +: MW]), .b(CH_B[c * BW +: BW]), .y(y[c * O +: O]));
        end
    endgenerate
endmodule
`default_nettype wire
